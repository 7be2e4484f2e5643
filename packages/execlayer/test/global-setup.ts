// Every test run gets its own temporary root (TMPDIR, which os.tmpdir() reads), removed when the run ends, so the
// hundreds of scratch directories tests make (logs, stores, CLI fixtures) never pile up in the system's /tmp.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), "execlayer-test-"));
  const previous = process.env["TMPDIR"];
  process.env["TMPDIR"] = root;
  return () => {
    if (previous === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
