import { toSovereignIR } from "../../src/ir/index.ts";
import { options, schema } from "./fixtures.ts";
const params = { invoice_id: "inv-12345", customer_id: "cust-987", status: "paid", note: "paid by wire transfer on the 3rd" };
const obj = { id: "call_1", type: "function", function: { name: "set_invoice_status", arguments: JSON.stringify(params) } };
for (let i = 0; i < 300000; i++) toSovereignIR(obj, schema, options);
