import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { githubCommand, githubData, githubProperty, renderDiagnosticsReport, xmlEscape } from "../../src/cli/report-formats.ts";
import { SourceFile } from "../../src/diagnostics/source.ts";
import { wellFormedXml } from "./helpers.ts";

describe("escaping", () => {
  it("XML: markup characters, quotes, control characters and lone surrogates", () => {
    expect(xmlEscape(`<a href="x">&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    expect(xmlEscape("a\u0000b\u001fc\ud800d")).toBe("a\ufffdb\ufffdc\ufffdd");
    expect(xmlEscape("tab\tline\nend")).toBe("tab&#9;line&#10;end");
  });

  test.prop([fc.string({ unit: "binary" })])("any text makes a well-formed attribute and element", (s) => {
    expect(wellFormedXml(`<r a="${xmlEscape(s)}">${xmlEscape(s)}</r>`)).toBeNull();
  });

  it("GitHub workflow commands: data escapes %, CR, LF; properties also : and ,", () => {
    expect(githubData("50% done\r\nnext")).toBe("50%25 done%0D%0Anext");
    expect(githubProperty("a:b,c%")).toBe("a%3Ab%2Cc%25");
    expect(githubCommand({ level: "warning", file: "x,y.xpol", line: 3, column: 4, title: "XP1: t", message: "m\nn" })).toBe(
      "::warning file=x%2Cy.xpol,line=3,col=4,title=XP1%3A t::m%0An",
    );
  });

  test.prop([fc.string({ unit: "binary" })])("an annotation is always one line", (s) => {
    expect(githubCommand({ level: "error", file: s, title: s, message: s })).not.toMatch(/[\r\n]/);
  });
});

describe("diagnostics reports (xpol check, xpol fmt)", () => {
  const source = new SourceFile("p.xpol", "policy p\naction a.b { x: strin }\n");
  const d = { code: "XP3004", severity: "error" as const, message: "unknown type `strin`", span: { start: 25, end: 30 }, file: "p.xpol", help: "did you mean `string`?" };
  const report = { files: ["p.xpol", "q.xpol"], diagnostics: [d], sources: new Map([["p.xpol", source]]), tool: "xpol check" };

  it("human: rendered with the source line", () => {
    expect(renderDiagnosticsReport("human", report)).toContain("error[XP3004]: unknown type `strin`\n  --> p.xpol:2:17");
  });

  it("json: positions and counts", () => {
    const j = JSON.parse(renderDiagnosticsReport("json", report)) as { errors: number; diagnostics: { start: { line: number; column: number } }[] };
    expect(j.errors).toBe(1);
    expect(j.diagnostics[0]!.start).toEqual({ offset: 25, line: 2, column: 17 });
  });

  it("junit: a test case per file, failing ones carry the diagnostics", () => {
    const x = renderDiagnosticsReport("junit", report);
    expect(wellFormedXml(x)).toBeNull();
    expect(x).toContain('<testsuite name="xpol check" tests="2" failures="1" errors="0" skipped="0">');
    expect(x).toContain('<testcase name="q.xpol" classname="xpol check"/>');
    expect(x).toContain('<failure message="XP3004: unknown type `strin`" type="XP3004">');
  });

  it("github: file, line, column and end of the span", () => {
    expect(renderDiagnosticsReport("github", report)).toBe(
      "::error file=p.xpol,line=2,col=17,endLine=2,endColumn=22,title=XP3004::unknown type `strin`%0Ahelp: did you mean `string`?",
    );
  });
});
