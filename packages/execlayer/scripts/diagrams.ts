// Writes grammar/diagrams.html: railroad diagrams of every parser rule (`npm run grammar:diagrams`).
// The page loads Chevrotain's diagram renderer from a CDN when opened; the grammar itself is embedded.
// test/syntax/grammar.test.ts compares the file with `diagramsHtml()`.
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyntaxDiagramsCode, VERSION } from "chevrotain";
import { xpolParser } from "../src/syntax/parser.ts";

/** The diagrams page of the current grammar. */
export function diagramsHtml(): string {
  // The renderer of the installed Chevrotain, the one that serialized the productions.
  const base = `https://unpkg.com/chevrotain@${VERSION}/diagrams/`;
  return createSyntaxDiagramsCode(xpolParser.getSerializedGastProductions(), { resourceBase: base, css: `${base}diagrams.css` });
}

// Write only when run as a script, not when imported by the test.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "grammar", "diagrams.html");
  writeFileSync(out, diagramsHtml());
  console.log(`wrote ${out}`);
}
