// A 2026-07-28 client over stdio: the SDK's Client pinned to the modern era (server/discover, the per-request
// envelope, no initialize) through `xpol mcp` to the filesystem server, which itself speaks only the 2025 era: the
// proxy serves the client's era and talks the server's. Allowed and denied calls behave as for a 2025 client.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/client";
import { filesystemProxy, type scratch, tapped, textOf } from "./helpers.ts";

let tmp: ReturnType<typeof scratch>;
let ws: string;
let tapLog: string;
let client: Client;

beforeAll(async () => {
  // --memory: the SDK probes the era on a short-lived sibling process started with the same command
  ({ tmp, ws, tapLog, client } = await filesystemProxy({ "readme.md": "# modern\n" }, ["--memory"], { versionNegotiation: { mode: { pin: "2026-07-28" } } }));
});

afterAll(async () => {
  await client?.close();
  tmp?.remove();
});

describe("xpol mcp over stdio, protocol 2026-07-28, in front of a 2025-era server", () => {
  it("negotiates 2026-07-28 with the client", () => {
    expect(client.getProtocolEra()).toBe("modern");
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
  });

  it("allows a read in the workspace, denies one outside it; only the allowed call reaches the server", async () => {
    const ok = await client.callTool({ name: "read_text_file", arguments: { path: path.join(ws, "readme.md") } });
    expect(ok.isError).not.toBe(true);
    expect(textOf(ok)).toContain("# modern");
    const denied = await client.callTool({ name: "read_text_file", arguments: { path: "/etc/hostname" } });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain("ExecLayer denied the call to `read_text_file`");
    expect(tapped(tapLog).filter((l) => l.startsWith("tools/call"))).toEqual(["tools/call read_text_file"]);
  });
});
