// The extension libraries (src/cel/ext): the documented examples (cel-go's and Kubernetes'), the checker's typing,
// and the laws that hold for all inputs (fast-check): split/join round trips, lowerAscii idempotence, base64 round
// trips, CIDR containment, URL host parsing.
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { parseExpression } from "../../src/syntax/parse.ts";
import { checkExpression, TypeEnv } from "../../src/cel/checker.ts";
import { T, formatType, listType } from "../../src/cel/types.ts";
import { compileExpression, type Activation } from "../../src/cel/planner.ts";
import { CelError } from "../../src/cel/errors.ts";
import { celEquals, displayValue, type CelResult, type CelValue } from "../../src/cel/values.ts";

const env = new TypeEnv()
  .withVariable("s", T.string)
  .withVariable("sep", T.string)
  .withVariable("b", T.bytes)
  .withVariable("xs", listType(T.string))
  .withVariable("n", T.int)
  .withVariable("a", T.string);

function check(text: string) {
  const parsed = parseExpression(text);
  if (parsed.expr === null) throw new Error(`parse failed: ${text}: ${parsed.diagnostics.map((d) => d.message).join("; ")}`);
  return checkExpression(parsed.expr, env);
}

function run(text: string, activation: Activation = {}): CelResult {
  const c = check(text);
  const errors = c.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`${text}: ${errors.map((d) => d.message).join("; ")}`);
  return compileExpression(c.checked)(activation);
}

const shown = (r: CelResult): string => (r instanceof CelError ? `error: ${r.message}` : displayValue(r));

describe("documented examples", () => {
  const examples: [string, string][] = [
    // strings
    ["'tacocat'.charAt(3)", '"o"'],
    ["'ta©o©αT'.indexOf('©', 3)", "4"],
    ["'tacocat'.lastIndexOf('at')", "5"],
    ["'TacoCÆt'.lowerAscii()", '"tacocÆt"'],
    ["'tacoCαt'.upperAscii()", '"TACOCαT"'],
    ["'{0} days {0} hours'.replace('{0}', '2', 1)", '"2 days {0} hours"'],
    ["'hello world events!'.split(' ', 2)", '["hello", "world events!"]'],
    ["'ta©o©αT'.substring(2, 6)", '"©o©α"'],
    ["' \\ttext\\n '.trim()", '"text"'],
    ["'gums'.reverse()", '"smug"'],
    ["['x', 'y'].join('-')", '"x-y"'],
    ["strings.quote('first\\nsecond')", '"\\"first\\\\nsecond\\""'],
    ["'%s has %d items costing %.2f'.format(['cart', 3, 9.5])", '"cart has 3 items costing 9.50"'],
    ["'EXAMPLE.com'.lowerAscii() == 'example.com'", "true"],
    ["'bob@EXAMPLE.com'.split('@')[1].lowerAscii()", '"example.com"'],
    // math
    ["math.greatest(1, 2.5, 3u)", "3u"],
    ["math.least([5, -2, 7])", "-2"],
    ["math.abs(-3)", "3"],
    ["math.round(-1.5)", "-2"],
    ["math.bitShiftRight(-1024, 3)", "2305843009213693824"],
    // lists
    ["[1, 2, 2, 3, 3, 3].distinct()", "[1, 2, 3]"],
    ["[1, [2, [3, [4]]]].flatten(2)", "[1, 2, 3, [4]]"],
    ["lists.range(4)", "[0, 1, 2, 3]"],
    ["[5, 3, 1, 2].reverse()", "[2, 1, 3, 5]"],
    ["[1, 2, 3, 4].slice(1, 3)", "[2, 3]"],
    ["['b', 'c', 'a'].sort()", '["a", "b", "c"]'],
    // encoders
    ["base64.encode(b'hello')", '"aGVsbG8="'],
    ["base64.decode('aGVsbG8')", 'b"\\x68\\x65\\x6c\\x6c\\x6f"'],
    // optionals and cel.bind
    ["{'a': 1}.?b.orValue(0)", "0"],
    ["{'a': {'b': 2}}.?a.b.value()", "2"],
    ["[1, 2][?5].hasValue()", "false"],
    ["optional.of(1).or(optional.of(2)).value()", "1"],
    ["{?'a': optional.none(), 'b': 2}", '{"b": 2}'],
    ["[?optional.of(1), ?optional.none()]", "[1]"],
    ["cel.bind(x, 'abc', x + x)", '"abcabc"'],
    // Kubernetes: URLs, IPs and CIDRs, regexes
    ["url('https://user:pass@example.com:80/path?query=val#fragment').getHost()", '"example.com:80"'],
    ["url('https://[::1]:80/').getHostname()", '"::1"'],
    ["url('https://example.com:80/').getPort()", '"80"'],
    ["url('https://example.com/path with spaces/').getEscapedPath()", '"/path%20with%20spaces/"'],
    ["url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()", '{"k1": ["a"], "k2": ["b", "c"]}'],
    ["url('/path').getScheme()", '""'],
    ["isURL('https://a:b:c/')", "false"],
    ["isURL('../relative-path')", "false"],
    ["ip('127.0.0.1').isLoopback()", "true"],
    ["ip('::1').family()", "6"],
    ["ip('fe80::1').isLinkLocalUnicast()", "true"],
    ["ip('224.0.0.1').isLinkLocalMulticast()", "true"],
    ["ip('0.0.0.0').isUnspecified()", "true"],
    ["ip('8.8.8.8').isGlobalUnicast()", "true"],
    ["ip.isCanonical('2001:db8::1')", "true"],
    ["ip.isCanonical('2001:db8:0:0:0:0:0:1')", "false"],
    ["isIP('1.2.3.4') && !isIP('1.2.3.04')", "true"],
    ["cidr('10.0.0.0/8').containsIP(ip('10.0.0.1'))", "true"],
    ["cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", "true"],
    ["cidr('192.168.1.5/24').ip() == ip('192.168.1.5')", "true"],
    ["cidr('192.168.1.5/24').masked() == cidr('192.168.1.0/24')", "true"],
    ["cidr('192.168.1.0/24').prefixLength()", "24"],
    ["string(cidr('2001:db8::/32'))", '"2001:db8::/32"'],
    ["'abc 123 def 456'.find('[0-9]+')", '"123"'],
    ["'abc 123 def 456'.findAll('[0-9]+')", '["123", "456"]'],
    ["'abc 123 def 456'.findAll('[0-9]+', 1)", '["123"]'],
  ];
  it.each(examples)("%s is %s", (text, expected) => {
    expect(shown(run(text))).toBe(expected);
  });

  it("an allowlist of hosts is sound with url(): a look-alike host is not the allowed one", () => {
    const allowed = "url(a).getHostname() in ['informations.com', 'www.informations.com']";
    expect(run(allowed, { a: "https://www.informations.com/page" })).toBe(true);
    expect(run(allowed, { a: "https://www.informations.com.evil.example/page" })).toBe(false);
    expect(run(allowed, { a: "https://www.informations.com@evil.example/page" })).toBe(false);
    // what `contains` accepted
    expect(run("a.contains('www.informations.com')", { a: "https://www.informations.com.evil.example/page" })).toBe(true);
  });

  it("errors carry cel-go's messages", () => {
    expect(shown(run("'tacocat'.substring(4, 3)"))).toBe("error: invalid substring range. start: 4, end: 3");
    expect(shown(run("ip('::ffff:1.2.3.4')"))).toBe('error: IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed');
    expect(shown(run("url('https://a:b:c/')"))).toMatch(/invalid port ":c" after host/);
    expect(shown(run("[1, 2].slice(1, 3)"))).toBe("error: cannot slice(1, 3), list is length 2");
    expect(shown(run("optional.none().value()"))).toBe("error: optional.none() dereference");
  });
});

