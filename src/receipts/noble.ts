// @noble/ed25519 v3 needs a synchronous SHA-512 for its sync API; configure it once, here, and import `ed` from
// this module only, so every user of noble in the project sees the same configuration.
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";

if (ed.hashes.sha512 === undefined) ed.hashes.sha512 = sha512;

export { ed };
