// A throwaway service for a test: the seed's invoice policy (with a @sensitive note and approver keys made here from
// fixed seeds), a temporary state directory, a real listener on a loopback port the OS picks.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { formatPublicKey, keyPairFromSeed, NobleSigner, type KeyPair } from "execlayer";
import { hashToken, startServer, type RunningServer, type ServeOptions } from "@execlayer/server";

export const alice: KeyPair = keyPairFromSeed(new Uint8Array(32).fill(1));
export const bob: KeyPair = keyPairFromSeed(new Uint8Array(32).fill(2));
export const mallory: KeyPair = keyPairFromSeed(new Uint8Array(32).fill(9));
export const aliceSigner = new NobleSigner(alice);
export const bobSigner = new NobleSigner(bob);
export const mallorySigner = new NobleSigner(mallory);

export function invoicePolicy(version = "1.0.0", extraRule = ""): string {
  return `policy invoices version "${version}"

actor {
  agent: string
  on_behalf_of: string
}

context {
  assigned_customers: list<string>
}

action invoice.read alias "get_invoice" {
  invoice_id: string
  customer_id: string
}

action invoice.update_status {
  invoice_id: string
  customer_id: string
  status: "paid" | "unpaid" | "disputed" | "void"
  note?: string @sensitive
}

action invoice.delete {
  invoice_id: string
  customer_id: string
  reason?: string
}

action invoice.delete_all {
  customer_id: string
  reason?: string
}

tier invoice.read = T0
tier invoice.update_status = T1
tier invoice.delete = T2
tier invoice.delete_all = T3

counter status_updates {
  on invoice.update_status
  per actor.agent
  window calendar month
}

group finance {
  alice: "${formatPublicKey(alice.publicKey)}"
  bob: "${formatPublicKey(bob.publicKey)}"
}

rule read_invoices on invoice.read {
  when action.customer_id in context.assigned_customers
  allow
}

rule status_updates_within_threshold on invoice.update_status {
  when counter.status_updates < 2
  allow
  else require approval 1 of finance within 24h
}

rule delete_needs_one_approver on invoice.delete {
  require approval 1 of finance within 24h
}

rule delete_all_needs_two_approvers on invoice.delete_all {
  require approval 2 of finance within 24h
}
${extraRule}
tool get_invoice -> invoice.read {
  target: "invoice/" + args.invoice_id
  invoice_id: args.invoice_id
  customer_id: args.customer_id
}

tool set_invoice_status -> invoice.update_status {
  target: "invoice/" + args.invoice_id
  invoice_id: args.invoice_id
  customer_id: args.customer_id
  status: args.status
  note: args.note
}

tool delete_invoice -> invoice.delete {
  target: "invoice/" + args.invoice_id
  invoice_id: args.invoice_id
  customer_id: args.customer_id
}
`;
}

export const ACTOR = { agent: "invoice-bot", on_behalf_of: "acme-finance" };
export const CONTEXT = { assigned_customers: ["c-1"] };

export interface Service {
  readonly server: RunningServer;
  readonly url: string;
  readonly dir: string;
  readonly policyFile: string;
  readonly logs: string[];
  stop(): Promise<void>;
}

/** Starts a service over a fresh directory; `stop` closes it and removes the directory. */
export async function startService(options: Partial<ServeOptions> = {}, policyText = invoicePolicy()): Promise<Service> {
  const dir = mkdtempSync(path.join(tmpdir(), "xpol-serve-"));
  const policyFile = path.join(dir, "invoices.xpol");
  writeFileSync(policyFile, policyText);
  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
      cb();
    },
  });
  let server: RunningServer;
  try {
    server = await startServer({
      policies: [policyFile],
      state: path.join(dir, "state"),
      listen: "127.0.0.1:0",
      watch: false,
      durability: "none",
      logDestination,
      ...options,
    });
  } catch (e: unknown) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    server,
    url: server.url,
    dir,
    policyFile,
    logs,
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A tokens file entry as a test writes it: the token itself is hashed here. */
export interface TestToken {
  readonly name: string;
  readonly token: string;
  readonly roles: readonly string[];
  readonly reveal_sensitive?: boolean;
}

/** Starts a service behind a tokens file of `tokens` (the file is removed once the service has read it). */
export async function startServiceWithTokens(tokens: readonly TestToken[], options: Partial<ServeOptions> = {}): Promise<Service> {
  const dir = mkdtempSync(path.join(tmpdir(), "xpol-tokens-"));
  const file = path.join(dir, "tokens.json");
  writeFileSync(file, JSON.stringify({ tokens: tokens.map(({ token, ...t }) => ({ ...t, sha256: hashToken(token) })) }));
  try {
    return await startService({ ...options, tokensFile: file });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** POST JSON (or a raw body) and read the answer. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; type: string; json: Record<string, unknown>; text: string; headers: Headers }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the test looks at `text`
  }
  return { status: res.status, type: res.headers.get("content-type") ?? "", json, text, headers: res.headers };
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; json: Record<string, unknown>; text: string }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: res.status, type: res.headers.get("content-type") ?? "", json, text };
}
