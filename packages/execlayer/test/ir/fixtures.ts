// Shared schema and tool mapper for the IR tests: the invoices example plus one action with every field type.
import { FieldTypes as T, field, fieldsOf, type IrSchema, type JsonObject, type ToolMapper } from "../../src/ir/index.ts";

export const schema: IrSchema = {
  actionTypes: new Map([
    ["invoice.read", { name: "invoice.read", aliases: ["get_invoice"], fields: fieldsOf({ invoice_id: field(T.string), customer_id: field(T.string) }) }],
    [
      "invoice.update_status",
      {
        name: "invoice.update_status",
        aliases: ["set_invoice_status"],
        fields: fieldsOf({
          invoice_id: field(T.string),
          customer_id: field(T.string),
          status: field(T.enum("paid", "unpaid", "disputed", "void")),
          note: field(T.string, { optional: true }),
        }),
      },
    ],
    [
      "invoice.delete",
      {
        name: "invoice.delete",
        aliases: ["deleteInvoice"],
        fields: fieldsOf({ invoice_id: field(T.string), customer_id: field(T.string), reason: field(T.string, { optional: true }) }),
      },
    ],
    ["invoice.delete_all", { name: "invoice.delete_all", aliases: [], fields: fieldsOf({ customer_id: field(T.string), reason: field(T.string, { optional: true }) }) }],
    [
      "payment.transfer",
      {
        name: "payment.transfer",
        aliases: ["sendMoney"],
        fields: fieldsOf({
          amount: field(T.int),
          cents: field(T.uint, { optional: true }),
          ledger_id: field(T.int, { optional: true, decimal: true }),
          rate: field(T.double, { optional: true }),
          urgent: field(T.bool, { optional: true }),
          memo: field(T.string, { optional: true }),
          signature: field(T.bytes, { optional: true, sensitive: true }),
          execute_at: field(T.timestamp, { optional: true }),
          hold: field(T.duration, { optional: true }),
          currency: field(T.enum("EUR", "USD"), { optional: true }),
          tags: field(T.list(T.string), { optional: true }),
          splits: field(T.map(T.string, T.int), { optional: true }),
          by_day: field(T.map(T.int, T.list(T.double)), { optional: true }),
          meta: field(T.dyn, { optional: true }),
        }),
      },
    ],
  ]),
  actor: { fields: fieldsOf({ agent: field(T.string), on_behalf_of: field(T.string, { optional: true }), roles: field(T.list(T.string), { optional: true }) }) },
  context: { fields: fieldsOf({ assigned_customers: field(T.list(T.string), { optional: true }), region: field(T.string, { optional: true }) }) },
  options: { extraParams: "reject" },
};

export const allowExtra: IrSchema = { ...schema, options: { extraParams: "allow" } };

const str = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** The invoices policy's tool mappings, hand-written as the compiler would compile them. */
export const mapper: ToolMapper = {
  tools: ["get_invoice", "set_invoice_status", "delete_invoice", "delete_customer_invoices", "fs.read_file", "transfer"],
  map(tool, args) {
    const pick = (...names: string[]): JsonObject => {
      const out: Record<string, JsonObject[string]> = {};
      for (const n of names) if (args[n] !== undefined) out[n] = args[n]!;
      return out;
    };
    switch (tool) {
      case "get_invoice":
        return { ok: true, value: { type: "invoice.read", target: `invoice/${str(args["invoice_id"])}`, params: pick("invoice_id", "customer_id") } };
      case "set_invoice_status":
        return { ok: true, value: { type: "invoice.update_status", target: `invoice/${str(args["invoice_id"])}`, params: pick("invoice_id", "customer_id", "status", "note") } };
      case "delete_invoice":
        return { ok: true, value: { type: "invoice.delete", target: `invoice/${str(args["invoice_id"])}`, params: pick("invoice_id", "customer_id", "reason") } };
      case "delete_customer_invoices":
        return { ok: true, value: { type: "invoice.delete_all", target: `customer/${str(args["customer_id"])}`, params: pick("customer_id") } };
      case "transfer":
        return { ok: true, value: { type: "payment.transfer", target: null, params: args } };
      default:
        return { ok: false, error: `no field \`path\` in args` };
    }
  },
};

export const actor = { agent: "billing-bot", on_behalf_of: "alice" };
export const requestedAt = "2026-01-31T12:00:00Z";
export const options = { actor, requestedAt, mapper };
