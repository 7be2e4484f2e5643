// Kubernetes' CEL IP and CIDR libraries (k8s.io/apiserver/pkg/cel/library ip.go, cidr.go; cel-go ext/network.go
// mirrors them): `ip(s)`, `cidr(s)`, `isIP`, `isCIDR`, `ip.isCanonical`, the address predicates and CIDR
// containment. Parsing is Go's netip, strict: no leading zeros in IPv4 octets, no zones, no IPv4-mapped IPv6.
import { T, opaqueType } from "../types.ts";
import { celErrors } from "../errors.ts";
import { CelOpaqueValue, type CelResult, type CelValue } from "../values.ts";
import { globalFn, method, scanSteps } from "./decl.ts";
import type { FunctionDecl } from "../functions.ts";

export const IP_TYPE = opaqueType("net.IP");
export const CIDR_TYPE = opaqueType("net.CIDR");

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address. */
export class CelIP extends CelOpaqueValue {
  constructor(readonly bytes: Uint8Array) {
    super();
  }
  get typeName(): string {
    return "net.IP";
  }
  get is4(): boolean {
    return this.bytes.length === 4;
  }
  equals(other: CelValue): boolean {
    return other instanceof CelIP && sameBytes(this.bytes, other.bytes);
  }
  display(): string {
    return `ip(${JSON.stringify(this.toString())})`;
  }
  toJsonValue(): unknown {
    return this.toString();
  }
  override toString(): string {
    return formatAddr(this.bytes);
  }
}

