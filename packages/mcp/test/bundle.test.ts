// xpol mcp --bundle-signers KEYRING --bundle-quorum M: as xpol serve, the proxy loads only a signed policy bundle
// approved by M of the policy approvers. Short of the quorum it refuses to start, before the upstream is started;
// with it, the bundle's policy decides the calls.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, formatPublicKey, keyPairFromSeed, NobleSigner, signBundle, toBundle } from "execlayer";
import type { RunningProxy } from "@execlayer/mcp";
import { ACTOR, rawStdioProxy, scratch, tapped, XPOL } from "./helpers.ts";

const FAULTY = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/faulty-server.mjs");

const POLICY = `policy bundled version "2.0.0"

actor {
  agent: string
}

action demo.echo {
  text?: string
}
tier demo.echo = T0

tool echo -> demo.echo {
  text: args.text
}

rule echo on demo.echo {
  when action.text != "no"
  allow
}
`;

let tmp: ReturnType<typeof scratch>;
let proxy: RunningProxy | undefined;

beforeAll(() => {
  tmp = scratch();
  const built = compilePolicy({ sources: [{ path: "bundled.xpol", text: POLICY }] });
  if (built.policy === null) throw new Error("the fixture policy does not compile");
  const approvers = [keyPairFromSeed(new Uint8Array(32).fill(41)), keyPairFromSeed(new Uint8Array(32).fill(42))];
  writeFileSync(path.join(tmp.dir, "approvers.keyring"), `dana ${formatPublicKey(approvers[0]!.publicKey)}\neli ${formatPublicKey(approvers[1]!.publicKey)}\n`);
  const approvals = approvers.map((p) => signBundle(built.policy!, new NobleSigner(p), "2026-12-01T09:00:00Z"));
  writeFileSync(path.join(tmp.dir, "one.json"), JSON.stringify({ ...toBundle(built.policy), approvals: approvals.slice(0, 1) }));
  writeFileSync(path.join(tmp.dir, "two.json"), JSON.stringify({ ...toBundle(built.policy), approvals }));
});
afterAll(async () => {
  await proxy?.close();
  tmp?.remove();
});

describe("xpol mcp with signed policy bundles", () => {
  it("refuses to start on a bundle short of the quorum, and never starts the upstream", () => {
    const log = path.join(tmp.dir, "never.log");
    const r = spawnSync(process.execPath, [XPOL, "mcp", "--policy", "one.json", "--bundle-signers", "approvers.keyring", "--bundle-quorum", "2", "--memory", "--actor", JSON.stringify(ACTOR), "--", process.execPath, FAULTY, log], { cwd: tmp.dir, encoding: "utf8", input: "" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/carries 1 valid approval\(s\) of the 2 required/);
    expect(existsSync(log)).toBe(false);
  });

  it("a quorum needs a number: the command line says so", () => {
    const r = spawnSync(process.execPath, [XPOL, "mcp", "--policy", "two.json", "--bundle-signers", "approvers.keyring", "--bundle-quorum", "two", "--", process.execPath, FAULTY, "x"], { cwd: tmp.dir, encoding: "utf8", input: "" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--bundle-quorum takes a whole number");
  });

  it("serves with a bundle that has the quorum: its policy decides", async () => {
    const log = path.join(tmp.dir, "calls.log");
    const started = await rawStdioProxy({
      policies: ["two.json"],
      bundleSigners: "approvers.keyring",
      bundleQuorum: 2,
      cwd: tmp.dir,
      upstream: { kind: "stdio", command: process.execPath, args: [FAULTY, log] },
    });
    proxy = started.proxy;
    const peer = started.peer;
    expect(proxy.service!.state.holder.identity.version).toBe("2.0.0");
    expect((await peer.request(1, "tools/call", { name: "echo", arguments: { text: "yes" } }))["result"]).toMatchObject({ content: [{ text: "echo: yes" }] });
    expect(((await peer.request(2, "tools/call", { name: "echo", arguments: { text: "no" } }))["result"] as { isError: boolean }).isError).toBe(true);
    expect(tapped(log)).toEqual(["echo"]);
  });
});