describe("the checker types the extensions", () => {
  const types: [string, string][] = [
    ["s.split(',')", "list(string)"],
    ["s.lowerAscii()", "string"],
    ["{'a': 1}.?a", "optional_type(int)"],
    ["[1][?0]", "optional_type(int)"],
    ["optional.of('x').orValue('y')", "string"],
    ["cel.bind(v, [1, 2], v.size())", "int"],
    ["url(s)", "kubernetes.URL"],
    ["cidr(s).ip()", "net.IP"],
    ["url(s).getQuery()", "map(string, list(string))"],
    ["math.abs(1.5)", "double"],
    ["lists.range(3)", "list(int)"],
  ];
  it.each(types)("%s : %s", (text, type) => {
    const c = check(text);
    expect(c.diagnostics).toEqual([]);
    expect(formatType(c.type)).toBe(type);
  });

  it("rejects misuse at check time, with the signatures", () => {
    const messages = (text: string) => check(text).diagnostics.map((d) => `${d.message} | ${d.help ?? ""}`);
    expect(messages("s.split(1)")[0]).toMatch(/no matching overload for `split`.*string\.split\(string\)/);
    expect(messages("math.greatest('a', 'b')")[0]).toMatch(/math\.greatest.*takes numbers/);
    expect(messages("s.find('(')")[0]).toMatch(/invalid regular expression/);
    expect(messages("[?1]")[0]).toMatch(/optional_type/);
    expect(messages("s.lowerAsci()")[0]).toMatch(/did you mean `lowerAscii`/);
  });
});

const str = fc.string({ unit: "binary", maxLength: 40 });