/** An address with a prefix length; the address keeps its host bits (`cidr('10.0.0.1/8').ip()` is 10.0.0.1). */
export class CelCIDR extends CelOpaqueValue {
  constructor(
    readonly addr: CelIP,
    readonly bits: number,
  ) {
    super();
  }
  get typeName(): string {
    return "net.CIDR";
  }
  equals(other: CelValue): boolean {
    return other instanceof CelCIDR && other.bits === this.bits && this.addr.equals(other.addr);
  }
  display(): string {
    return `cidr(${JSON.stringify(this.toString())})`;
  }
  toJsonValue(): unknown {
    return this.toString();
  }
  override toString(): string {
    return `${this.addr.toString()}/${this.bits}`;
  }
  masked(): CelCIDR {
    return new CelCIDR(new CelIP(maskBytes(this.addr.bytes, this.bits)), this.bits);
  }
  containsIP(ip: CelIP): boolean {
    return ip.bytes.length === this.addr.bytes.length && sameBytes(maskBytes(ip.bytes, this.bits), maskBytes(this.addr.bytes, this.bits));
  }
  containsCIDR(c: CelCIDR): boolean {
    return c.addr.bytes.length === this.addr.bytes.length && this.bits <= c.bits && this.containsIP(c.addr);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

function maskBytes(b: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let k = 0; k < b.length; k++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * k));
    out[k] = b[k]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

function parseIPv4(s: string): Uint8Array | string {
  const parts = s.split(".");
  if (parts.length !== 4) return "IPv4 address too short";
  const out = new Uint8Array(4);
  for (let k = 0; k < 4; k++) {
    const p = parts[k]!;
    if (!/^\d{1,3}$/.test(p)) return `unexpected character in IPv4 field ${JSON.stringify(p)}`;
    if (p.length > 1 && p[0] === "0") return "IPv4 field has octet with leading zero";
    const v = Number(p);
    if (v > 255) return "IPv4 field has value >255";
    out[k] = v;
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | string {
  if (s.includes("%")) return "zone";
  const out = new Uint8Array(16);
  const halves = s.split("::");
  if (halves.length > 2) return "multiple :: in address";
  const groups = (h: string): number[] | string => {
    if (h === "") return [];
    const res: number[] = [];
    const fields = h.split(":");
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k]!;
      if (k === fields.length - 1 && f.includes(".")) {
        const v4 = parseIPv4(f);
        if (typeof v4 === "string") return v4;
        res.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(f)) return `each colon-separated field must have at least one digit and at most four`;
      res.push(parseInt(f, 16));
    }
    return res;
  };
  const head = groups(halves[0]!);
  if (typeof head === "string") return head;
  let all: number[];
  if (halves.length === 2) {
    const tail = groups(halves[1]!);
    if (typeof tail === "string") return tail;
    if (head.length + tail.length > 7) return "too many fields with ::";
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return "address string too short";
    all = head;
  }
  all.forEach((g, k) => {
    out[2 * k] = g >> 8;
    out[2 * k + 1] = g & 0xff;
  });
  return out;
}

/** Go's netip.ParseAddr, minus zones and IPv4-mapped IPv6 (which Kubernetes rejects). */
export function parseIP(s: string): CelIP | string {
  if (s.includes("%")) return `IP address ${JSON.stringify(s)} with zone value is not allowed`;
  const bytes = s.includes(":") ? parseIPv6(s) : parseIPv4(s);
  if (typeof bytes === "string") return `IP Address ${JSON.stringify(s)} parse error during conversion from string: ${bytes}`;
  if (bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return `IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`;
  return new CelIP(bytes);
}

export function parseCIDR(s: string): CelCIDR | string {
  const slash = s.lastIndexOf("/");
  if (slash === -1) return `CIDR ${JSON.stringify(s)} parse error during conversion from string: no '/'`;
  const ip = parseIP(s.slice(0, slash));
  if (typeof ip === "string") return `CIDR ${JSON.stringify(s)} parse error during conversion from string: ${ip}`;
  const bitsText = s.slice(slash + 1);
  const max = ip.is4 ? 32 : 128;
  if (!/^(0|[1-9]\d{0,2})$/.test(bitsText) || Number(bitsText) > max)
    return `CIDR ${JSON.stringify(s)} parse error during conversion from string: bad bits after slash: ${JSON.stringify(bitsText)}`;
  return new CelCIDR(ip, Number(bitsText));
}

/** RFC 5952: lowercase hex, the longest run of two or more zero groups as `::` (the first when tied). */
function formatAddr(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g: number[] = [];
  for (let k = 0; k < 8; k++) g.push((b[2 * k]! << 8) | b[2 * k + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen && e - k >= 2) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestStart === -1) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

const inV4 = (b: Uint8Array, prefix: readonly number[], bits: number) =>
  b.length === 4 && new CelCIDR(new CelIP(Uint8Array.from(prefix)), bits).containsIP(new CelIP(b));
const inV6 = (b: Uint8Array, first: number, second: number, bits: number) => {
  if (b.length !== 16) return false;
  const p = new Uint8Array(16);
  p[0] = first;
  p[1] = second;
  return new CelCIDR(new CelIP(p), bits).containsIP(new CelIP(b));
};

function isUnspecified(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}
function isLoopback(b: Uint8Array): boolean {
  return b.length === 4 ? b[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
}
function isMulticast(b: Uint8Array): boolean {
  return b.length === 4 ? (b[0]! & 0xf0) === 0xe0 : b[0] === 0xff;
}
function isLinkLocalUnicast(b: Uint8Array): boolean {
  return inV4(b, [169, 254, 0, 0], 16) || inV6(b, 0xfe, 0x80, 10);
}
function isLinkLocalMulticast(b: Uint8Array): boolean {
  return inV4(b, [224, 0, 0, 0], 24) || inV6(b, 0xff, 0x02, 16);
}
/** Go's netip IsGlobalUnicast: not unspecified, broadcast, loopback, multicast or link-local (private ranges are). */
function isGlobalUnicast(b: Uint8Array): boolean {
  if (b.length === 4 && b.every((x) => x === 255)) return false;
  return !isUnspecified(b) && !isLoopback(b) && !isMulticast(b) && !isLinkLocalUnicast(b);
}

const str = (v: CelValue) => v as string;
const ipOf = (v: CelValue) => v as CelIP;
const cidrOf = (v: CelValue) => v as CelCIDR;
const one = () => 1;
const scan = (args: readonly CelValue[]) => 1 + (typeof args[0] === "string" ? scanSteps(args[0]) : 0) + (typeof args[1] === "string" ? scanSteps(args[1]) : 0);

function toIP(s: string): CelResult {
  const r = parseIP(s);
  return typeof r === "string" ? celErrors.invalidArgument(r) : r;
}

function toCIDR(s: string): CelResult {
  const r = parseCIDR(s);
  return typeof r === "string" ? celErrors.invalidArgument(r) : r;
}

const predicate = (name: string, f: (b: Uint8Array) => boolean): FunctionDecl =>
  method(name, [{ id: `ip_${name}`, params: [IP_TYPE], result: T.bool, impl: (x) => f(ipOf(x).bytes), cost: one }]);

export const NETWORK_FUNCTIONS: readonly FunctionDecl[] = [
  globalFn("ip", [{ id: "string_to_ip", params: [T.string], result: IP_TYPE, impl: (s) => toIP(str(s)), cost: scan }]),
  globalFn("isIP", [{ id: "is_ip", params: [T.string], result: T.bool, impl: (s) => typeof parseIP(str(s)) !== "string", cost: scan }]),
  globalFn("ip.isCanonical", [
    {
      id: "ip_is_canonical",
      params: [T.string],
      result: T.bool,
      impl: (s) => {
        const r = parseIP(str(s));
        return typeof r === "string" ? celErrors.invalidArgument(r) : r.toString() === str(s);
      },
      cost: scan,
    },
  ]),
  method("family", [{ id: "ip_family", params: [IP_TYPE], result: T.int, impl: (x) => (ipOf(x).is4 ? 4n : 6n), cost: one }]),
  predicate("isUnspecified", isUnspecified),
  predicate("isLoopback", isLoopback),
  predicate("isLinkLocalMulticast", isLinkLocalMulticast),
  predicate("isLinkLocalUnicast", isLinkLocalUnicast),
  predicate("isGlobalUnicast", isGlobalUnicast),
  globalFn("cidr", [{ id: "string_to_cidr", params: [T.string], result: CIDR_TYPE, impl: (s) => toCIDR(str(s)), cost: scan }]),
  globalFn("isCIDR", [{ id: "is_cidr", params: [T.string], result: T.bool, impl: (s) => typeof parseCIDR(str(s)) !== "string", cost: scan }]),
  method("containsIP", [
    { id: "cidr_contains_ip_ip", params: [CIDR_TYPE, IP_TYPE], result: T.bool, impl: (c, x) => cidrOf(c).containsIP(ipOf(x)), cost: one },
    {
      id: "cidr_contains_ip_string",
      params: [CIDR_TYPE, T.string],
      result: T.bool,
      impl: (c, s) => {
        const x = toIP(str(s));
        return x instanceof CelIP ? cidrOf(c).containsIP(x) : x;
      },
      cost: scan,
    },
  ]),
  method("containsCIDR", [
    { id: "cidr_contains_cidr", params: [CIDR_TYPE, CIDR_TYPE], result: T.bool, impl: (c, d) => cidrOf(c).containsCIDR(cidrOf(d)), cost: one },
    {
      id: "cidr_contains_cidr_string",
      params: [CIDR_TYPE, T.string],
      result: T.bool,
      impl: (c, s) => {
        const d = toCIDR(str(s));
        return d instanceof CelCIDR ? cidrOf(c).containsCIDR(d) : d;
      },
      cost: scan,
    },
  ]),
  method("ip", [{ id: "cidr_ip", params: [CIDR_TYPE], result: IP_TYPE, impl: (c) => cidrOf(c).addr, cost: one }]),
  method("masked", [{ id: "cidr_masked", params: [CIDR_TYPE], result: CIDR_TYPE, impl: (c) => cidrOf(c).masked(), cost: one }]),
  method("prefixLength", [{ id: "cidr_prefix_length", params: [CIDR_TYPE], result: T.int, impl: (c) => BigInt(cidrOf(c).bits), cost: one }]),
  globalFn("string", [
    { id: "ip_to_string", params: [IP_TYPE], result: T.string, impl: (x) => ipOf(x).toString(), cost: one },
    { id: "cidr_to_string", params: [CIDR_TYPE], result: T.string, impl: (c) => cidrOf(c).toString(), cost: one },
  ]),
];
