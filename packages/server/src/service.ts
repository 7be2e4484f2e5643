// Starting and stopping the service: the policy (refused at start when it does not check), the store (the embedded
// DurableStore by default), tokens and TLS, the listener, the policy-file watcher. `close()` drains: the listener
// stops taking requests, in-flight ones finish (long-polls are answered with the state as it is), then the store
// flushes its group commit, writes its final checkpoint and releases its lock, so no acknowledged decision is lost.
import { readFileSync, watch, type FSWatcher } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import pino, { type DestinationStream, type Logger } from "pino";
import { DurableStore, MemoryStore, ServiceDiagnostics as D, StoreError, readRedactionKeyFile, type CompiledPolicy, type Receipt, type RedactionKey, type StateStore, parseBundleSigners } from "execlayer";
import { buildApp } from "./app.ts";
import { isLoopback, readTokensFile, type TokenEntry } from "./auth.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { loadPolicyFiles, PolicyHolder, type BundleCheck } from "./policy.ts";
import { ServiceState } from "./state.ts";
import type { FleetChains } from "./receipt-source.ts";
import { ApprovalNotifier } from "./notify.ts";
import { Notifier, WEBHOOK_OUTBOX_FILE, type WebhookOptions } from "./webhooks.ts";
import { packageVersion } from "./version.ts";

export interface ServeOptions {
  /** `.xpol` files forming one policy, or one bundle `.json` (`xpol compile`) */
  readonly policies: readonly string[];
  /**
   * shadow mode: a candidate policy (files or one bundle) that decides every call too, never enforced; its decision
   * is recorded in each receipt beside the real one and counted in /metrics (`xpol replay --shadow` reports a period)
   */
  readonly shadow?: readonly string[];
  /**
   * load only a signed bundle: the policy approvers' keyring file (`name ed25519:<hex>` per line) and how many of
   * them must have approved the bundle's digest (`xpol sign-bundle`); receipts name the bundle and its signers
   */
  readonly bundleSigners?: string;
  readonly bundleQuorum?: number;
  /** where relative paths start; default the process's */
  readonly cwd?: string;
  /** the state directory of the embedded durable store (default `xpol-state`) */
  readonly state?: string;
  /** keep state in memory only: no receipts, nothing survives a restart (benchmarks, tests) */
  readonly memory?: boolean;
  /**
   * the PostgreSQL state store shared by a fleet (`@execlayer/postgres`, loaded on demand): counters exact and an
   * approved action run once across every replica; each replica writes its own receipt chain in the database
   */
  readonly postgres?: string;
  /**
   * with `postgres`: the fleet's redaction key file (`xpol keygen --redaction-key FILE`), the same on every replica:
   * `@sensitive` values are committed under it, so an action's digest is the same on every replica. Required to
   * decide on a fleet's store; a key that is not the fleet's refuses the start (XP5026)
   */
  readonly redactionKey?: string;
  /** `HOST:PORT` (default 127.0.0.1:8181; port 0 picks one) */
  readonly listen?: string;
  /** a JSON file of hashed bearer tokens with roles (auth.ts); required to listen beyond loopback */
  readonly tokensFile?: string;
  /** serve HTTPS with this certificate and key (PEM files) */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** largest request body, bytes (default 1 MiB) */
  readonly bodyLimit?: number;
  /** ms to receive a whole request before answering 408 (default 30 s) */
  readonly requestTimeoutMs?: number;
  /** reload the policy when one of its files changes (default true) */
  readonly watch?: boolean;
  /** pino level (default info) */
  readonly logLevel?: string;
  /** where the JSON log goes (default stdout) */
  readonly logDestination?: DestinationStream;
  /** the durable store's durability: "fsync" (default) or "none" (tests and benchmarks only) */
  readonly durability?: "fsync" | "none";
  /** sign receipts on this many worker threads (node:crypto; default 0: on the main thread) */
  readonly signingThreads?: number;
  /** the durable store's receipts: each signed ("per-receipt", default) or sealed per group commit ("per-batch") */
  readonly signatures?: "per-receipt" | "per-batch";
  /** the durable store writes a signed checkpoint every N receipts (default 1000) and on close */
  readonly checkpointEvery?: number;
  /** long-poll waiters at once (default 1000; more get 429) */
  readonly maxWaiters?: number;
  /** webhooks on approval events (webhooks.ts): targets with their secrets, retries */
  readonly webhooks?: WebhookOptions;
  /** the service's URL as approvers reach it, for the links in webhooks (default the URL it listens on) */
  readonly publicUrl?: string;
  /** add `POST /bench/noop`, the bench's baseline through the same hooks */
  readonly benchNoop?: boolean;
}