describe("laws (for all inputs)", () => {
  test.prop([str, fc.string({ unit: "binary", minLength: 1, maxLength: 4 })])("s.split(sep).join(sep) == s", (s, sep) => {
    expect(run("s.split(sep).join(sep) == s", { s, sep })).toBe(true);
  });

  test.prop([str])("lowerAscii is idempotent, changes only ASCII letters and keeps the length", (s) => {
    const once = run("s.lowerAscii()", { s }) as string;
    expect(run("s.lowerAscii().lowerAscii() == s.lowerAscii()", { s })).toBe(true);
    expect(once.length).toBe(s.length);
    for (let k = 0; k < s.length; k++) if (s[k] !== once[k]) expect(s[k]).toMatch(/[A-Z]/);
  });

  test.prop([str])("reverse twice is the identity; size counts code points", (s) => {
    expect(run("s.reverse().reverse() == s && size(s.reverse()) == size(s)", { s })).toBe(true);
  });

  test.prop([str, fc.nat({ max: 50 })])("charAt(i) is substring(i, i + 1) within range", (s, i) => {
    const r = run("n < size(s) ? s.charAt(n) == s.substring(n, n + 1) : true", { s, n: BigInt(i) });
    expect(r).toBe(true);
  });

  test.prop([fc.uint8Array({ maxLength: 64 })])("base64.decode(base64.encode(b)) == b", (b) => {
    expect(run("base64.decode(base64.encode(b)) == b", { b })).toBe(true);
  });

  test.prop([fc.array(fc.string({ maxLength: 3 }), { maxLength: 20 })])("sort is ordered and a permutation; distinct is idempotent", (xs) => {
    const sorted = run("xs.sort()", { xs }) as string[];
    expect(sorted).toEqual([...xs].sort((p, q) => (p < q ? -1 : p > q ? 1 : 0)));
    expect(run("xs.distinct().distinct() == xs.distinct() && xs.distinct().all(x, x in xs)", { xs })).toBe(true);
  });

  const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
  test.prop([ipv4, fc.nat(32), fc.nat(32)])("a CIDR contains its address, its masked self, and every longer prefix of its address", (ip, bits, more) => {
    const longer = Math.min(32, bits + more);
    const r = run(
      `cidr(a + '/${bits}').containsIP(a) && cidr(a + '/${bits}').masked().containsCIDR(cidr(a + '/${bits}')) && cidr(a + '/${bits}').containsCIDR(a + '/${longer}') && (${longer} == ${bits} || !cidr(a + '/${longer}').containsCIDR(a + '/${bits}') || cidr(a + '/${longer}').masked() == cidr(a + '/${bits}').masked())`,
      { a: ip },
    );
    expect(r).toBe(true);
  });

  test.prop([ipv4, ipv4, fc.nat(32)])("containsIP agrees with comparing the first `bits` bits", (x, y, bits) => {
    const toBits = (ip: string) => ip.split(".").map((o) => Number(o).toString(2).padStart(8, "0")).join("");
    const expected = toBits(x).slice(0, bits) === toBits(y).slice(0, bits);
    expect(run(`cidr(a + '/${bits}').containsIP(s)`, { a: x, s: y })).toBe(expected);
  });

  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  test.prop([fc.array(label, { minLength: 1, maxLength: 4 }), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })])(
    "url('https://' + host + '/p').getHostname() is the host, whatever follows it",
    (labels, port) => {
      const host = labels.join(".");
      const a = `https://${host}${port === undefined ? "" : `:${port}`}/p?q=${host}.evil#x`;
      expect(run("url(a).getHostname()", { a })).toBe(host);
      expect(run("url(a).getPort()", { a })).toBe(port === undefined ? "" : String(port));
    },
  );

  test.prop([str])("'%s'.format([s]) == s and strings.quote of s parses back to s", (s) => {
    expect(run("'%s'.format([s]) == s", { s })).toBe(true);
    const quoted = run("strings.quote(s)", { s }) as string;
    const back = parseExpression(quoted);
    if (!/[\uD800-\uDFFF]/.test(s)) {
      expect(back.expr?.kind).toBe("literal");
      const value = back.expr !== null && back.expr.kind === "literal" && back.expr.literal.type === "string" ? back.expr.literal.value : undefined;
      expect(value).toBe(s);
    }
  });
});

it("values of the new types compare by value", () => {
  const eq = (x: string, y: string) => celEquals(run(x) as CelValue, run(y) as CelValue);
  expect(eq("ip('::1')", "ip('0:0:0:0:0:0:0:1')")).toBe(true);
  expect(eq("optional.of(1)", "optional.of(1u)")).toBe(true);
  expect(eq("optional.none()", "optional.of(1)")).toBe(false);
});
