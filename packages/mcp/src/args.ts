// What `xpol mcp` and `xpol mcp discover` read from their command lines alike: the server after `--` or the URL of
// `--upstream`, and durations.
import type { UpstreamSpec } from "./upstream.ts";

/** `90s`, `10m`, `2h`, `500ms` -> ms; null for anything else. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (m === null) return null;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

/** The options before `--`, and the server command after it (null without `--`). */
export function splitCommand(argv: readonly string[]): { options: readonly string[]; command: readonly string[] | null } {
  const at = argv.indexOf("--");
  return at < 0 ? { options: argv, command: null } : { options: argv.slice(0, at), command: argv.slice(at + 1) };
}

/** The upstream server: exactly one of a command (stdio) and an http(s) URL; a message when not. */
export function upstreamOf(command: readonly string[] | null, url: string | undefined, cwd: string): UpstreamSpec | string {
  const hasCommand = command !== null && command.length > 0;
  if (hasCommand === (url !== undefined)) return "give the upstream server: `-- COMMAND ARGS...` (stdio) or `--upstream URL` (Streamable HTTP), one of them";
  if (url !== undefined) return /^https?:\/\//.test(url) ? { kind: "http", url } : `--upstream takes an http(s) URL, not \`${url}\``;
  return { kind: "stdio", command: command![0]!, args: command!.slice(1), cwd };
}
