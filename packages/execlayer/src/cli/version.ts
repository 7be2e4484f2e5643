// `xpol --version`: the version of the installed package, read from its own package.json at run time so it cannot
// drift from what npm installed. The path is the same from src/cli/ (tsx, tests) and dist/cli/ (the built CLI).
import { readFileSync } from "node:fs";

const PACKAGE_JSON = new URL("../../package.json", import.meta.url);

export function packageVersion(): string {
  const parsed: unknown = JSON.parse(readFileSync(PACKAGE_JSON, "utf8"));
  if (typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string") return parsed.version;
  throw new Error(`no version in ${PACKAGE_JSON.pathname}`);
}
