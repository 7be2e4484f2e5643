// Child process for the kill -9 test: makes decisions against a durable store as fast as it can and prints one line
// per decision *after* `decide` returned it. The parent kills it with SIGKILL at some point and checks that every
// printed decision is in the reopened store.
import { NobleSigner } from "../../../src/index.ts";
import { Enforcer } from "../../../src/index.ts";
import { DurableStore } from "../../../src/index.ts";
import { fakePolicy } from "../../runtime/helpers/fake-policy.ts";

const dir = process.argv[2]!;
// "threads": the store signs with its key on 2 worker threads (SigningPool), receipts signed in the group commit
const threads = process.argv[3] === "threads";
// "batch": per-batch signatures, one signed seal per group commit
const batch = process.argv[3] === "batch";
const seed = (n: number) => new Uint8Array(32).fill(n);
const groups = { finance: [["alice", NobleSigner.fromSeed(seed(1))]] as const };

const store = await DurableStore.open(dir, { checkpointEvery: 50, ...(threads ? { signerKind: "native", signingThreads: 2 } as const : {}), ...(batch ? { signerKind: "native", signatures: "per-batch" } as const : {}) });
const enforcer = await Enforcer.create({ policy: fakePolicy({ groups, limit: 1_000_000 }), store });
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + "\n");

let n = 0;
async function worker(w: number): Promise<void> {
  for (;;) {
    const i = n++;
    // mostly counted updates, every 7th a delete that opens an approval request
    const proposal =
      i % 7 === 0
        ? { action: { type: "invoice.delete", params: { invoice_id: `inv-${i}`, customer_id: "c-1" } } }
        : { action: { type: "invoice.update_status", params: { invoice_id: `inv-${i}`, customer_id: "c-1", status: "paid" } } };
    const d = await enforcer.decide(proposal, { actor: { agent: `agent-${w % 2}` } });
    process.stdout.write(
      JSON.stringify({ i, effect: d.effect, seq: d.receipt?.seq ?? null, agent: `agent-${w % 2}`, request: d.request?.request.id ?? null }) + "\n",
    );
  }
}
await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));
