import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fileErrorReason } from "../../src/diagnostics/file-error.ts";

describe("fileErrorReason", () => {
  it("is the errno code of a real fs error, else the message, else the value as text", () => {
    let caught: unknown;
    try {
      readFileSync("/definitely/not/here.xpol");
    } catch (e: unknown) {
      caught = e;
    }
    expect(fileErrorReason(caught)).toBe("ENOENT");
    expect(fileErrorReason(new Error("disk on fire"))).toBe("disk on fire");
    expect(fileErrorReason("plain")).toBe("plain");
    expect(fileErrorReason(null)).toBe("null");
  });
});
