#!/usr/bin/env node
// Runs a script under an exact Node version from the npm registry (the official binary in the
// node-<platform>-<arch> package), installed once into packages/integration/.cache/ where the consumer test keeps
// the same binaries. For packages whose frameworks need a newer Node than the machine's (e.g. `@openai/agents` and
// `ai` 7 need Node 22), so that `npm test` really runs them there.
//
//   node scripts/on-node.mjs 22.23.5 path/to/script.mjs [args...]
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [version, script, ...rest] = process.argv.slice(2);
if (version === undefined || script === undefined || !/^\d+\.\d+\.\d+$/.test(version)) {
  console.error("usage: node scripts/on-node.mjs X.Y.Z script.mjs [args...]");
  process.exit(2);
}

const platform = process.platform === "win32" ? "win" : process.platform;
const name = `node-${platform}-${process.arch}`;
const prefix = path.join(repo, "packages/integration/.cache", `${name}-${version}`);
const bin = path.join(prefix, "node_modules", name, "bin", "node");
if (!existsSync(bin)) {
  const args = ["install", "--prefix", prefix, `${name}@${version}`, "--ignore-scripts", "--no-package-lock", "--no-save", "--prefer-offline", "--no-audit", "--no-fund"];
  const r = spawnSync("npm", args, { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0 || !existsSync(bin)) {
    console.error(`on-node: could not install Node ${version} from the npm registry (${name}@${version} into ${prefix})`);
    process.exit(1);
  }
}

// This version first on PATH, so that anything the script spawns by name runs on it too.
const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ""}` };
const child = spawn(bin, [script, ...rest], { stdio: "inherit", env });
child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
