// `xpol serve`: the core's CLI loads this package on demand and hands it the arguments. It runs until SIGTERM or
// SIGINT (drain, then exit 0); SIGHUP reloads the policy.
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_LISTEN, ServeError, startServer, type ServeOptions } from "./service.ts";

/** The options and, with --webhook, where the secret is (read when the command runs). */
interface Parsed {
  readonly options: ServeOptions;
  readonly webhook: { readonly urls: readonly string[]; readonly secretFile: string; readonly format: "json" | "slack" } | null;
}

/** What the command needs from the outside world (the core CLI's CliIO has this shape). */
export interface ServeIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
}

export const SERVE_USAGE = `usage: xpol serve --policy PATH... [--state DIR | --memory | --postgres URL] [--listen HOST:PORT] [--tokens FILE]
                  [--redaction-key FILE] [--tls-cert FILE --tls-key FILE] [--body-limit BYTES] [--checkpoint-every N]
                  [--signing-threads N] [--signatures per-receipt|per-batch] [--no-watch] [--log-level LEVEL]
                  [--shadow PATH]... [--bundle-signers KEYRING --bundle-quorum M]
                  [--webhook URL... --webhook-secret-file FILE [--webhook-format json|slack]] [--public-url URL]

  --policy PATH      a .xpol file of the policy (repeat for each file), or one bundle .json (\`xpol compile\`)
  --state DIR        the embedded durable store: counters, approval requests, the signed receipt log
                     (default ./xpol-state)
  --memory           keep state in memory only: no receipts, nothing survives a restart
  --postgres URL     the PostgreSQL state store shared by a fleet of replicas (needs @execlayer/postgres; the schema
                     must be migrated: \`xpol db migrate --postgres URL\`); receipts: one chain per replica in the
                     database, served to auditors by GET /v1/chains and ?chain=ID (\`xpol verify --postgres URL\`)
  --redaction-key FILE  with --postgres: the fleet's redaction key (\`xpol keygen --redaction-key FILE\`), the same file
                     on every replica: @sensitive values are committed under it, so an action has the same digest
                     (and approval request) on every replica. Required there; a key that is not the fleet's (its id is
                     recorded in the database) refuses the start with XP5026
  --listen HOST:PORT where to listen (default ${DEFAULT_LISTEN}); beyond loopback only with --tokens
  --tokens FILE      bearer tokens with roles, hashed: {"tokens": [{"name", "sha256", "roles": [...]}]}
                     (roles: agent, approver, auditor, admin)
  --tls-cert FILE    serve HTTPS with this certificate (PEM) ...
  --tls-key FILE     ... and this private key (PEM)
  --body-limit N     largest request body in bytes (default 1048576)
  --checkpoint-every N  write a signed checkpoint every N receipts (default 1000; and on stop)
  --signing-threads N   sign receipts on N worker threads (default 0: on the main thread)
  --signatures MODE     per-receipt (default): every receipt signed; per-batch: one signed seal per group commit
                        covers its receipts by their Merkle root (each still proves on its own: \`xpol prove\`)
  --no-watch         do not reload when a policy file changes (SIGHUP and POST /v1/policy/reload still do)
  --log-level LEVEL  fatal, error, warn, info (default), debug
  --shadow PATH      shadow mode: a candidate policy (.xpol files, repeat; or one bundle .json) that decides every
                     call too, never enforced; its decision is recorded in each receipt beside the real one and
                     counted in /metrics (xpol_shadow_decisions_total); \`xpol replay --shadow\` reports a period
  --bundle-signers F load only a signed bundle (--policy BUNDLE.json): F is the policy approvers' keyring, one
                     \`name ed25519:<64 hex>\` per line ...
  --bundle-quorum M  ... and M of them must have approved its digest (\`xpol sign-bundle\`); a reload too
  --webhook URL      POST approval events (opened, signature added, approved, vetoed, expired, consumed) there,
                     signed with HMAC-SHA256 (X-ExecLayer-Signature: t=...,v1=...), retried with backoff (repeatable)
  --webhook-secret-file FILE  the shared HMAC secret (its first line, at least 16 characters)
  --webhook-format F json (default: the event) or slack (a Slack incoming-webhook message)
  --public-url URL   the service's URL as approvers reach it, for the console links in webhooks

exit codes: 0 stopped by SIGTERM/SIGINT, 1 the policy does not check or the store cannot be used,
            2 usage or a refused configuration, 3 a file cannot be read`;

