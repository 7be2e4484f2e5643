// Where the receipts routes read from: the state directory's log (receipts.jsonl, checkpoints.jsonl), or, with
// --postgres, the fleet's chains in the database (one per replica; `chain` picks one, this replica's own by default).
// Either way the answers are the same: lines exactly as stored, and proofs made by the core's one implementation
// (proveReceipt, proveConsistency) over a receipt log directory: a chain is written out to a temporary one first, as
// `xpol verify --postgres` does, so a chain in the database is proven exactly as a log on disk.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { canonicalize, ServiceDiagnostics as D, StoreError } from "execlayer";
import { CHECKPOINTS_FILE, RECEIPTS_FILE, proveConsistency, proveReceipt, type ConsistencyProofBundle, type ReceiptProofBundle } from "execlayer/receipts";
import { completeLines, lineRange } from "./log-lines.ts";
import { problem } from "./problem.ts";

/** A chain of the fleet as the auditor's list shows it: @execlayer/postgres's ChainInfo, restated (the service does not
 * depend on that package: it is loaded on demand, see service.ts). */
export interface ChainListing {
  readonly id: string;
  readonly replica: string;
  readonly origin: string;
  readonly keyId: string;
  readonly publicKey: string;
  readonly receipts: number;
  readonly checkpointed: number;
  readonly closed: boolean;
}

/** What the service reads of @execlayer/postgres's ChainReader (loaded on demand, so only its shape is named here). */
export interface FleetChains {
  chains(): Promise<ChainListing[]>;
  has(id: string): Promise<boolean>;
  lines(id: string, from: number, to: number | undefined): Promise<string[]>;
  checkpointNotes(id: string): Promise<string[]>;
  exportChain(id: string, dir: string): Promise<unknown>;
  close(): Promise<void>;
}

type ProofAnswer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

type Source = { readonly kind: "dir"; readonly dir: string } | { readonly kind: "fleet"; readonly chains: FleetChains; readonly id: string };

export class ReceiptSource {
  constructor(
    /** the durable store's directory; null with a memory store or --postgres */
    private readonly stateDir: string | null,
    /** with --postgres: the fleet's chains, and this replica's current chain ("" until its first receipt) */
    private readonly fleet: { readonly chains: FleetChains; readonly current: () => string } | null,
  ) {}

  /** The log `chain` names (the service's own when absent); a 404 problem when there is none here. */
  async #source(chain: string | undefined): Promise<Source> {
    if (this.fleet !== null) {
      const id = chain ?? this.fleet.current();
      if (id === "") throw problem(404, D.notFound.code, D.notFound.message("a receipt chain of this replica (it has written no receipt yet; GET /v1/chains lists the fleet's)"));
      if (!(await this.#read(() => this.fleet!.chains.has(id)))) throw problem(404, D.notFound.code, D.notFound.message(`receipt chain \`${id}\` (GET /v1/chains lists the fleet's)`));
      return { kind: "fleet", chains: this.fleet.chains, id };
    }
    if (this.stateDir === null) {
      throw problem(404, D.notFound.code, D.notFound.message("a receipt log (this service keeps none: it runs with --memory)"));
    }
    if (chain !== undefined) throw problem(404, D.notFound.code, D.notFound.message(`receipt chain \`${chain}\` (this service keeps one log, in its state directory: leave \`chain\` out)`));
    return { kind: "dir", dir: this.stateDir };
  }

  /** A read of the database; its failure is a 503 naming the store's code and reason, never a partial answer. */
  async #read<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e: unknown) {
      if (e instanceof StoreError) throw problem(503, e.code, D.unavailable.message(e.message));
      throw e;
    }
  }

  /** Runs `f` on a receipt log directory holding the source (the fleet's chain written out to a temporary one). */
  async #onDirectory<T>(s: Source, f: (dir: string) => Promise<T>): Promise<T> {
    if (s.kind === "dir") return f(s.dir);
    const tmp = await mkdtemp(path.join(os.tmpdir(), "xpol-chain-"));
    try {
      const exported = await this.#read(() => s.chains.exportChain(s.id, tmp));
      if (exported === null) throw problem(404, D.notFound.code, D.notFound.message(`receipt chain \`${s.id}\``));
      return await f(tmp);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Receipt lines `from`..`to` (inclusive), each with its newline; null when the log holds fewer than `from + 1` (from > 0). */
  async range(chain: string | undefined, from: number, to: number | undefined): Promise<Readable | null> {
    const s = await this.#source(chain);
    if (s.kind === "dir") return lineRange(path.join(s.dir, RECEIPTS_FILE), from, to);
    const lines = await this.#read(() => s.chains.lines(s.id, from, to));
    if (lines.length === 0 && from > 0) return null;
    return Readable.from([lines.map((l) => l + "\n").join("")]);
  }

  /** The checkpoint lines, each as in checkpoints.jsonl (with its newline). */
  async checkpointLines(chain: string | undefined): Promise<string[]> {
    const s = await this.#source(chain);
    if (s.kind === "fleet") return (await this.#read(() => s.chains.checkpointNotes(s.id))).map((note) => canonicalize({ note }) + "\n");
    const out: string[] = [];
    for await (const line of completeLines(path.join(s.dir, CHECKPOINTS_FILE))) out.push(line + "\n");
    return out;
  }

  /** The latest checkpoint's signed note, or undefined when none is written yet. */
  async latestNote(chain: string | undefined): Promise<string | undefined> {
    const s = await this.#source(chain);
    if (s.kind === "fleet") return (await this.#read(() => s.chains.checkpointNotes(s.id))).at(-1);
    let last: string | undefined;
    for await (const line of completeLines(path.join(s.dir, CHECKPOINTS_FILE))) last = line;
    if (last === undefined) return undefined;
    const note = (JSON.parse(last) as { note?: unknown }).note;
    if (typeof note !== "string") throw new Error("checkpoint line without a note");
    return note;
  }

  async proof(chain: string | undefined, seq: number): Promise<ProofAnswer<ReceiptProofBundle>> {
    return this.#onDirectory(await this.#source(chain), (dir) => proveReceipt(dir, seq));
  }

  async consistency(chain: string | undefined, first: number, second: number): Promise<ProofAnswer<ConsistencyProofBundle>> {
    return this.#onDirectory(await this.#source(chain), (dir) => proveConsistency(dir, first, second));
  }

  /** The fleet's chains (--postgres only: a state directory holds one log, served without `chain`). */
  async chains(): Promise<{ chains: ChainListing[]; current: string | null }> {
    if (this.fleet === null) {
      throw problem(404, D.notFound.code, D.notFound.message(`a fleet's receipt chains (this service keeps ${this.stateDir === null ? "no receipt log: it runs with --memory" : "one log, in its state directory: GET /v1/receipts"})`));
    }
    const chains = await this.#read(() => this.fleet!.chains.chains());
    const current = this.fleet.current();
    return { chains, current: current === "" ? null : current };
  }

  async close(): Promise<void> {
    await this.fleet?.chains.close();
  }
}
