import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fc, test as prop } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { CanonicalizationError, canonicalize, digest, sha256Text, tryCanonicalize, type JsonValue } from "../../src/ir/index.ts";
import { parseJson } from "../../src/index.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const vectors = path.resolve(repoRoot, "test/vectors/jcs");

describe("RFC 8785 test vectors", () => {
  const names = readdirSync(path.join(vectors, "input")).filter((f) => f.endsWith(".json"));
  test("the vector set is there", () => expect(names.length).toBeGreaterThanOrEqual(6));
  for (const name of names) {
    test(name, () => {
      const input = readFileSync(path.join(vectors, "input", name), "utf8");
      const expected = readFileSync(path.join(vectors, "output", name));
      const parsed = parseJson(input);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      // Byte for byte: compare the UTF-8 encodings.
      expect(Buffer.from(canonicalize(parsed.value), "utf8").equals(expected)).toBe(true);
      // JSON.parse reads these files the same way (none has duplicate keys): the canonical form does not depend on the parser.
      expect(canonicalize(JSON.parse(input) as JsonValue)).toBe(expected.toString("utf8"));
    });
  }
});

describe("canonicalize", () => {
  test("sorts keys by UTF-16 code units, not code points or locale", () => {
    // U+FB33 (one unit, 0xFB33) sorts after U+1F602 (surrogates 0xD83D 0xDE02), though its code point is smaller.
    expect(canonicalize({ "\ufb33": 1, "\u{1f602}": 2, a: 3, B: 4 })).toBe('{"B":4,"a":3,"\u{1f602}":2,"\ufb33":1}');
  });

  test("numbers as ECMAScript writes them", () => {
    const cases: [number, string][] = [
      [0, "0"], [-0, "0"], [1, "1"], [-1.5, "-1.5"], [1e21, "1e+21"], [1e20, "100000000000000000000"], [1e-7, "1e-7"],
      [0.000001, "0.000001"], [5e-324, "5e-324"], [Number.MAX_VALUE, "1.7976931348623157e+308"], [0.1 + 0.2, "0.30000000000000004"],
      [9007199254740993, "9007199254740992"], [333333333.33333329, "333333333.3333333"],
    ];
    for (const [n, s] of cases) expect(canonicalize(n)).toBe(s);
  });

  test("string escapes per RFC 8785 §3.2.2.2", () => {
    expect(canonicalize("\u0000\u0008\t\n\u000b\f\r\u001f\"\\/\u007f\u00e9")).toBe('"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\\"\\\\/\u007f\u00e9"');
  });

  test("rejects what is not JSON, naming the path", () => {
    const bad: [unknown, string, string][] = [
      [{ a: [1, { b: NaN }] }, "XP4006", "$.a[1].b"],
      [{ x: Infinity }, "XP4006", "$.x"],
      [{ "\ud800": 1 }, "XP4007", '$["\\ud800"]'],
      [["ok", "\udc00x"], "XP4007", "$[1]"],
      [{ u: undefined }, "XP4006", "$.u"],
      [{ b: 10n }, "XP4006", "$.b"],
      [{ d: new Date(0) }, "XP4006", "$.d"],
      [{ f: () => 1 }, "XP4006", "$.f"],
    ];
    for (const [value, code, at] of bad) {
      const r = tryCanonicalize(value);
      expect(r.ok).toBe(false);
      if (!r.ok) expect([r.error.code, r.error.path]).toEqual([code, at]);
    }
    expect(() => canonicalize({ n: NaN })).toThrow(CanonicalizationError);
  });

  test("a cycle or absurd depth is an error, not a stack overflow", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    const r = tryCanonicalize(cyclic);
    expect(r.ok ? "ok" : r.error.code).toBe("XP4004");
  });

  test("digest is sha256 over the UTF-8 canonical bytes", () => {
    expect(sha256Text("abc")).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(digest({ b: 1, a: "é" })).toBe(sha256Text('{"a":"é","b":1}'));
    expect(digest({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

// JSON values without -0 (RFC 8785 writes it as 0, so it cannot round-trip) and with well-formed strings.
const jsonValue = fc.jsonValue({ depthSize: "small", noUnicodeString: false }).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);

describe("canonicalize properties", () => {
  prop.prop([jsonValue], { numRuns: 200 })("idempotent, and parses back to the same value", (x) => {
    const c = canonicalize(x);
    expect(canonicalize(JSON.parse(c) as JsonValue)).toBe(c);
    expect(JSON.parse(c)).toEqual(x);
  });

  prop.prop([fc.dictionary(fc.string(), fc.integer()), fc.nat()], { numRuns: 100 })("independent of key insertion order", (o, seed) => {
    const keys = Object.keys(o);
    // fromEntries, not assignment: `__proto__` must stay an own key.
    const shuffled = Object.fromEntries(keys.map((_, i) => keys[(i + seed) % keys.length]!).map((k) => [k, o[k]!]));
    expect(canonicalize(shuffled)).toBe(canonicalize(o));
  });

  test("keys beyond the writer's cache of quoted keys (4,096, then it starts over) are written the same", () => {
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}\n"${i % 7}`, i]));
    const keys = Object.keys(wide).sort();
    const expected = "{" + keys.map((k) => `${JSON.stringify(k)}:${String(wide[k])}`).join(",") + "}";
    expect(canonicalize(wide)).toBe(expected);
    expect(canonicalize(wide)).toBe(expected); // the second time from a cache that overflowed during the first
    expect(canonicalize({ b: 1, a: { "\u00e9": 2 } })).toBe('{"a":{"é":2},"b":1}');
  });

  prop.prop([fc.dictionary(fc.string({ unit: "grapheme-composite" }), fc.integer(), { maxKeys: 40 })], { numRuns: 200 })(
    "keys in UTF-16 code unit order, as the default sort writes them, for small and large objects alike",
    (o) => {
      const keys = Object.keys(o).sort();
      const expected = "{" + keys.map((k) => `${JSON.stringify(k)}:${String(o[k])}`).join(",") + "}";
      expect(canonicalize(o)).toBe(expected);
    },
  );
});
