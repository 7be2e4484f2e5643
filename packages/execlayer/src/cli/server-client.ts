// The CLI's side of `--server URL`: a few JSON requests to a running `xpol serve`, with Node's built-in fetch (no
// dependency). A refused request comes back as the service's problem details (`XPnnnn: detail`).

export interface ServerTarget {
  /** the service's base URL, e.g. http://127.0.0.1:8181 */
  readonly url: string;
  /** a bearer token (`--token`, else the XPOL_TOKEN environment variable) */
  readonly token?: string | undefined;
}

export type ServerAnswer =
  | { readonly ok: true; readonly status: number; readonly json: unknown; readonly text: string }
  | { readonly ok: false; readonly status: number; readonly message: string };

/** One request; never throws (an unreachable service is `{ ok: false, status: 0 }`). */
export async function callServer(target: ServerTarget, method: "GET" | "POST", path: string, body?: unknown): Promise<ServerAnswer> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (target.token !== undefined && target.token !== "") headers["authorization"] = `Bearer ${target.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  let text: string;
  try {
    res = await fetch(new URL(path, target.url.endsWith("/") ? target.url : target.url + "/"), {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    text = await res.text();
  } catch (e: unknown) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    return { ok: false, status: 0, message: `cannot reach ${target.url}: ${cause ?? (e instanceof Error ? e.message : String(e))}` };
  }
  let json: unknown = null;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    // not JSON (receipt lines, a checkpoint note): the caller reads `text`
  }
  if (res.ok) return { ok: true, status: res.status, json, text };
  const p = json as { code?: unknown; detail?: unknown } | null;
  const message = p !== null && typeof p.code === "string" ? `${p.code}: ${String(p.detail)}` : `HTTP ${res.status} ${text.slice(0, 200)}`;
  return { ok: false, status: res.status, message };
}

/** `--token`, else XPOL_TOKEN. */
export function tokenFrom(flag: string | undefined): string | undefined {
  return flag ?? process.env["XPOL_TOKEN"];
}
