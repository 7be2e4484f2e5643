// `xpol mcp`: the core's CLI loads this package on demand and hands it the arguments. The proxy runs until the client
// closes stdio, or SIGTERM/SIGINT; SIGHUP reloads the policy (a policy that does not check keeps the running one).
import path from "node:path";
import { ServeError } from "@execlayer/server";
import { discover, DISCOVER_USAGE } from "./discover.ts";
import { readIdentityFile, readJsonObject, type Identities } from "./identity.ts";
import { startProxy, type ProxyOptions } from "./proxy.ts";
import type { UpstreamSpec } from "./upstream.ts";
import { parseDuration, splitCommand, upstreamOf } from "./args.ts";

/** What the command needs from the outside world (the core CLI's CliIO has this shape). */
export interface McpIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
}

export const MCP_USAGE = `usage: xpol mcp (--policy PATH... [--state DIR | --memory] | --server URL [--token-file FILE])
                [--signatures MODE] [--signing-threads N]
                [--actor JSON] [--context JSON] [--identity FILE] [--bundle-signers KEYRING --bundle-quorum M]
                [--wait DURATION] [--hide-denied] [--restart] [--timeout DURATION] [--no-watch]
                [--listen HOST:PORT [--session-idle DURATION]] [--tokens FILE] [--approvals HOST:PORT]
                (-- COMMAND ARGS... | --upstream URL)
       xpol mcp discover [--out FILE] (-- COMMAND ARGS... | --upstream URL)

  A proxy between an MCP client and an MCP server: every tools/call and resources/read is decided by the policy
  before it is forwarded (allowed: forwarded with exactly the decided arguments; denied: a tool result with
  isError naming the reason, the code and the receipt; approval required: what is pending, who must sign, where).

  --policy PATH      a .xpol file of the policy (repeat for each file), or one bundle .json (\`xpol compile\`)
  --bundle-signers F load only a signed bundle (--policy BUNDLE.json): F is the policy approvers' keyring
  --bundle-quorum M  ... and M of them must have approved its digest (\`xpol sign-bundle\`); a reload too
  --state DIR        the durable store: counters, approval requests, the signed receipt log (default ./xpol-state)
  --signatures MODE  with --state: per-receipt (default; every receipt signed) or per-batch (one signed seal per
                     group commit; every receipt still verifies offline with its inclusion proof), as \`xpol serve\`
  --signing-threads N  with --state and per-receipt signatures: sign on N worker threads (default 0: this thread)
  --memory           keep state in memory only: no receipts, nothing survives a restart
  --server URL       decide through a remote \`xpol serve\` instead (its policy, counters, approvals, receipts, shared
                     by every proxy using it); unreachable, slow or answering an error: the call is denied
  --token-file FILE  the bearer token (agent role) for --server
  --server-timeout D how long a remote decision may take before the call is denied (default 10s)
  --actor JSON       the actor of every decision, as JSON or @FILE (never taken from the model or the server)
  --context JSON     the context of every decision, as JSON or @FILE
  --identity FILE    {"actor", "context", "clients": {"<token name>": {"actor", "context"}}} (HTTP clients by token)
  --wait DURATION    hold a call that needs approval open while approvers sign (e.g. 90s, 10m; progress
                     notifications while waiting), then run it once
  --hide-denied      leave out of tools/list the tools the policy can never allow (no mapping, or no rule
                     that can allow them or ask for approval)
  --restart          start the upstream again after it exits (default: later calls get an error saying why)
  --timeout DURATION how long an upstream request may take (default 60s)
  --no-watch         do not reload the policy when its files change (SIGHUP still reloads)
  --upstream URL     proxy a Streamable HTTP server instead of starting COMMAND
  --listen HOST:PORT serve MCP clients over Streamable HTTP at http://HOST:PORT/mcp instead of stdio
  --session-idle D   --listen: end a 2025-era client's session after D without a request (default 30m)
  --tokens FILE      bearer tokens (xpol serve's format; role agent for MCP clients, approver for the approvals API)
  --approvals HOST:PORT  where the approvals API listens (default 127.0.0.1:0: a free loopback port, printed)

exit codes: 0 the client closed the connection or SIGTERM/SIGINT, 1 the policy does not check or the upstream
            cannot start, 2 usage or a refused configuration, 3 a file cannot be read`;

