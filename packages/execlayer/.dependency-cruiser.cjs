// The layers of the core, bottom first (docs/ARCHITECTURE.md draws them). A folder may import its own files and the
// folders below it, never one above; no two files may import each other, even through others, even type-only.
// test/architecture/layers.test.ts runs this on every `npm test`.
const LAYERS = [
  "vocabulary", // tiers, effects, decisions, windows, spans, approvers, Result: words every layer shares
  "diagnostics", // the one catalogue of codes, diagnostics as data, rendering
  "syntax", // lexer, parser, AST
  "format", // the formatter (syntax in, text out)
  "cel", // CEL types, checker, planner (closures), values and standard library
  "ir", // SovereignIR: strict JSON, normalization, RFC 8785, digests, tool-call adapters
  "receipts", // signing, receipts, the receipt log, Merkle trees, checkpoints, offline verification
  "check", // the policy checker
  "engine", // plans and the stateless evaluation a compiled policy runs
  "compile", // checked policy -> compiled policy; the one files -> compiled policy pipeline; bundles
  "runtime", // the Enforcer, approvals, guard, the store port and the state every store replays
  "store", // the memory and durable stores
  "testing", // xpol test: test and property blocks, arbitraries, coverage
  "cli", // xpol
];

const above = (i) => LAYERS.slice(i + 1);

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "files importing each other (directly or through others) cannot be understood or tested one at a time",
      from: {},
      to: { circular: true },
    },
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-${layer}`,
      severity: "error",
      comment: `${layer}/ may import only the layers below it`,
      from: { path: `^src/${layer}/` },
      to: { path: `^src/(${above(i).join("|")})/` },
    })),
    {
      name: "entries-on-top",
      severity: "error",
      comment: "the public entry (src/index.ts) is imported by users, never by the library",
      from: { path: "^src/" },
      to: { path: "^src/index\\.ts$" },
    },
    {
      name: "no-unknown-folder",
      severity: "error",
      comment: "every source file belongs to a layer listed in .dependency-cruiser.cjs (add a new folder there)",
      from: { path: "^src/", pathNot: [`^src/(${LAYERS.join("|")})/`, "^src/index\\.ts$"] },
      to: {},
    },
    {
      name: "no-dev-deps-in-src",
      severity: "error",
      comment: "the library runs without its devDependencies",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"] },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // type-only imports count: a type cycle is still a cycle in the design
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"], exportsFields: ["exports"], conditionNames: ["import", "node", "default"] },
  },

};
