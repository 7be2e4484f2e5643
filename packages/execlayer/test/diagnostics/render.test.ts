import { describe, expect, test } from "vitest";
import { fc, test as prop } from "@fast-check/vitest";
import { renderDiagnostic, diagnosticToJson } from "../../src/diagnostics/render.ts";
import { SourceFile } from "../../src/diagnostics/source.ts";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.ts";
import { closest, editDistance } from "../../src/diagnostics/suggest.ts";

const d = (start: number, end: number, extra: Partial<Diagnostic> = {}): Diagnostic => ({
  code: "XP9999",
  severity: "error",
  message: "something is off",
  span: { start, end },
  file: "a.xpol",
  ...extra,
});

describe("renderDiagnostic", () => {
  test("file:line:col, the source line and a caret under the span", () => {
    const src = new SourceFile("a.xpol", "rule x on a.b {\n  when action.amout > 1\n}\n");
    const start = src.text.indexOf("amout");
    expect(renderDiagnostic(d(start, start + 5, { help: "did you mean `amount`?" }), src)).toBe(
      [
        "error[XP9999]: something is off",
        "  --> a.xpol:2:15",
        "  |",
        "2 |   when action.amout > 1",
        "  |               ^^^^^",
        "   = help: did you mean `amount`?",
      ].join("\n"),
    );
  });

  test("without source text: a whole-file diagnostic names the file alone, any other gives its offset", () => {
    expect(renderDiagnostic(d(0, 0, { message: "cannot read `a.xpol`: ENOENT" }), undefined).split("\n")[1]).toBe("  --> a.xpol");
    expect(renderDiagnostic(d(12, 14), undefined).split("\n")[1]).toBe("  --> a.xpol:@12");
    expect(renderDiagnostic(d(0, 3), undefined).split("\n")[1]).toBe("  --> a.xpol:@0");
  });

  test("CRLF and CR line endings count as one line break", () => {
    const src = new SourceFile("a.xpol", "a\r\nb\rc");
    expect(src.position(src.text.indexOf("c"))).toEqual({ line: 3, column: 1 });
    expect(src.lineText(1)).toBe("a");
  });

  test("a related note in another file shows that file's line and column", () => {
    const a = new SourceFile("a.xpol", "group g {}\n");
    const b = new SourceFile("b.xpol", "\n\ngroup g {}\n");
    const diag = d(6, 7, { related: [{ message: "first declared here", span: { start: 8, end: 9 }, file: "b.xpol" }] });
    const text = renderDiagnostic(diag, a, { sources: new Map([["b.xpol", b]]) });
    expect(text).toContain("= note: first declared here (b.xpol:3:7)");
  });

  test("a related note without a file points into the diagnostic's own file; an unknown file shows the offset", () => {
    const a = new SourceFile("a.xpol", "group g {}\ngroup g {}\n");
    const related = [
      { message: "first declared here", span: { start: 6, end: 7 } },
      { message: "same file, named", span: { start: 17, end: 18 }, file: "a.xpol" },
      { message: "elsewhere", span: { start: 4, end: 5 }, file: "c.xpol" },
    ];
    const text = renderDiagnostic(d(17, 18, { related }), a);
    expect(text.split("\n").filter((l) => l.startsWith("   = note:"))).toEqual([
      "   = note: first declared here (a.xpol:1:7)",
      "   = note: same file, named (a.xpol:2:7)",
      "   = note: elsewhere (c.xpol:@4)",
    ]);
    expect(renderDiagnostic(d(17, 18, { related: related.slice(0, 1) }), undefined)).toContain("= note: first declared here (<input>:@6)");
  });

  test("control characters from binary input are not echoed to the terminal", () => {
    const src = new SourceFile("bin.xpol", "\u0000\u001b[31m\u0007");
    const text = renderDiagnostic(d(0, 1), src);
    expect(text).not.toMatch(/[\u0000-\u0008\u001b]/);
  });

  prop.prop([fc.string({ maxLength: 200 }), fc.nat(300), fc.nat(300)])("never throws, whatever the span", (text, a, b) => {
    const src = new SourceFile("x.xpol", text);
    const out = renderDiagnostic(d(Math.min(a, b), Math.max(a, b)), src);
    expect(out.startsWith("error[XP9999]")).toBe(true);
    const json = diagnosticToJson(d(Math.min(a, b), Math.max(a, b)), src);
    expect(json.start.line).toBeGreaterThanOrEqual(1);
  });
});

describe("suggestions", () => {
  test("edit distance", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
  test("closest finds plausible typos only", () => {
    expect(closest("amout", ["amount", "currency"])).toBe("amount");
    expect(closest("t2", ["T0", "T1", "T2", "T3"])).toBe("T2");
    expect(closest("zzzzzz", ["amount"])).toBeUndefined();
  });
});

describe("suggestions stay cheap", () => {
  test("a huge name gets no suggestion instead of an O(n*m) distance", () => {
    const huge = "a".repeat(500_000);
    expect(closest(huge, ["amount", "a".repeat(500_001)])).toBeUndefined();
  });
  test("candidates too different in length are skipped without changing the answer", () => {
    expect(closest("invoice.delet", ["invoice.delete", "invoice.delete_all", "x"])).toBe("invoice.delete");
  });
  prop.prop([fc.string({ maxLength: 12 }), fc.array(fc.string({ maxLength: 16 }), { maxLength: 8 })])(
    "skipping by length never changes the answer (same as comparing every candidate)",
    (name, candidates) => {
      const limit = Math.max(1, Math.floor(name.length / 3));
      let expected: string | undefined;
      let best = Infinity;
      for (const c of candidates) {
        if (c !== name && c.toLowerCase() === name.toLowerCase()) {
          expected = c;
          break;
        }
        const dist = editDistance(name, c);
        if (dist <= limit && dist < best) {
          expected = c;
          best = dist;
        }
      }
      expect(closest(name, candidates)).toBe(expected);
    },
  );
});