interface Parsed {
  readonly options: Omit<ProxyOptions, "cwd">;
}

function parse(all: readonly string[], cwd: string): Parsed | { error: string; exit: number } | "help" {
  const policies: string[] = [];
  const o: { -readonly [K in keyof ProxyOptions]?: ProxyOptions[K] } = {};
  let actor: string | undefined;
  let context: string | undefined;
  let identityFile: string | undefined;
  let upstreamUrl: string | undefined;
  const { options: argv, command } = splitCommand(all);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const need = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const duration = (): number => {
      const v = need();
      const ms = parseDuration(v);
      if (ms === null || ms <= 0) throw new Error(`${a} takes a duration such as 90s, 10m or 500ms, not \`${v}\``);
      return ms;
    };
    try {
      switch (a) {
        case "--policy":
          policies.push(need());
          break;
        case "--bundle-signers":
          o.bundleSigners = need();
          break;
        case "--bundle-quorum": {
          const v = need();
          if (!/^[1-9]\d*$/.test(v)) throw new Error(`--bundle-quorum takes a whole number of at least 1, not \`${v}\``);
          o.bundleQuorum = Number(v);
          break;
        }
        case "--state":
          o.state = need();
          break;
        case "--memory":
          o.memory = true;
          break;
        case "--signatures": {
          const v = need();
          if (v !== "per-receipt" && v !== "per-batch") throw new Error(`--signatures takes per-receipt or per-batch, not \`${v}\``);
          o.signatures = v;
          break;
        }
        case "--signing-threads": {
          const v = need();
          if (!/^\d+$/.test(v)) throw new Error(`--signing-threads takes a whole number, not \`${v}\``);
          o.signingThreads = Number(v);
          break;
        }
        case "--server":
          o.server = need();
          break;
        case "--token-file":
          o.tokenFile = need();
          break;
        case "--server-timeout":
          o.serverTimeoutMs = duration();
          break;
        case "--actor":
          actor = need();
          break;
        case "--context":
          context = need();
          break;
        case "--identity":
          identityFile = need();
          break;
        case "--wait":
          o.waitMs = duration();
          break;
        case "--hide-denied":
          o.hideDenied = true;
          break;
        case "--restart":
          o.restart = true;
          break;
        case "--timeout":
          o.upstreamTimeoutMs = duration();
          break;
        case "--upstream":
          upstreamUrl = need();
          break;
        case "--listen":
          o.listen = need();
          break;
        case "--tokens":
          o.tokensFile = need();
          break;
        case "--session-idle":
          o.sessionIdleMs = duration();
          break;
        case "--approvals":
          o.approvalsListen = need();
          break;
        case "--no-watch":
          o.watch = false;
          break;
        case "-h":
        case "--help":
          return "help";
        default:
          return { error: `unknown option \`${a}\``, exit: 2 };
      }
    } catch (e: unknown) {
      return { error: e instanceof Error ? e.message : String(e), exit: 2 };
    }
  }
  if (o.server !== undefined) {
    const clash = [policies.length > 0 ? "--policy" : null, o.state !== undefined ? "--state" : null, o.memory === true ? "--memory" : null, o.bundleSigners !== undefined ? "--bundle-signers" : null, o.approvalsListen !== undefined ? "--approvals" : null, o.hideDenied === true ? "--hide-denied" : null].filter((f) => f !== null);
    if (clash.length > 0) return { error: `--server excludes ${clash.join(", ")}: the remote service's policy, state and approvals serve`, exit: 2 };
  } else {
    if (policies.length === 0) return { error: "give the policy: --policy PATH (or a remote decision service: --server URL)", exit: 2 };
    if (o.tokenFile !== undefined || o.serverTimeoutMs !== undefined) return { error: "--token-file and --server-timeout go with --server", exit: 2 };
  }
  if (o.memory === true && o.state !== undefined) return { error: "give one of --state, --memory", exit: 2 };
  if ((o.signatures !== undefined || o.signingThreads !== undefined) && (o.memory === true || o.server !== undefined)) {
    return { error: "--signatures and --signing-threads go with the durable store (--state): --memory and --server sign no receipts here", exit: 2 };
  }
  const upstream = upstreamOf(command, upstreamUrl, cwd);
  if (typeof upstream === "string") return { error: upstream, exit: 2 };
  let identities: Identities = { default: {}, clients: new Map() };
  if (identityFile !== undefined) {
    const r = readIdentityFile(identityFile, cwd);
    if (!r.ok) return { error: r.error, exit: 3 };
    identities = r.value;
  }
  const base = { ...identities.default };
  for (const [flag, text, key] of [["--actor", actor, "actor"], ["--context", context, "context"]] as const) {
    if (text === undefined) continue;
    const r = readJsonObject(text, flag.slice(2), cwd);
    if (!r.ok) return { error: `${flag}: ${r.error}`, exit: text.startsWith("@") ? 3 : 2 };
    base[key] = r.value;
  }
  return { options: { ...o, ...(policies.length > 0 ? { policies } : {}), upstream, identities: { default: base, clients: identities.clients } } };
}