// The package's name is a variable: the server has no build-time or package dependency on it (as the core's CLI).
const POSTGRES_PACKAGE: string = "@execlayer/postgres";

interface PostgresModule {
  readonly PostgresStore: { connect(url: string, options: { replica?: string; signingThreads?: number; redactionKey?: RedactionKey }): Promise<StateStore<Receipt> & { readonly chainId: string }> };
  readonly ChainReader: { open(url: string): FleetChains };
}

/**
 * Opens the fleet's PostgreSQL store, or refuses to start with the store's code (schema, database, a redaction key
 * not the fleet's) or XP8210.
 */
async function connectPostgres(
  url: string,
  signingThreads: number | undefined,
  redactionKey: RedactionKey | undefined,
): Promise<{ store: StateStore<Receipt>; fleet: { chains: FleetChains; current: () => string } }> {
  let mod: PostgresModule;
  try {
    mod = (await import(POSTGRES_PACKAGE)) as PostgresModule;
  } catch {
    throw new ServeError(D.notInstalled.code, D.notInstalled.message(POSTGRES_PACKAGE), 3);
  }
  try {
    const store = await mod.PostgresStore.connect(url, {
      replica: `xpol-serve-${process.pid}`,
      ...(signingThreads !== undefined ? { signingThreads } : {}),
      ...(redactionKey !== undefined ? { redactionKey } : {}),
    });
    // the receipts routes read the fleet's chains on a pool of their own
    return { store, fleet: { chains: mod.ChainReader.open(url), current: () => store.chainId } };
  } catch (e: unknown) {
    throw storeServeError(e);
  }
}

/** The store refused: its code; exit 1 (schema), 2 (a redaction key not the fleet's: the configuration), else 3. */
function storeServeError(e: unknown): ServeError {
  const err = e instanceof StoreError ? e : null;
  return new ServeError(err?.code ?? D.unavailable.code, e instanceof Error ? e.message : String(e), err?.reason === "schema" ? 1 : err?.reason === "redaction-key" ? 2 : 3);
}

/** The fleet's redaction key from its file (`--redaction-key`), or a refused start. */
async function readFleetKey(file: string | undefined, cwd: string, postgres: boolean): Promise<RedactionKey | undefined> {
  if (file === undefined) return undefined;
  if (!postgres) throw new ServeError(D.refusedConfig.code, D.refusedConfig.message("--redaction-key goes with --postgres (a state directory keeps its own key)"), 2);
  const key = await readRedactionKeyFile(path.resolve(cwd, file));
  if (!key.ok) throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(`the redaction key: ${key.error}`), key.unreadable === true ? 3 : 2);
  return key.value;
}

export interface RunningServer {
  /** `http(s)://host:port` */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly state: ServiceState;
  /** drains and stops; resolves when the store is closed */
  close(): Promise<void>;
}

/** Why the service did not start; `code` is the XP code, `exit` the CLI's exit code. */
export class ServeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exit: number,
  ) {
    super(message);
  }
}

export const DEFAULT_LISTEN = "127.0.0.1:8181";
export const DEFAULT_BODY_LIMIT = 1 << 20;

