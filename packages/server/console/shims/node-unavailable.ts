// node:fs, node:path, node:os, node:url, node:util and node:worker_threads in the browser: core modules that read
// files or start workers share files with the pure functions the console uses, so they are bundled, but never
// called there. Any call fails loudly instead of doing something else.
const fail = (): never => {
  throw new Error("console: this Node API is not available in the browser");
};
const stub: Record<string, unknown> = new Proxy({}, { get: (_t, key) => (key === "then" ? undefined : fail) });
export const promises = stub;
export const posix = stub;
export const types = { isProxy: (): boolean => false };
export const sep = "/";
export const availableParallelism = (): number => 1;
export class Worker {
  constructor() {
    fail();
  }
}
export {
  fail as readFile,
  fail as writeFile,
  fail as mkdtemp,
  fail as rm,
  fail as readFileSync,
  fail as writeFileSync,
  fail as writevSync,
  fail as statSync,
  fail as readdirSync,
  fail as existsSync,
  fail as join,
  fail as resolve,
  fail as dirname,
  fail as basename,
  fail as relative,
  fail as fileURLToPath,
};
export default stub;
