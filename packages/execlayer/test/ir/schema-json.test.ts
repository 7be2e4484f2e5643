// The JSON Schema twin of the IR types: its shape matches what toSovereignIR builds, and its value patterns accept
// exactly the canonical spellings normalization produces.
import { readFileSync } from "node:fs";
import { fc, test as prop } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { canonicalBase64, canonicalDuration, canonicalTimestamp, toSovereignIR } from "../../src/ir/index.ts";
import { options, schema } from "./fixtures.ts";

interface Def {
  readonly pattern?: string;
  readonly required?: readonly string[];
  readonly properties?: Record<string, Def>;
}
const jsonSchema = JSON.parse(readFileSync(new URL("../../src/ir/sovereign-ir.schema.json", import.meta.url), "utf8")) as Def & { $defs: Record<string, Def> };
const pattern = (name: string) => new RegExp(jsonSchema.$defs[name]!.pattern!, "u");

describe("sovereign-ir.schema.json", () => {
  test("describes the IR toSovereignIR builds", () => {
    const r = toSovereignIR({ action: { type: "invoice.read", params: { invoice_id: "i", customer_id: "c" } } }, schema, options);
    if (!r.ok) throw new Error(r.error.message);
    expect(Object.keys(r.ir).sort()).toEqual([...jsonSchema.required!].sort());
    expect(Object.keys(jsonSchema.properties!).sort()).toEqual(Object.keys(r.ir).sort());
    expect(Object.keys(r.ir.action).sort()).toEqual([...jsonSchema.properties!["action"]!.required!].sort());
    expect(r.ir.requested_at).toMatch(pattern("timestamp"));
    expect(r.actionDigest).toMatch(pattern("digest"));
  });

  test("patterns reject non-canonical spellings", () => {
    for (const t of ["2026-01-31T12:00:00.0Z", "2026-01-31T12:00:00.50Z", "2026-01-31T12:00:00+00:00", "2026-01-31t12:00:00Z"]) expect(t).not.toMatch(pattern("timestamp"));
    for (const d of ["1.50s", "-0s", "01s", "1h", "0.0s", "1.5"]) expect(d).not.toMatch(pattern("duration"));
    for (const d of ["0s", "1.5s", "-0.5s", "3600s", "-0.000000001s"]) expect(d).toMatch(pattern("duration"));
    for (const b of ["QQ", "QQ=", "-_8=", "Q==="]) expect(b).not.toMatch(pattern("bytes"));
    for (const n of ["01", "-0", "+1", "1.0"]) expect(n).not.toMatch(pattern("decimal"));
  });

  prop.prop([fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }), fc.nat({ max: 999_999 })], { numRuns: 100 })(
    "every canonical timestamp matches the timestamp pattern",
    (d, micros) => {
      const r = canonicalTimestamp(d.toISOString().replace("Z", `${String(micros).padStart(6, "0")}Z`));
      expect(r.ok && r.value).toMatch(pattern("timestamp"));
    },
  );
  prop.prop([fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n })], { numRuns: 100 })("every canonical duration matches the duration pattern", (ns) => {
    const r = canonicalDuration(`${ns}ns`);
    expect(r.ok && r.value).toMatch(pattern("duration"));
  });
  prop.prop([fc.uint8Array({ maxLength: 20 })], { numRuns: 50 })("every canonical base64 matches the bytes pattern", (u) => {
    const r = canonicalBase64(Buffer.from(u).toString("base64url"));
    expect(r.ok && r.value).toMatch(pattern("bytes"));
  });
});
