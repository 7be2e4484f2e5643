import { describe, expect, test } from "vitest";
import { NameIndex, foldName, resolveToolName } from "../../src/ir/index.ts";

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

describe("resolveToolName", () => {
  test("MCP prefixes: qualified declaration first, then the bare tool", () => {
    const bare = new NameIndex([{ name: "read_file" }, { name: "get_invoice" }]);
    expect(resolveToolName("mcp__fs__read_file", bare)).toEqual({ kind: "found", name: "read_file" });
    expect(resolveToolName("mcp__github__read_file", bare)).toEqual({ kind: "found", name: "read_file" });
    expect(resolveToolName("GetInvoice", bare)).toEqual({ kind: "found", name: "get_invoice" });
    const qualified = new NameIndex([{ name: "read_file" }, { name: "fs.read_file" }]);
    expect(resolveToolName("mcp__fs__read_file", qualified)).toEqual({ kind: "found", name: "fs.read_file" });
    expect(resolveToolName("mcp__other__read_file", qualified)).toEqual({ kind: "found", name: "read_file" });
    const only = new NameIndex([{ name: "fs.read_file" }]);
    expect(resolveToolName("mcp__github__read_file", only).kind).toBe("unknown");
    expect(resolveToolName("mcp__my_server__read_file", new NameIndex([{ name: "my_server.read_file" }]))).toEqual({ kind: "found", name: "my_server.read_file" });
  });
});
