// grammar/ stays in sync with the parser: every parser rule is in the EBNF, the TextMate grammar is valid and knows
// every keyword, the diagrams page is generated from the current grammar.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { xpolParser } from "../../src/syntax/parser.ts";
import { POLICY_KEYWORDS } from "../../src/syntax/lexer.ts";
import { diagramsHtml } from "../../scripts/diagrams.ts";

const read = (f: string): string => readFileSync(new URL(`../../grammar/${f}`, import.meta.url), "utf8");
const ruleNames = Object.keys(xpolParser.getGAstProductions());

describe("grammar/xpol.ebnf", () => {
  const ebnf = read("xpol.ebnf");
  const defined = new Set([...ebnf.matchAll(/^([a-zA-Z]+)\s*=/gm)].map((m) => m[1]!));

  test("defines every parser rule", () => {
    expect(ruleNames.length).toBeGreaterThan(40);
    expect(ruleNames.filter((r) => !defined.has(r))).toEqual([]);
  });

  test("defines no rule the parser does not have (besides the lexical ones in capitals)", () => {
    expect([...defined].filter((r) => r !== r.toUpperCase() && !ruleNames.includes(r))).toEqual([]);
  });

  test("mentions every policy keyword", () => {
    expect(POLICY_KEYWORDS.filter((k) => !ebnf.includes(`"${k}"`))).toEqual([]);
  });
});

describe("grammar/xpol.tmLanguage.json", () => {
  const g = JSON.parse(read("xpol.tmLanguage.json")) as {
    scopeName: string;
    patterns: { include: string }[];
    repository: Record<string, { patterns: { match?: string; begin?: string; end?: string; name: string }[] }>;
  };
  const all = Object.values(g.repository).flatMap((r) => r.patterns);

  test("is source.xpol and includes every repository entry", () => {
    expect(g.scopeName).toBe("source.xpol");
    const included = new Set(g.patterns.map((p) => p.include.slice(1)));
    for (const key of Object.keys(g.repository)) {
      if (key !== "escapes") expect(included.has(key), key).toBe(true);
    }
  });

  test("every pattern is a valid regex", () => {
    for (const p of all) {
      for (const re of [p.match, p.begin, p.end]) if (re !== undefined) expect(() => new RegExp(re)).not.toThrow();
    }
  });

  const scopeOf = (word: string): string | undefined => {
    for (const key of ["comments", "strings", "durations", "numbers", "tiers", "keywords", "constants"]) {
      for (const p of g.repository[key]!.patterns) {
        if (p.match !== undefined && new RegExp(`^(?:${p.match})$`).test(word)) return p.name;
        if (p.begin !== undefined && new RegExp(`^(?:${p.begin})`).test(word)) return p.name;
      }
    }
    return undefined;
  };

  test("covers every keyword", () => {
    for (const k of POLICY_KEYWORDS) expect(scopeOf(k), k).toMatch(/^keyword\./);
    expect(scopeOf("in")).toMatch(/^keyword\./);
    for (const c of ["true", "false", "null"]) expect(scopeOf(c)).toBe("constant.language.xpol");
  });

  test("covers tier names, durations, numbers, strings of every form, comments", () => {
    expect(scopeOf("T3")).toBe("constant.other.tier.xpol");
    for (const d of ["24h", "90m", "500ms", "1h30m", "7d"]) expect(scopeOf(d), d).toBe("constant.numeric.duration.xpol");
    expect(scopeOf("42")).toBe("constant.numeric.integer.xpol");
    expect(scopeOf("42u")).toBe("constant.numeric.integer.xpol");
    expect(scopeOf("0x1F")).toBe("constant.numeric.hex.xpol");
    expect(scopeOf("1.5e3")).toBe("constant.numeric.float.xpol");
    for (const s of [`"a"`, `'a'`, `"""a"""`, `'''a'''`, `r"a"`, `R'a'`, `b"a"`, `br"a"`, `b'''a'''`]) {
      expect(scopeOf(s), s).toMatch(/^string\./);
    }
    expect(scopeOf("// note")).toBe("comment.line.double-slash.xpol");
    expect(scopeOf("/* note */")).toBe("comment.block.xpol");
  });
});

describe("grammar/diagrams.html", () => {
  test("is the diagrams of the current grammar (run `npm run grammar:diagrams` after changing the parser)", () => {
    expect(read("diagrams.html")).toBe(diagramsHtml());
  });
});
