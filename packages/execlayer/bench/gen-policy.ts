// Generates a synthetic policy with `rules` rules over rules/10 action types (at least 4), used by the
// compile-speed benchmark and by tests that check every rule lands in a plan and the planned work stays linear.
// Deterministic: the same size always gives the same text. Shaped like a large real policy: action types come in
// families of ten (`fam3.op31`), glob rules target one family, and only a fixed handful of rules target a tier,
// so each rule applies to a bounded number of types and the work grows linearly with the size.

export interface GeneratedPolicy {
  readonly path: string;
  readonly text: string;
  readonly actionTypes: readonly string[];
}

const TIERS = ["T0", "T1", "T2", "T3"] as const;

export function generatePolicy(rules: number): GeneratedPolicy {
  const actionCount = Math.max(4, Math.floor(rules / 10));
  const out: string[] = [`policy generated_${rules} version "1.0.0"`, ""];
  out.push("actor {\n  agent: string\n  roles: list<string>\n}\n");
  out.push("context {\n  region: string\n}\n");
  const actionTypes: string[] = [];
  for (let a = 0; a < actionCount; a++) {
    const type = `fam${Math.floor(a / 10)}.op${a}`;
    actionTypes.push(type);
    out.push(`action ${type} {\n  id: string\n  amount: int\n  status: "open" | "closed" | "held"\n  note?: string\n}`);
    const tier = TIERS[a % 4]!;
    if (a % 5 === 0 && tier !== "T3") out.push(`tier ${type} = ${tier} {\n  escalate to T3 when action.amount > ${1000 + a}\n}`);
    else out.push(`tier ${type} = ${tier}`);
    out.push("");
  }
  out.push(
    'group approvers {\n  alice: "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"\n' +
      '  bob: "ed25519:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"\n}\n',
  );
  out.push("counter per_agent {\n  on *\n  per actor.agent\n  window 1h\n}\n");
  for (let r = 0; r < rules; r++) {
    const type = actionTypes[r % actionCount]!;
    const kind = r % 10;
    if (kind === 0) {
      const family = Math.floor((r % actionCount) / 10);
      out.push(`rule r${r} on fam${family}.* {\n  when counter.per_agent > ${500 + r}\n  deny "too many"\n}`);
    } else if (kind === 1 && r < 40) {
      out.push(`rule r${r} on tier >= T2 {\n  when action.amount > ${r}\n  require approval 1 of approvers within 1h\n}`);
    } else if (kind % 3 === 0) {
      out.push(`rule r${r} on ${type} {\n  when action.status == "open" && action.amount < ${r * 3}\n  allow\n  else require approval 2 of approvers within 24h\n}`);
    } else if (kind % 3 === 1) {
      out.push(`rule r${r} on ${type} {\n  when "admin" in actor.roles || context.region == "eu-${r}"\n  allow\n}`);
    } else {
      out.push(`rule r${r} on ${type} {\n  when action.id.startsWith("x-${r}") && !has(action.note)\n  deny "reserved ids"\n}`);
    }
    out.push("");
  }
  return { path: `generated-${rules}.xpol`, text: out.join("\n"), actionTypes };
}