function parse(argv: readonly string[]): Parsed | string {
  const policies: string[] = [];
  const webhooks: string[] = [];
  let secretFile: string | undefined;
  let format: "json" | "slack" = "json";
  const shadow: string[] = [];
  const o: { -readonly [K in keyof ServeOptions]?: ServeOptions[K] } = {};
  let cert: string | undefined;
  let key: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => argv[++i];
    const need = (v: string | undefined): string => {
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    /** an integer option's value, at least `min` */
    const integer = (min: number): number => {
      const n = Number(need(value()));
      if (!Number.isSafeInteger(n) || n < min) throw new Error(`${a} must be an integer of at least ${min}`);
      return n;
    };
    try {
      switch (a) {
        case "--policy":
          policies.push(need(value()));
          break;
        case "--bundle-signers":
          o.bundleSigners = need(value());
          break;
        case "--bundle-quorum":
          o.bundleQuorum = integer(1);
          break;
        case "--shadow":
          shadow.push(need(value()));
          break;
        case "--state":
          o.state = need(value());
          break;
        case "--memory":
          o.memory = true;
          break;
        case "--postgres":
          o.postgres = need(value());
          break;
        case "--redaction-key":
          o.redactionKey = need(value());
          break;
        case "--listen":
          o.listen = need(value());
          break;
        case "--tokens":
          o.tokensFile = need(value());
          break;
        case "--tls-cert":
          cert = need(value());
          break;
        case "--tls-key":
          key = need(value());
          break;
        case "--body-limit":
          o.bodyLimit = integer(1024);
          break;
        case "--checkpoint-every":
          o.checkpointEvery = integer(1);
          break;
        case "--signing-threads":
          o.signingThreads = integer(0);
          break;
        case "--signatures": {
          const mode = need(value());
          if (mode !== "per-receipt" && mode !== "per-batch") return `--signatures must be per-receipt or per-batch, not \`${mode}\``;
          o.signatures = mode;
          break;
        }
        case "--no-watch":
          o.watch = false;
          break;
        case "--log-level":
          o.logLevel = need(value());
          break;
        case "--webhook": {
          const u = need(value());
          if (!/^https?:\/\/[^\s]+$/.test(u)) throw new Error("--webhook must be an http(s) URL");
          webhooks.push(u);
          break;
        }
        case "--webhook-secret-file":
          secretFile = need(value());
          break;
        case "--webhook-format": {
          const f = need(value());
          if (f !== "json" && f !== "slack") throw new Error("--webhook-format must be json or slack");
          format = f;
          break;
        }
        case "--public-url":
          o.publicUrl = need(value());
          if (!/^https?:\/\/[^\s]+$/.test(o.publicUrl)) throw new Error("--public-url must be an http(s) URL");
          break;
        case "-h":
        case "--help":
          return "";
        default:
          if (a.startsWith("-")) return `unknown option \`${a}\``;
          policies.push(a);
      }
    } catch (e: unknown) {
      return e instanceof Error ? e.message : String(e);
    }
  }
  if (policies.length === 0) return "give the policy: --policy PATH";
  if ((cert === undefined) !== (key === undefined)) return "give both --tls-cert and --tls-key";
  if ([o.memory === true ? true : undefined, o.state, o.postgres].filter((x) => x !== undefined).length > 1) return "give one of --state, --memory, --postgres";
  if (webhooks.length > 0 && secretFile === undefined) return "give --webhook-secret-file FILE with --webhook (receivers check the HMAC signature)";
  if (webhooks.length === 0 && secretFile !== undefined) return "--webhook-secret-file needs --webhook URL";
  return {
    options: { ...o, policies, ...(shadow.length > 0 ? { shadow } : {}), ...(cert !== undefined && key !== undefined ? { tls: { cert, key } } : {}) },
    webhook: secretFile !== undefined ? { urls: webhooks, secretFile, format } : null,
  };
}

/** The webhook targets, with the secret read from its file; or why not. */
function webhookTargets(w: NonNullable<Parsed["webhook"]>, cwd: string): ServeOptions["webhooks"] | string {
  let secret: string;
  try {
    secret = (readFileSync(path.resolve(cwd, w.secretFile), "utf8").split(/\r?\n/)[0] ?? "").trim();
  } catch (e: unknown) {
    return `cannot read the webhook secret file \`${w.secretFile}\`: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (secret.length < 16) return `the webhook secret in \`${w.secretFile}\` must be at least 16 characters`;
  return { targets: w.urls.map((url) => ({ url, secret, format: w.format })) };
}

/** Runs the service until a stop signal; resolves with the exit code. */
export async function runServeCommand(argv: readonly string[], io: ServeIO): Promise<number> {
  const parsed = parse(argv);
  if (typeof parsed === "string") {
    if (parsed === "") {
      io.stdout(SERVE_USAGE);
      return 0;
    }
    io.stderr(`xpol serve: ${parsed}\n\n${SERVE_USAGE}`);
    return 2;
  }
  let webhooks: ServeOptions["webhooks"];
  if (parsed.webhook !== null) {
    const t = webhookTargets(parsed.webhook, io.cwd);
    if (typeof t === "string") {
      io.stderr(`xpol serve: ${t}`);
      return 3;
    }
    webhooks = t;
  }
  let server;
  try {
    server = await startServer({ ...parsed.options, ...(webhooks !== undefined ? { webhooks } : {}), cwd: io.cwd });
  } catch (e: unknown) {
    if (e instanceof ServeError) {
      io.stderr(`xpol serve: ${e.code}: ${e.message}`);
      return e.exit;
    }
    io.stderr(`xpol serve: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  const running = server;
  const p = running.state.holder.identity;
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      io.stderr(`xpol serve: ${signal}: draining`);
      running.close().then(
        () => {
          process.off("SIGHUP", onHup);
          resolve(0);
        },
        (e: unknown) => {
          io.stderr(`xpol serve: closing failed: ${e instanceof Error ? e.message : String(e)}`);
          resolve(1);
        },
      );
    };
    const onTerm = (): void => stop("SIGTERM");
    const onInt = (): void => stop("SIGINT");
    // a SIGHUP during the drain is ignored: the policy no longer matters
    const onHup = (): void => void (running.state.draining ? undefined : running.state.reload("SIGHUP"));
    // the handlers are in place before the line a supervisor waits for is printed
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    process.on("SIGHUP", onHup);
    io.stderr(`xpol serve: listening on ${running.url} (policy ${p.name}${p.version !== null ? ` ${p.version}` : ""}, ${p.digest})`);
  });
}
