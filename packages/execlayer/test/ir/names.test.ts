import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { NameIndex, ToolNameIndex, foldName } from "../../src/ir/index.ts";

describe("foldName", () => {
  test("case and separator variants fold together", () => {
    for (const n of ["invoice.delete", "Invoice.Delete", "invoice_delete", "invoice-delete", "invoiceDelete", "InvoiceDelete", "INVOICE_DELETE", "invoice/delete", "invoice:delete", " invoice  delete "]) {
      expect([n, foldName(n)]).toEqual([n, "invoice_delete"]);
    }
    expect(foldName("HTTPRequest.send")).toBe("http_request_send");
    expect(foldName("invoiceV2")).toBe("invoice_v2");
    expect(foldName("mcp__fs__read_file")).toBe("mcp_fs_read_file");
    expect(foldName("Ärger.Löschen")).toBe("ärger_löschen");
  });
  test("other characters are not separators", () => {
    expect(foldName("invoice!delete")).not.toBe(foldName("invoice_delete"));
  });
});

describe("NameIndex", () => {
  const index = new NameIndex([
    { name: "invoice.delete", aliases: ["deleteInvoice"] },
    { name: "invoice.delete_all", aliases: [] },
    { name: "invoice.read", aliases: ["get_invoice"] },
    { name: "a.b_c", aliases: [] },
    { name: "a_b.c", aliases: [] },
  ]);
  test("exact names and aliases", () => {
    expect(index.resolve("invoice.delete")).toEqual({ kind: "found", name: "invoice.delete" });
    expect(index.resolve("deleteInvoice")).toEqual({ kind: "found", name: "invoice.delete" });
    expect(index.resolve("get_invoice")).toEqual({ kind: "found", name: "invoice.read" });
  });
  test("variants of names and aliases", () => {
    for (const n of ["Invoice.Delete", "invoice_delete", "invoice-delete", "invoiceDelete", "delete_invoice", "DeleteInvoice", "delete-invoice"]) {
      expect(index.resolve(n)).toEqual({ kind: "found", name: "invoice.delete" });
    }
    expect(index.resolve("InvoiceDeleteAll")).toEqual({ kind: "found", name: "invoice.delete_all" });
    expect(index.resolve("getInvoice")).toEqual({ kind: "found", name: "invoice.read" });
  });
  test("a variant that fits two declarations is ambiguous; the exact names still resolve", () => {
    expect(index.resolve("a_b_c")).toEqual({ kind: "ambiguous", candidates: ["a.b_c", "a_b.c"] });
    expect(index.resolve("a.b_c")).toEqual({ kind: "found", name: "a.b_c" });
    expect(index.resolve("a_b.c")).toEqual({ kind: "found", name: "a_b.c" });
  });
  test("unknown names, with a suggestion when one is close", () => {
    expect(index.resolve("invoice.delet")).toEqual({ kind: "unknown", suggestion: "invoice.delete" });
    expect(index.resolve("invoiceRaed")).toEqual({ kind: "unknown", suggestion: "invoice.read" });
    expect(index.resolve("payment.transfer")).toEqual({ kind: "unknown" });
  });
});

describe("ToolNameIndex: tool names resolve exactly", () => {
  const declared = ["get_invoice", "read_text_file", "delete_invoice"];
  const aliases = new Map([
    ["read_file", "read_text_file"],
    ["mcp__fs__read_text_file", "read_text_file"],
    ["mcp__fs__read_file", "read_text_file"],
  ]);
  const index = new ToolNameIndex(declared, aliases);
  test("declared names, aliases and declared MCP servers' names resolve", () => {
    expect(index.resolve("get_invoice")).toEqual({ kind: "found", name: "get_invoice" });
    expect(index.resolve("read_file")).toEqual({ kind: "found", name: "read_text_file" });
    expect(index.resolve("mcp__fs__read_file")).toEqual({ kind: "found", name: "read_text_file" });
  });
  test("inexact spellings are refused, with the declared name as the suggestion", () => {
    for (const n of ["get_invoice ", " get_invoice", "_get_invoice_", "get__invoice", "Get_Invoice", "GetInvoice", "getInvoice", "get-invoice", "GET_INVOICE"]) {
      expect([n, index.resolve(n)]).toEqual([n, { kind: "unknown", suggestion: "get_invoice" }]);
    }
  });
  test("an MCP prefix of an undeclared server is refused and named", () => {
    expect(index.resolve("mcp__x__get_invoice")).toEqual({ kind: "unknown", server: { server: "x", tool: "get_invoice" } });
    expect(index.resolve("mcp__github__read_file")).toEqual({ kind: "unknown", server: { server: "github", tool: "read_file" } });
    expect(index.resolve("mcp__fs__get_invoice")).toEqual({ kind: "unknown", server: { server: "fs", tool: "get_invoice" } });
  });
  test("property: any name not exactly declared is refused", () => {
    const accepted = new Set([...declared, ...aliases.keys()]);
    const perturb = fc.oneof(
      fc.constant((n: string) => n + " "),
      fc.constant((n: string) => " " + n),
      fc.constant((n: string) => "_" + n),
      fc.constant((n: string) => n + "_"),
      fc.constant((n: string) => n.replace("_", "__")),
      fc.constant((n: string) => n.replace("_", "-")),
      fc.constant((n: string) => n.replace("_", "")),
      fc.constant((n: string) => n.toUpperCase()),
      fc.constant((n: string) => n[0]!.toUpperCase() + n.slice(1)),
      fc.constant((n: string) => n.replace(/_(.)/g, (_m, c: string) => c.toUpperCase())),
      fc.constant((n: string) => n.normalize("NFD") + "\u0301"),
      fc.constant((n: string) => n + "\u200b"),
      fc.string({ minLength: 1, maxLength: 12 }).map((srv) => (n: string) => `mcp__${srv}__${n}`),
      fc.string({ minLength: 1, maxLength: 4 }).map((x) => (n: string) => n + x),
      fc.string({ minLength: 1, maxLength: 4 }).map((x) => (n: string) => x + n),
    );
    fc.assert(
      fc.property(fc.constantFrom(...accepted), fc.array(perturb, { minLength: 1, maxLength: 3 }), (name, fs) => {
        const variant = fs.reduce((n, f) => f(n), name);
        fc.pre(!accepted.has(variant));
        expect(index.resolve(variant).kind).toBe("unknown");
      }),
    );
  });
});
