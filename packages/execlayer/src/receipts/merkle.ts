// RFC 9162 (Certificate Transparency v2) Merkle tree: hashing, an incremental tree for appends, inclusion and
// consistency proofs (generation from the leaf hashes, verification from the proof alone).
//
// Edge cases, decided (the transparency-dev vectors in test/vectors/merkle follow the same rules):
//   - inclusion: the tree must be non-empty and leafIndex < treeSize; a one-leaf tree has an empty proof;
//   - consistency between size1 and size2: size1 > size2 is an error; size1 = 0 is an error (every tree extends
//     the empty tree, so such a "proof" proves nothing and is rejected as useless); size1 = size2 is accepted only
//     with an EMPTY proof and root1 = root2 (RFC 9162 §2.1.4.2 would fail every empty proof; a non-empty proof for
//     equal sizes is rejected because it is never generated); otherwise the RFC 9162 §2.1.4.2 algorithm, where an
//     empty proof fails.
import { bytesEqual, digestBytes } from "./bytes.ts";

export const HASH_SIZE = 32;

export type MerkleResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export function leafHash(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(data.length + 1); // 0x00 || data
  input.set(data, 1);
  return digestBytes("sha256", input);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  // One-shot hashing of a 65-byte buffer: cheaper than a streaming Hash object on the append path.
  const buf = new Uint8Array(65);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 33);
  return digestBytes("sha256", buf);
}

export const EMPTY_ROOT: Uint8Array = digestBytes("sha256", new Uint8Array(0));

/**
 * An append-only tree that keeps only the roots of its maximal perfect subtrees (one per set bit of the size):
 * O(log n) memory, amortized O(1) hashing per append, O(log n) to compute the root.
 */
export class CompactTree {
  #size = 0;
  /** roots of the perfect subtrees, largest (leftmost) first */
  readonly #stack: Uint8Array[] = [];

  get size(): number {
    return this.#size;
  }

  /** Appends a leaf given by its leaf hash (see leafHash). */
  appendLeafHash(hash: Uint8Array): void {
    let h = hash;
    // Merge once per trailing one bit of the old size: those subtrees are now paired.
    for (let s = this.#size; s % 2 === 1; s = Math.floor(s / 2)) {
      h = nodeHash(this.#stack.pop() as Uint8Array, h);
    }
    this.#stack.push(h);
    this.#size++;
  }

  /** The roots of the perfect subtrees, largest (leftmost) first: with `size`, the whole state (log-writer.ts). */
  subtreeRoots(): readonly Uint8Array[] {
    return this.#stack;
  }

  append(data: Uint8Array): Uint8Array {
    const h = leafHash(data);
    this.appendLeafHash(h);
    return h;
  }

  root(): Uint8Array {
    const n = this.#stack.length;
    if (n === 0) return EMPTY_ROOT;
    let r = this.#stack[n - 1] as Uint8Array;
    for (let i = n - 2; i >= 0; i--) r = nodeHash(this.#stack[i] as Uint8Array, r);
    return r;
  }

  clone(): CompactTree {
    const t = new CompactTree();
    t.#size = this.#size;
    t.#stack.push(...this.#stack);
    return t;
  }
}

/** Largest power of two strictly less than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) over leaf hashes. */
export function subtreeRoot(leaves: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo] as Uint8Array;
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, lo, lo + k), subtreeRoot(leaves, lo + k, hi));
}

export function rootOf(leaves: readonly Uint8Array[], size: number = leaves.length): Uint8Array {
  return subtreeRoot(leaves, 0, size);
}

/** RFC 9162 §2.1.3.1 PATH(m, D[0:size]) over the first `size` leaf hashes. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number, size: number = leaves.length): Uint8Array[] | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size || size > leaves.length) return null;
  const path: Uint8Array[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, lo, lo + k);
      path.push(subtreeRoot(leaves, lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      path.push(subtreeRoot(leaves, lo, lo + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]); empty for size1 = size2; null when 0 = size1 or size1 > size2. */
export function consistencyProof(leaves: readonly Uint8Array[], size1: number, size2: number): Uint8Array[] | null {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2)) return null;
  if (size1 <= 0 || size1 > size2 || size2 > leaves.length) return null;
  const proof: Uint8Array[] = [];
  const sub = (m: number, lo: number, hi: number, complete: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!complete) proof.push(subtreeRoot(leaves, lo, hi));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, lo, lo + k, complete);
      proof.push(subtreeRoot(leaves, lo + k, hi));
    } else {
      sub(m - k, lo + k, hi, false);
      proof.push(subtreeRoot(leaves, lo, lo + k));
    }
  };
  sub(size1, 0, size2, true);
  return proof;
}

function allHashes(xs: readonly Uint8Array[]): boolean {
  return xs.every((x) => x instanceof Uint8Array && x.length === HASH_SIZE);
}

const fail = (error: string): MerkleResult => ({ ok: false, error });
const OK: MerkleResult = { ok: true };

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): MerkleResult {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || treeSize < 0) {
    return fail("index and size must be non-negative integers");
  }
  if (leafIndex >= treeSize) return fail(`leaf index ${leafIndex} is not below tree size ${treeSize}`);
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE) return fail("leaf hash and root must be 32 bytes");
  if (!allHashes(proof)) return fail("every proof element must be 32 bytes");
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return fail("proof is too long");
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return fail("proof is too short");
  return bytesEqual(r, root) ? OK : fail("computed root does not match");
}

/** RFC 9162 §2.1.4.2, with the edge cases decided at the top of this file. */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): MerkleResult {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < 0) {
    return fail("sizes must be non-negative integers");
  }
  if (size1 > size2) return fail(`size1 ${size1} is greater than size2 ${size2}`);
  if (size1 === 0) return fail("consistency with the empty tree proves nothing");
  if (size1 === size2) {
    // Nothing is hashed here, so the roots are compared as given (the vectors include short "roots").
    if (proof.length !== 0) return fail("equal sizes need an empty proof");
    return bytesEqual(root1, root2) ? OK : fail("equal sizes but different roots");
  }
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE) return fail("roots must be 32 bytes");
  if (!allHashes(proof)) return fail("every proof element must be 32 bytes");
  if (proof.length === 0) return fail("empty proof");
  let path = proof;
  // When size1 is a power of two its root is a node of the larger tree and is not sent.
  if (isPowerOfTwo(size1)) path = [root1, ...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) return fail("proof is too long");
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return fail("proof is too short");
  if (!bytesEqual(fr, root1)) return fail("proof does not reproduce root1");
  if (!bytesEqual(sr, root2)) return fail("proof does not reproduce root2");
  return OK;
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1) {
    if (n % 2 === 1) return false;
    n = n / 2;
  }
  return n === 1;
}
