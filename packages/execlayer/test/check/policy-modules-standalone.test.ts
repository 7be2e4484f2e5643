// Modules (header-less files such as stdlib/rules/*.xpol) declare the context fields and approver groups they need;
// the importing policy declares them again with the same shape (or gives the group its members). Checked on their
// own (`xpol check stdlib/rules/bulk_reads.xpol`) they need no header and no group members.
import { describe, expect, test } from "vitest";
import { checkPolicy, type CheckOptions } from "../../src/check/policy-checker.ts";
import { parsePolicy } from "../../src/syntax/parse.ts";

function check(files: Record<string, string>, options: CheckOptions = {}): string[] {
  const parsed = Object.entries(files).map(([path, text]) => ({ path, text, ast: parsePolicy(text, path).ast }));
  return checkPolicy(parsed, options).diagnostics.map((d) => `${d.code} ${d.message}`);
}

const module = `
context { max_rows: int }
group approvers {}
action db.read { rows: int }
tier db.read = T0
rule big_reads on db.read {
  when action.rows > context.max_rows
  require approval 1 of approvers within 4h
}
`;

const policy = (extra: string) => `policy p version "1"
rule reads on db.read { allow }
${extra}
`;

describe("modules on their own", () => {
  test("a module checks without a header, its required group standing for the importer's", () => {
    expect(check({ "m.xpol": module }, { module: true })).toEqual([]);
  });

  test("as a policy, the same text still needs a header and a group with members", () => {
    const codes = check({ "m.xpol": module }).map((d) => d.split(" ")[0]);
    expect(codes).toContain("XP3031");
    expect(codes).toContain("XP3019");
  });
});

describe("modules inside a policy", () => {
  test("the importer's identical context field and concrete group satisfy the module", () => {
    const withGroup = policy(`context { max_rows: int }
group approvers { alice: "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" }`);
    expect(check({ "a.xpol": withGroup, "m.xpol": module })).toEqual([]);
  });

  test("a field declared with another type is a conflict, named as a duplicate", () => {
    const conflicting = policy(`context { max_rows: string }
group approvers { alice: "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" }`);
    expect(check({ "a.xpol": conflicting, "m.xpol": module })).toContain("XP3002 duplicate context field `max_rows`");
  });

  test("a required group nobody gives members to is an empty group", () => {
    const noGroup = policy("context { max_rows: int }");
    expect(check({ "a.xpol": noGroup, "m.xpol": module })).toContain("XP3019 approver group `approvers` has no members");
  });

  test("the same field twice in one file is still a duplicate", () => {
    expect(check({ "a.xpol": policy("context { n: int }\ncontext { n: int }") })).toContain("XP3002 duplicate context field `n`");
  });
});

describe("unknown modules", () => {
  test("a typo in a nested module name is offered the nested module", () => {
    const parsed = [{ path: "p.xpol", text: 'policy p version "1"\nimport std.rules.bulk_read\n' }].map((f) => ({ ...f, ast: parsePolicy(f.text, f.path).ast }));
    const d = checkPolicy(parsed).diagnostics.find((x) => x.code === "XP3020");
    expect(d?.help).toBe("did you mean `std.rules.bulk_reads`?");
  });
});
