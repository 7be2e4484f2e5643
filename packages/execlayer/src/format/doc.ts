// A small pretty-printing document (Wadler / Prettier style): text, line breaks that become a space (or nothing)
// when their group fits on the line, groups, and indentation. Deterministic, so formatting is idempotent.

export type Doc = string | Concat | Line | Group | Indent;

interface Concat {
  readonly kind: "concat";
  readonly parts: readonly Doc[];
}

interface Line {
  readonly kind: "line";
  /** what the line is when its group is flat: " " for `line`, "" for `softline` */
  readonly flat: string;
}

interface Group {
  readonly kind: "group";
  readonly doc: Doc;
}

interface Indent {
  readonly kind: "indent";
  readonly doc: Doc;
}

export const line: Doc = { kind: "line", flat: " " };
export const softline: Doc = { kind: "line", flat: "" };

/** A line break that is `flat` (e.g. ", ") when its group fits. */
export function lineOr(flat: string): Doc {
  return { kind: "line", flat };
}

export function concat(...parts: Doc[]): Doc {
  return { kind: "concat", parts };
}

export function group(...parts: Doc[]): Doc {
  return { kind: "group", doc: parts.length === 1 ? parts[0]! : concat(...parts) };
}

export function indent(...parts: Doc[]): Doc {
  return { kind: "indent", doc: parts.length === 1 ? parts[0]! : concat(...parts) };
}

export function join(sep: Doc, docs: readonly Doc[]): Doc {
  const parts: Doc[] = [];
  docs.forEach((d, i) => {
    if (i > 0) parts.push(sep);
    parts.push(d);
  });
  return concat(...parts);
}

type Mode = "flat" | "break";

interface Frame {
  readonly indent: number;
  readonly mode: Mode;
  readonly doc: Doc;
}

/** Whether the rest of a flat group (`next`) fits in `width` columns; text with a line break never fits. */
function fits(next: Frame, rest: readonly Frame[], width: number): boolean {
  let remaining = width;
  const stack: Frame[] = [next];
  let restIndex = rest.length - 1;
  while (remaining >= 0) {
    let f = stack.pop();
    if (f === undefined) {
      // The text after the group up to the next line break must fit too.
      if (restIndex < 0) return true;
      f = rest[restIndex--]!;
    }
    const d = f.doc;
    if (typeof d === "string") {
      if (d.includes("\n")) return false;
      remaining -= d.length;
      continue;
    }
    switch (d.kind) {
      case "concat":
        for (let i = d.parts.length - 1; i >= 0; i--) stack.push({ indent: f.indent, mode: f.mode, doc: d.parts[i]! });
        break;
      case "line":
        if (f.mode === "break") return true;
        remaining -= d.flat.length;
        break;
      case "group":
        stack.push({ indent: f.indent, mode: f.mode, doc: d.doc });
        break;
      case "indent":
        stack.push({ indent: f.indent + 2, mode: f.mode, doc: d.doc });
        break;
    }
  }
  return false;
}

/** Renders `doc` starting at column `column` with base indentation `baseIndent` (spaces), `width` columns wide. */
export function render(doc: Doc, width: number, baseIndent: number, column = baseIndent): string {
  let out = "";
  let col = column;
  const stack: Frame[] = [{ indent: baseIndent, mode: "break", doc }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    const d = f.doc;
    if (typeof d === "string") {
      out += d;
      const nl = d.lastIndexOf("\n");
      col = nl < 0 ? col + d.length : d.length - nl - 1;
      continue;
    }
    switch (d.kind) {
      case "concat":
        for (let i = d.parts.length - 1; i >= 0; i--) stack.push({ indent: f.indent, mode: f.mode, doc: d.parts[i]! });
        break;
      case "line":
        if (f.mode === "flat") {
          out += d.flat;
          col += d.flat.length;
        } else {
          out += "\n" + " ".repeat(f.indent);
          col = f.indent;
        }
        break;
      case "group": {
        const flat: Frame = { indent: f.indent, mode: "flat", doc: d.doc };
        stack.push(fits(flat, stack, width - col) ? flat : { indent: f.indent, mode: "break", doc: d.doc });
        break;
      }
      case "indent":
        stack.push({ indent: f.indent + 2, mode: f.mode, doc: d.doc });
        break;
    }
  }
  return out;
}
