// Kubernetes' CEL URL library (k8s.io/apiserver/pkg/cel/library/urls.go): `url(s)` accepts what Go's
// url.ParseRequestURI accepts (an absolute URI or an absolute path) and reads the parts as url.Parse does;
// `isURL(s)`; getScheme, getHost, getHostname, getPort, getEscapedPath, getQuery. The host is the parsed authority,
// so `url(u).getHostname() == 'example.com'` is a sound host check where `u.contains('example.com')` is not.
import { T, listType, mapType, opaqueType } from "../types.ts";
import { celErrors } from "../errors.ts";
import { CelMap, CelOpaqueValue, type CelResult, type CelValue } from "../values.ts";
import { globalFn, method, scanSteps } from "./decl.ts";
import type { FunctionDecl } from "../functions.ts";

export const URL_TYPE = opaqueType("kubernetes.URL");

interface UrlParts {
  readonly scheme: string;
  readonly opaque: string;
  readonly host: string;
  /** decoded */
  readonly path: string;
  /** the path as written, when it is a valid encoding of `path` other than the default one */
  readonly rawPath: string;
  readonly rawQuery: string;
}

export class CelURL extends CelOpaqueValue {
  constructor(
    readonly text: string,
    readonly parts: UrlParts,
  ) {
    super();
  }
  get typeName(): string {
    return "kubernetes.URL";
  }
  equals(other: CelValue): boolean {
    return other instanceof CelURL && other.text === this.text;
  }
  display(): string {
    return `url(${JSON.stringify(this.text)})`;
  }
  toJsonValue(): unknown {
    return this.text;
  }
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

function hasCtl(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

type Mode = "path" | "host" | "query" | "userinfo";

/** Go's shouldEscape for the modes used here. */
function shouldEscape(c: string, mode: Mode): boolean {
  if (/[A-Za-z0-9]/.test(c)) return false;
  if (mode === "host") return !"-._~!$&'()*+,;=:[]<>\"".includes(c);
  if ("-_.~".includes(c)) return false;
  if ("$&+,/:;=?@".includes(c)) {
    if (mode === "path") return c === "?";
    if (mode === "userinfo") return c === "@" || c === "/" || c === "?" || c === ":";
    return true; // query component
  }
  return true;
}

/** Go's unescape: `%XX` decoding (UTF-8), `+` as space in query components; undefined on a bad escape. */
function unescape(s: string, mode: Mode): string | undefined {
  if (mode === "host") {
    for (const c of s) if (c !== "%" && c.charCodeAt(0) < 0x80 && shouldEscape(c, "host")) return undefined;
  }
  if (!s.includes("%") && (mode !== "query" || !s.includes("+"))) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let k = 0; k < s.length; k++) {
    const c = s[k]!;
    if (c === "%") {
      const h = s.slice(k + 1, k + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) return undefined;
      bytes.push(parseInt(h, 16));
      k += 2;
    } else if (c === "+" && mode === "query") bytes.push(0x20);
    else bytes.push(...enc.encode(c));
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** Go's escape in path mode: what must be, as %XX (upper case). */
function escapePath(s: string): string {
  let out = "";
  for (const c of s) {
    if (c.charCodeAt(0) < 0x80 && !shouldEscape(c, "path")) out += c;
    else for (const b of new TextEncoder().encode(c)) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Go's url.parse; `viaRequest` is ParseRequestURI's strictness (no relative references, no fragment split). */
function parse(raw: string, viaRequest: boolean): UrlParts | string {
  if (hasCtl(raw)) return "net/url: invalid control character in URL";
  if (raw === "" && viaRequest) return "empty url";
  let rest = raw;
  if (!viaRequest) {
    const hash = rest.indexOf("#");
    if (hash !== -1) rest = rest.slice(0, hash);
  }
  let scheme = "";
  const colon = rest.indexOf(":");
  if (colon !== -1) {
    const candidate = rest.slice(0, colon);
    if (colon === 0) return "missing protocol scheme";
    if (SCHEME.test(candidate)) {
      scheme = candidate.toLowerCase();
      rest = rest.slice(colon + 1);
    } else if (/^[A-Za-z0-9+.-]*$/.test(candidate) && !/^[A-Za-z]/.test(candidate)) {
      // Go: a ':' after characters that cannot start a scheme is "first path segment in URL cannot contain colon"
      // for relative references; there is no scheme
    }
  }
  let rawQuery = "";
  if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf("?");
    if (q !== -1) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { scheme, opaque: rest, host: "", path: "", rawPath: "", rawQuery };
    if (viaRequest) return "invalid URI for request";
    const seg = rest.indexOf("/");
    const first = seg === -1 ? rest : rest.slice(0, seg);
    if (first.includes(":")) return "first path segment in URL cannot contain colon";
  }
  let host = "";
  if ((scheme !== "" || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    const authority = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash === -1 ? "" : rest.slice(slash);
    const at = authority.lastIndexOf("@");
    const hostText = at === -1 ? authority : authority.slice(at + 1);
    if (at !== -1 && !/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(authority.slice(0, at))) return "net/url: invalid userinfo";
    const h = parseHost(hostText);
    if (h === undefined) return `invalid host ${JSON.stringify(hostText)}`;
    if (typeof h === "object") return h.error;
    host = h;
  }
  const path = unescape(rest, "path");
  if (path === undefined) return `invalid URL escape in ${JSON.stringify(rest)}`;
  const rawPath = escapePath(path) === rest ? "" : rest;
  return { scheme, opaque: "", host, path, rawPath, rawQuery };
}

/** Go's parseHost: a bracketed IPv6 literal with an optional port, or a name with an optional numeric port. */
function parseHost(host: string): string | { error: string } | undefined {
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close === -1) return { error: "missing ']' in host" };
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${JSON.stringify(colonPort)} after host` };
    return unescape(host, "host");
  }
  const colon = host.lastIndexOf(":");
  if (colon !== -1) {
    const colonPort = host.slice(colon);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${JSON.stringify(colonPort)} after host` };
  }
  const h = unescape(host, "host");
  return h === undefined ? { error: `invalid character in host name ${JSON.stringify(host)}` } : h;
}

function validOptionalPort(p: string): boolean {
  return p === "" || /^:\d*$/.test(p);
}

export function parseURL(s: string): CelURL | string {
  const check = parse(s, true);
  if (typeof check === "string") return `URL parse error during conversion from string: parse ${JSON.stringify(s)}: ${check}`;
  const parts = parse(s, false);
  if (typeof parts === "string") return `URL parse error during conversion from string: parse ${JSON.stringify(s)}: ${parts}`;
  return new CelURL(s, parts);
}

function hostname(host: string): string {
  const { name } = splitHostPort(host);
  return name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
}

function splitHostPort(host: string): { name: string; port: string } {
  const colon = host.lastIndexOf(":");
  if (colon !== -1 && validOptionalPort(host.slice(colon)) && (!host.startsWith("[") || host.lastIndexOf("]") < colon))
    return { name: host.slice(0, colon), port: host.slice(colon + 1) };
  return { name: host, port: "" };
}

/** Go's validEncoded(s, encodePath): only characters a path may hold as written. */
function validEncodedPath(s: string): boolean {
  for (const c of s) {
    if ("!$&'()*+,;=:@[]%".includes(c)) continue;
    if (c.charCodeAt(0) >= 0x80 || shouldEscape(c, "path")) return false;
  }
  return true;
}

function escapedPath(p: UrlParts): string {
  if (p.rawPath !== "" && validEncodedPath(p.rawPath) && unescape(p.rawPath, "path") === p.path) return p.rawPath;
  if (p.path === "*") return "*";
  return escapePath(p.path);
}

/** Go's url.ParseQuery (errors skipped, as u.Query() does): keys to their values in order. */
function query(rawQuery: string): CelMap {
  const values = new Map<string, string[]>();
  for (const part of rawQuery.split("&")) {
    if (part === "" || part.includes(";")) continue;
    const eq = part.indexOf("=");
    const k = unescape(eq === -1 ? part : part.slice(0, eq), "query");
    const v = unescape(eq === -1 ? "" : part.slice(eq + 1), "query");
    if (k === undefined || v === undefined) continue;
    const list = values.get(k);
    if (list === undefined) values.set(k, [v]);
    else list.push(v);
  }
  return CelMap.fromObject(Object.fromEntries(values));
}

const u = (v: CelValue) => (v as CelURL).parts;
const one = () => 1;
const scan = (args: readonly CelValue[]) => 1 + (typeof args[0] === "string" ? scanSteps(args[0]) : 0);
const partCost = (args: readonly CelValue[]) => 1 + scanSteps((args[0] as CelURL).text);

function toURL(s: string): CelResult {
  const r = parseURL(s);
  return typeof r === "string" ? celErrors.invalidArgument(r) : r;
}

const getter = (name: string, f: (p: UrlParts) => CelValue): FunctionDecl =>
  method(name, [{ id: `url_${name}`, params: [URL_TYPE], result: T.string, impl: (x) => f(u(x)), cost: partCost }]);

export const URL_FUNCTIONS: readonly FunctionDecl[] = [
  globalFn("url", [{ id: "string_to_url", params: [T.string], result: URL_TYPE, impl: (s) => toURL(s as string), cost: scan }]),
  globalFn("isURL", [{ id: "is_url_string", params: [T.string], result: T.bool, impl: (s) => typeof parse(s as string, true) !== "string", cost: scan }]),
  getter("getScheme", (p) => p.scheme),
  getter("getHost", (p) => p.host),
  getter("getHostname", (p) => hostname(p.host)),
  getter("getPort", (p) => splitHostPort(p.host).port),
  getter("getEscapedPath", escapedPath),
  method("getQuery", [
    { id: "url_get_query", params: [URL_TYPE], result: mapType(T.string, listType(T.string)), impl: (x) => query(u(x).rawQuery), cost: partCost },
  ]),
  globalFn("string", [{ id: "url_to_string", params: [URL_TYPE], result: T.string, impl: (x) => (x as CelURL).text, cost: one }]),
];