/** Runs the proxy until the client goes away or a stop signal; resolves with the exit code. */
export async function runMcpCommand(argv: readonly string[], io: McpIO): Promise<number> {
  if (argv[0] === "discover") return discover(argv.slice(1), io);
  const parsed = parse(argv, io.cwd);
  if (parsed === "help") {
    io.stdout(`${MCP_USAGE}\n\n${DISCOVER_USAGE}`);
    return 0;
  }
  if ("error" in parsed) {
    io.stderr(`xpol mcp: ${parsed.error}\n\n${MCP_USAGE}`);
    return parsed.exit;
  }
  let proxy;
  try {
    proxy = await startProxy({ ...parsed.options, cwd: io.cwd, log: (line) => io.stderr(`xpol mcp: ${line}`) });
  } catch (e: unknown) {
    if (e instanceof ServeError) {
      io.stderr(`xpol mcp: ${e.code}: ${e.message}`);
      return e.exit;
    }
    io.stderr(`xpol mcp: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  const running = proxy;
  const where = running.mcpUrl ?? "stdio";
  const local = running.service;
  if (local === null) {
    io.stderr(`xpol mcp: serving ${where} for ${describe(parsed.options.upstream)}; deciding through ${running.approvalsUrl} (approvals at ${running.approvalsUrl}/v1/approvals)`);
  } else {
    const p = local.state.holder.identity;
    const stateDir = local.state.stateDir;
    io.stderr(
      `xpol mcp: serving ${where} for ${describe(parsed.options.upstream)} (policy ${p.name}${p.version !== null ? ` ${p.version}` : ""}, ${p.digest}); approvals at ${local.url}/v1/approvals${stateDir !== null ? `; receipts in ${path.relative(io.cwd, stateDir) || "."}` : ""}`,
    );
  }
  return new Promise<number>((resolve) => {
    const stop = (why: string): void => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      process.off("SIGHUP", onHup);
      process.stdin.off("end", onEnd);
      io.stderr(`xpol mcp: ${why}: stopping`);
      running.close().then(
        () => resolve(0),
        (e: unknown) => {
          io.stderr(`xpol mcp: closing failed: ${e instanceof Error ? e.message : String(e)}`);
          resolve(1);
        },
      );
    };
    const onTerm = (): void => stop("SIGTERM");
    const onInt = (): void => stop("SIGINT");
    const onEnd = (): void => stop("the client closed stdin");
    // the remote service reloads its own policy
    const onHup = (): void => void local?.state.reload("SIGHUP");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    process.on("SIGHUP", onHup);
    if (running.mcpUrl === null) process.stdin.on("end", onEnd);
  });
}

function describe(u: UpstreamSpec): string {
  return u.kind === "http" ? u.url : [u.command, ...u.args].join(" ");
}
