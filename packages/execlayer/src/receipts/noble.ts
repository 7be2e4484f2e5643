// @noble/ed25519 v3 needs a synchronous SHA-512 for its sync API; configure it once, here, and import `ed` from
// this module only, so every user of noble in the project sees the same configuration.
// The SHA-512 is node:crypto's one-shot `hash` (OpenSSL, built into Node: no dependency): it hashes a ~1 KB receipt
// message in ~2 µs where @noble/hashes takes ~33 µs, and a signature hashes the message twice. SHA-512 is a fixed
// function, so signatures and verdicts are the same bytes as with @noble/hashes (the RFC 8032 vectors and the
// noble == native properties hold it); the curve arithmetic stays noble's.
import * as ed from "@noble/ed25519";
import { digestBytes } from "./bytes.ts";

if (ed.hashes.sha512 === undefined) ed.hashes.sha512 = (message) => digestBytes("sha512", message);

export { ed };
