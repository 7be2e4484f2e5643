import { fc, test as prop } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { parseJson } from "../../src/index.ts";

const err = (text: string, options = {}) => {
  const r = parseJson(text, options);
  if (r.ok) throw new Error(`expected an error for ${text.slice(0, 40)}`);
  return r.error;
};

describe("parseJson", () => {
  test("parses what JSON.parse parses", () => {
    const text = ' { "a" : [1, -0.5e-3, true, false, null, "x\\u00e9\\n\\ud83d\\ude02"], "b": {}, "c": [] } ';
    expect(parseJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  test("rejects duplicate keys with their path and offset", () => {
    expect(err('{"a":1,"a":2}')).toEqual({ code: "XP4002", message: "duplicate key `a`", path: "$.a", offset: 7 });
    expect(err('{"x":[{"b":1},{"k":{"q":1,"q":1}}]}')).toMatchObject({ code: "XP4002", path: "$.x[1].k.q" });
  });

  test("malformed JSON names the path and offset", () => {
    const cases: [string, string, number][] = [
      ['{"a":[1,{"b":tru}]}', "$.a[1].b", 13],
      ["[1,2", "$", 4],
      ["[1,]", "$[1]", 3],
      ['{"a":1,}', "$", 7],
      ['{"a" 1}', "$.a", 5],
      ['"abc', "$", 0],
      ['{"k":"\\q"}', "$.k", 6],
      ['{"k":"a\u0001"}', "$.k", 7],
      ["[1] x", "$", 4],
      ["", "$", 0],
      ["01", "$", 1],
      ["1.", "$", 2],
      ["-", "$", 1],
      ["\ufeff{}", "$", 0],
      ["{'a':1}", "$", 1],
      ["[NaN]", "$[0]", 1],
      ["[Infinity]", "$[0]", 1],
      ['{"a":"\\u12"}', "$.a", 6],
    ];
    for (const [text, path, offset] of cases) {
      const e = err(text);
      expect({ text, code: e.code, path: e.path, offset: e.offset }).toEqual({ text, code: "XP4001", path, offset });
    }
  });

  test("numbers that overflow to Infinity are not JSON values", () => {
    expect(err("[1e400]")).toMatchObject({ code: "XP4006", path: "$[0]" });
  });

  test("integers beyond ±2^53 are rejected, not rounded", () => {
    expect(err('{"amount": 12345678901234567890}')).toMatchObject({ code: "XP4005", path: "$.amount", offset: 11 });
    expect(err("[-9007199254740992]")).toMatchObject({ code: "XP4005" });
    expect(parseJson("[9007199254740991, -9007199254740991, 1e300, 12345678901234567890.0]").ok).toBe(true);
  });

  test("depth limit: 64 levels parse, 65 do not, and nothing recurses", () => {
    expect(parseJson("[".repeat(64) + "]".repeat(64)).ok).toBe(true);
    expect(err("[".repeat(65) + "]".repeat(65))).toMatchObject({ code: "XP4004", offset: 64 });
    expect(err('{"a":'.repeat(10) + "1" + "}".repeat(10), { maxDepth: 3 })).toMatchObject({ code: "XP4004", path: "$.a.a.a" });
    // A million open brackets: an error, no stack overflow.
    expect(err("[".repeat(1_000_000), { maxBytes: 2_000_000 }).code).toBe("XP4004");
  });

  test("size limit: 1 MiB by default, counted in UTF-8 bytes", () => {
    const big = JSON.stringify({ blob: "x".repeat(2 * 1024 * 1024) });
    expect(err(big)).toMatchObject({ code: "XP4003", path: "$" });
    const euro = `"${"€".repeat(400_000)}"`; // 400k UTF-16 units, 1.2 MB of UTF-8
    expect(err(euro).code).toBe("XP4003");
    expect(parseJson(euro, { maxBytes: 1_300_000 }).ok).toBe(true);
  });

  test("__proto__ is an ordinary key", () => {
    const r = parseJson('{"__proto__": {"admin": true}}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.value as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>)["admin"]).toBeUndefined();
    expect(err('{"__proto__":1,"__proto__":2}').code).toBe("XP4002");
  });

  test("never throws on a non-string", () => {
    expect(parseJson(42 as unknown as string).ok).toBe(false);
  });
});

// Texts with an integer literal beyond 2^53 are the one place the strict parser refuses what JSON.parse rounds.
const unsafeIntegerLiteral = /(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/;

describe("parseJson properties", () => {
  prop.prop([fc.json({ depthSize: "small" })], { numRuns: 300 })("agrees with JSON.parse on valid JSON without duplicate keys", (text) => {
    const r = parseJson(text);
    if (!r.ok && r.error.code === "XP4005") {
      expect(text).toMatch(unsafeIntegerLiteral);
      return;
    }
    expect(r).toEqual({ ok: true, value: JSON.parse(text) });
  });

  prop.prop([fc.jsonValue({ depthSize: "small" }), fc.constantFrom(0, 2, "\t")], { numRuns: 150 })("agrees with JSON.parse whatever the whitespace", (v, indent) => {
    const text = JSON.stringify(v, null, indent);
    const r = parseJson(text);
    if (!r.ok && r.error.code === "XP4005") return;
    expect(r).toEqual({ ok: true, value: JSON.parse(text) });
  });

  prop.prop([fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))))], { numRuns: 300 })(
    "never throws on arbitrary strings, and fails exactly when JSON.parse fails (or sees a duplicate key)",
    (text) => {
      const r = parseJson(text);
      let jsOk = true;
      try {
        JSON.parse(text);
      } catch {
        jsOk = false;
      }
      if (r.ok) expect(jsOk).toBe(true);
      else if (r.error.code === "XP4001") expect(jsOk).toBe(false);
      expect(typeof (r.ok ? "" : r.error.path)).toBe("string");
    },
  );
});
