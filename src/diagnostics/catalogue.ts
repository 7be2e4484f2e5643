// The one catalogue of diagnostics. Codes are stable: never renumber, never reuse a retired code.
// Ranges: XP1xxx syntax, XP2xxx expression types (CEL), XP3xxx policy checks, XP4xxx action input / SovereignIR,
// XP5xxx runtime (counters, approvals, stores), XP6xxx receipts and logs, XP7xxx policy tests and formatting,
// XP8xxx CLI and bundles. Each stage appends only inside its own section.
import { defineDiagnostic as def } from "./diagnostic.ts";

export const Diagnostics = {
  // --- XP1xxx syntax -------------------------------------------------------------------------------------------

  // --- XP2xxx expression types ---------------------------------------------------------------------------------

  // --- XP3xxx policy checks ------------------------------------------------------------------------------------

  // --- XP4xxx action input / SovereignIR -----------------------------------------------------------------------

  // --- XP5xxx runtime ------------------------------------------------------------------------------------------

  // --- XP6xxx receipts and logs --------------------------------------------------------------------------------

  // --- XP7xxx policy tests and formatting ----------------------------------------------------------------------

  // --- XP8xxx CLI and bundles ----------------------------------------------------------------------------------
  unreadableFile: def("XP8001", "error", (path: string, why: string) => `cannot read \`${path}\`: ${why}`),
} as const;
