// Writes grammar/diagrams.html: railroad diagrams of every parser rule (`npm run grammar:diagrams`).
// The page loads Chevrotain's diagram renderer from a CDN when opened; the grammar itself is embedded.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyntaxDiagramsCode } from "chevrotain";
import { xpolParser } from "../src/syntax/parser.ts";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "grammar", "diagrams.html");
const html = createSyntaxDiagramsCode(xpolParser.getSerializedGastProductions(), {
  resourceBase: "https://unpkg.com/chevrotain@11.2.0/diagrams/",
  css: "https://unpkg.com/chevrotain@11.2.0/diagrams/diagrams.css",
});
writeFileSync(out, html);
console.log(`wrote ${out}`);