export function parseListen(listen: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(listen);
  if (m === null) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  const host = m[1] === "" ? "127.0.0.1" : m[1]!.replace(/^\[|\]$/g, "");
  return { host, port };
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const cwd = options.cwd ?? process.cwd();
  const listen = parseListen(options.listen ?? DEFAULT_LISTEN);
  if (listen === null) throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(`\`--listen ${options.listen}\` is not HOST:PORT`), 2);

  let tokens: TokenEntry[] | null = null;
  if (options.tokensFile !== undefined) {
    const t = readTokensFile(path.resolve(cwd, options.tokensFile));
    if (!t.ok) throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(t.error), 3);
    tokens = t.value;
  }
  if (tokens === null && !isLoopback(listen.host)) {
    throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(`\`${listen.host}\` is reachable from other machines; give --tokens FILE (bearer tokens with roles) to listen there`), 2);
  }
  let https: { cert: Buffer; key: Buffer } | undefined;
  if (options.tls !== undefined) {
    try {
      https = { cert: readFileSync(path.resolve(cwd, options.tls.cert)), key: readFileSync(path.resolve(cwd, options.tls.key)) };
    } catch (e: unknown) {
      throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(`cannot read the TLS certificate or key: ${e instanceof Error ? e.message : String(e)}`), 3);
    }
  }

  let bundleCheck: BundleCheck | undefined;
  if (options.bundleSigners !== undefined || options.bundleQuorum !== undefined) {
    if (options.bundleSigners === undefined || options.bundleQuorum === undefined) throw new ServeError(D.refusedConfig.code, D.refusedConfig.message("give both --bundle-signers and --bundle-quorum"), 2);
    let ring: string;
    try {
      ring = readFileSync(path.resolve(cwd, options.bundleSigners), "utf8");
    } catch (e: unknown) {
      throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(`cannot read the bundle signers' keyring: ${e instanceof Error ? e.message : String(e)}`), 3);
    }
    const signers = parseBundleSigners(ring);
    if (!signers.ok) throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(`${options.bundleSigners}: ${signers.error}`), 2);
    bundleCheck = { signers: signers.value, quorum: options.bundleQuorum };
  }
  const loaded = loadPolicyFiles(options.policies, cwd, bundleCheck);
  if (!loaded.ok) throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(`the policy does not check:\n${loaded.diagnostics}`), 1);
  let shadow: CompiledPolicy | undefined;
  if (options.shadow !== undefined && options.shadow.length > 0) {
    const candidate = loadPolicyFiles(options.shadow, cwd);
    if (!candidate.ok) throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(`the shadow policy does not check:\n${candidate.diagnostics}`), 1);
    shadow = candidate.policy;
  }

  const log: Logger = pino({ level: options.logLevel ?? "info", base: { service: "xpol" } }, options.logDestination ?? pino.destination({ fd: 1, sync: false }));

  const fleetKey = await readFleetKey(options.redactionKey, cwd, options.postgres !== undefined);
  let store: StateStore<Receipt>;
  let stateDir: string | null = null;
  let fleet: { chains: FleetChains; current: () => string } | undefined;
  if (options.memory === true) {
    store = new MemoryStore<Receipt>();
  } else if (options.postgres !== undefined) {
    ({ store, fleet } = await connectPostgres(options.postgres, options.signingThreads, fleetKey));
  } else {
    stateDir = path.resolve(cwd, options.state ?? "xpol-state");
    try {
      // node:crypto signs several times faster than the pure-JS signer; Ed25519 is deterministic, so the receipts are
      // the same bytes either way
      store = await DurableStore.open(stateDir, {
        signerKind: "native",
        durability: options.durability ?? "fsync",
        ...(options.checkpointEvery !== undefined ? { checkpointEvery: options.checkpointEvery } : {}),
        ...(options.signingThreads !== undefined ? { signingThreads: options.signingThreads } : {}),
        ...(options.signatures !== undefined ? { signatures: options.signatures } : {}),
      });
    } catch (e: unknown) {
      const err = e instanceof StoreError ? e : null;
      throw new ServeError(err?.code ?? D.unavailable.code, e instanceof Error ? e.message : String(e), err?.reason === "io" ? 3 : 1);
    }
  }

  let holder: PolicyHolder;
  try {
    holder = await PolicyHolder.create(loaded.policy, options.policies, store, shadow, loaded.bundle);
  } catch (e: unknown) {
    // a fleet's store without its redaction key (XP5026): refused before anything is decided
    await store.close().catch(() => undefined);
    await fleet?.chains.close();
    if (e instanceof StoreError) throw storeServeError(e);
    throw e;
  }
  const state = new ServiceState(holder, store, stateDir, options.policies, cwd, log, bundleCheck, fleet);
  const openAtStart = await holder.enforcer.pendingApprovals();
  if (stateDir !== null) await state.book.loadFromLog(stateDir, openAtStart);
  // with a state directory, undelivered webhook events outlive the process (webhooks.ts)
  const webhookOptions = options.webhooks ?? { targets: [] };
  const notifier = new Notifier(stateDir !== null && webhookOptions.outbox === undefined ? { ...webhookOptions, outbox: path.join(stateDir, WEBHOOK_OUTBOX_FILE) } : webhookOptions, log.child({ component: "webhooks" }), state.metrics.webhooks);
  notifier.resume();
  const notify = new ApprovalNotifier(notifier, state.book, () => state.holder.policy, options.publicUrl ?? "");
  for (const r of openAtStart) notify.watch(r);
  // told after the change is recorded; nothing it does (or throws) reaches the decision or approval being answered
  state.book.onChange = (before, after) => {
    try {
      notify.changed(before, after);
    } catch (e: unknown) {
      log.error({ err: e instanceof Error ? e.message : String(e), request: after.request.id }, "webhook event not sent");
    }
  };

  const app = buildApp(state, {
    logger: log,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    tokens,
    ...(https !== undefined ? { https } : {}),
    maxWaiters: options.maxWaiters ?? 1000,
    openapi: buildOpenApiDocument(packageVersion()),
    noop: options.benchNoop === true,
  });

  try {
    await app.listen({ host: listen.host, port: listen.port });
  } catch (e: unknown) {
    await app.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await state.receipts.close();
    throw new ServeError(D.refusedConfig.code, D.refusedConfig.message(`cannot listen on ${listen.host}:${listen.port}: ${e instanceof Error ? e.message : String(e)}`), 1);
  }
  const address = app.server.address() as AddressInfo;
  const hostText = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `${https !== undefined ? "https" : "http"}://${hostText}:${address.port}`;
  notify.baseUrl = options.publicUrl ?? url;

  const watchers = options.watch === false ? [] : watchPolicyFiles(options.policies.map((f) => path.resolve(cwd, f)), () => void state.reload("policy file changed"));
  log.info({ url, policy: holder.identity, store: stateDir ?? (options.postgres !== undefined ? "postgres" : "memory"), tokens: tokens !== null, tls: https !== undefined }, "xpol serve listening");

  let closing: Promise<void> | null = null;
  return {
    url,
    app,
    state,
    close: () =>
      (closing ??= (async () => {
        for (const w of watchers) w.close();
        await app.close();
        notify.close();
        await state.receipts.close();
        await store.close();
        log.info({ url }, "xpol serve stopped; the store is closed");
        log.flush?.();
      })()),
  };
}

/** Watches the directories of the files (editors replace a file by renaming), debounced. */
function watchPolicyFiles(files: readonly string[], onChange: () => void): FSWatcher[] {
  let timer: NodeJS.Timeout | null = null;
  const names = new Set(files.map((f) => path.basename(f)));
  const fire = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, 200);
  };
  const dirs = [...new Set(files.map((f) => path.dirname(f)))];
  const out: FSWatcher[] = [];
  for (const dir of dirs) {
    try {
      const w = watch(dir, (_event, name) => {
        if (name === null || names.has(name.toString())) fire();
      });
      w.unref();
      out.push(w);
    } catch {
      // a directory that cannot be watched: reload stays available through SIGHUP and the admin route
    }
  }
  return out;
}
