// `npm test` at the root: every workspace's own `npm test`, in two lanes so the whole run fits CI's budget on two
// cores. The core's suite (the largest, CPU-bound, itself parallel) runs in one lane; the integration packages, whose
// tests mostly wait on real servers, browsers and child processes, run one after another in the other. Each
// workspace's output is printed whole when it ends (never interleaved), then a summary; the exit code is 1 when any
// workspace failed. `--serial` runs them one at a time, in the root's order.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { workspaces } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const withTests = workspaces.filter((w) => {
  const pkg = JSON.parse(readFileSync(path.join(root, w, "package.json"), "utf8"));
  return typeof pkg.scripts?.test === "string";
});
const CORE = "packages/execlayer";
const serial = process.argv.includes("--serial");
const lanes = serial ? [withTests] : [withTests.filter((w) => w === CORE), withTests.filter((w) => w !== CORE)];

/** Runs one workspace's tests; resolves with its result once it exits. */
function runOne(workspace) {
  const started = Date.now();
  process.stdout.write(`----- ${workspace}: testing\n`);
  return new Promise((resolve) => {
    const child = spawn("npm", ["test", "--silent", "-w", workspace], { cwd: root, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    const chunks = [];
    child.stdout.on("data", (b) => chunks.push(b));
    child.stderr.on("data", (b) => chunks.push(b));
    child.on("close", (code, signal) => {
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(`\n===== ${workspace}: ${code === 0 ? "passed" : `FAILED (${signal ?? `exit ${code}`})`} in ${seconds.toFixed(0)} s =====\n`);
      process.stdout.write(Buffer.concat(chunks));
      resolve({ workspace, ok: code === 0, seconds });
    });
  });
}

const started = Date.now();
const results = (
  await Promise.all(
    lanes.map(async (lane) => {
      const out = [];
      for (const w of lane) out.push(await runOne(w));
      return out;
    }),
  )
).flat();
process.stdout.write("\n===== summary =====\n");
for (const r of results) process.stdout.write(`${r.ok ? "passed" : "FAILED"}  ${r.workspace}  ${r.seconds.toFixed(0)} s\n`);
process.stdout.write(`total ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
