// Runs `xpol` in-process with captured output.
import { mkdtempSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function xpol(args: readonly string[], cwd = ROOT): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    cwd,
    stdout: (t) => void (stdout += t.endsWith("\n") ? t : t + "\n"),
    stderr: (t) => void (stderr += t.endsWith("\n") ? t : t + "\n"),
  });
  return { code, stdout, stderr };
}

/** A fresh temporary directory, optionally with a copy of a repository folder in it. */
export function scratch(copy?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "xpol-cli-"));
  if (copy !== undefined) cpSync(resolve(ROOT, copy), dir, { recursive: true });
  return dir;
}

/** A minimal XML 1.0 well-formedness check: balanced tags, quoted attributes, valid entities, no stray `<` or `&`. */
export function wellFormedXml(xml: string): string | null {
  const stack: string[] = [];
  let i = xml.startsWith("<?xml") ? xml.indexOf("?>") + 2 : 0;
  const text = (t: string): string | null => {
    if (t.includes("<")) return `raw markup in text: ${t.slice(0, 40)}`;
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(t)) return `bad entity in: ${t.slice(0, 40)}`;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(t)) return "control character";
    return null;
  };
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    if (lt < 0) {
      const e = text(xml.slice(i));
      if (e !== null) return e;
      break;
    }
    const e = text(xml.slice(i, lt));
    if (e !== null) return e;
    const gt = xml.indexOf(">", lt);
    if (gt < 0) return "unclosed tag";
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith("/")) {
      if (stack.pop() !== tag.slice(1).trim()) return `mismatched </${tag.slice(1)}>`;
    } else {
      const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)$/.exec(tag);
      if (m === null) return `malformed tag <${tag.slice(0, 60)}>`;
      for (const a of m[2]!.matchAll(/="([^"]*)"/g)) {
        const bad = text(a[1]!);
        if (bad !== null) return bad;
      }
      if (m[3] !== "/") stack.push(m[1]!);
    }
    i = gt + 1;
  }
  return stack.length === 0 ? null : `unclosed <${stack[stack.length - 1]}>`;
}
