// `npm run openapi:update -w @execlayer/server`: writes openapi.json from the route table (test/openapi.test.ts
// fails when the committed file differs from what the service serves).
import { writeFileSync } from "node:fs";
import { buildOpenApiDocument } from "../src/openapi.ts";
import { packageVersion } from "../src/version.ts";

writeFileSync(new URL("../openapi.json", import.meta.url), JSON.stringify(buildOpenApiDocument(packageVersion()), null, 2) + "\n");
