// The core's store conformance suite (packages/execlayer/test/store/conformance.ts, run there for the memory and
// durable stores) against PostgresStore on a real server.
import { afterAll, describe } from "vitest";
import { PostgresStore } from "@execlayer/postgres";
import { NobleSigner } from "execlayer";
import { storeConformance, T0, day } from "../../execlayer/test/store/conformance.ts";
import { freshDatabase, noPostgres } from "./helpers/db.ts";
import { counterValue } from "./helpers/policy.ts";

const urls = new Map<PostgresStore, string>();
afterAll(async () => {
  for (const s of urls.keys()) await s.close();
});

describe.skipIf(noPostgres)("PostgresStore", () => {
  storeConformance("postgres", {
    async make() {
      const url = await freshDatabase();
      const s = await PostgresStore.connect(url, { migrate: true, signer: NobleSigner.fromSeed(new Uint8Array(32).fill(9)) });
      urls.set(s, url);
      return s;
    },
    // through another connection of its own: the store under test may be closed
    async value(s) {
      const reader = await PostgresStore.connect(urls.get(s)!, { receipts: false });
      try {
        return await counterValue(reader, "c", day, '["k"]', T0);
      } finally {
        await reader.close();
      }
    },
  });
});
