import { test as fcTest, fc } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { fromBase64, toBase64, toHex } from "../../src/receipts/bytes.ts";
import {
  checkpointText,
  noteKeyId,
  noteVerifierKey,
  parseCheckpointText,
  parseSignedNote,
  signCheckpoint,
  signNote,
  verifyCheckpoint,
} from "../../src/receipts/checkpoint.ts";
import { keyPairFromSeed } from "../../src/index.ts";
import { EMPTY_ROOT } from "../../src/receipts/merkle.ts";
import { NativeSigner, NobleSigner } from "../../src/index.ts";
import { verifySignature } from "../../src/receipts/index.ts";
import { seedKey } from "./helpers.ts";

describe("C2SP signed note: the golang.org/x/mod/sumdb/note reference vector", () => {
  // PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz: 0x01 || 32-byte seed
  const seed = (fromBase64("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz") as Uint8Array).subarray(1);
  const signer = new NobleSigner(keyPairFromSeed(seed));
  const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const note = text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

  test("key id and verifier key string match", () => {
    expect(toHex(noteKeyId("PeterNeumann", signer.publicKey))).toBe("c74f20a3");
    expect(noteVerifierKey("PeterNeumann", signer.publicKey)).toBe("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  });

  test("signing reproduces the note byte for byte; parsing and verifying it works", () => {
    expect(signNote(text, signer, "PeterNeumann")).toBe(note);
    const parsed = parseSignedNote(note);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.text).toBe(text);
    const [sig] = parsed.value.signatures;
    expect(sig?.name).toBe("PeterNeumann");
    expect(verifySignature(signer.publicKey, new TextEncoder().encode(text), sig!.signature)).toBe(true);
  });
});

describe("checkpoints", () => {
  const pair = seedKey(1);
  const signer = new NativeSigner(pair);
  const root = new Uint8Array(32).fill(9);

  test("the text is origin, size, base64 root; the note verifies with the key, not with another", () => {
    const cp = { origin: "example.com/log", size: 42, root };
    expect(checkpointText(cp)).toBe("example.com/log\n42\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n");
    const note = signCheckpoint(cp, signer);
    expect(note.startsWith(checkpointText(cp) + "\n— example.com/log ")).toBe(true);
    const v = verifyCheckpoint(note, pair.publicKey);
    expect(v.ok && v.value.size).toBe(42);
    expect(verifyCheckpoint(note, seedKey(2).publicKey).ok).toBe(false);
  });

  test("a forged checkpoint (changed size or root, or re-signed by another key) does not verify", () => {
    const note = signCheckpoint({ origin: "example.com/log", size: 5, root }, signer);
    expect(verifyCheckpoint(note.replace("\n5\n", "\n6\n"), pair.publicKey).ok).toBe(false);
    const rootLine = `\n${toBase64(root)}\n`;
    expect(note).toContain(rootLine);
    expect(verifyCheckpoint(note.replace(rootLine, `\n${toBase64(EMPTY_ROOT)}\n`), pair.publicKey).ok).toBe(false);
    const other = signCheckpoint({ origin: "example.com/log", size: 5, root: EMPTY_ROOT }, new NativeSigner(seedKey(3)));
    expect(verifyCheckpoint(other, pair.publicKey).ok).toBe(false);
    // Another key's signature line is ignored, ours must still be present and valid.
    const both = note + other.slice(other.lastIndexOf("—"));
    expect(verifyCheckpoint(both, pair.publicKey).ok).toBe(true);
  });

  test("malformed notes and checkpoint texts are errors", () => {
    expect(parseSignedNote("no blank line\n— a AAAA\n").ok).toBe(false);
    expect(parseSignedNote("text\n\n— a AAAAAAAA\n").ok).toBe(true);
    expect(parseSignedNote("text\n\n— a AAAAAAAA").ok).toBe(false); // no final newline
    expect(parseSignedNote("te\u0001xt\n\n— a AAAAAAAA\n").ok).toBe(false);
    expect(parseCheckpointText("o\n01\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n").ok).toBe(false); // leading zero
    expect(parseCheckpointText("o\n1\nCQkJ\n").ok).toBe(false); // short root
    expect(parseCheckpointText("o\n1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=").ok).toBe(false);
    expect(parseCheckpointText("o\n1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\next\n").ok).toBe(true);
  });

  fcTest.prop([fc.nat(), fc.uint8Array({ minLength: 32, maxLength: 32 })], { numRuns: 30 })("sign then verify round-trips", (size, r) => {
    const v = verifyCheckpoint(signCheckpoint({ origin: "o.example/x", size, root: r }, signer), pair.publicKey);
    expect(v.ok).toBe(true);
    if (v.ok) expect([v.value.size, toHex(v.value.root)]).toEqual([size, toHex(r)]);
  });
});
