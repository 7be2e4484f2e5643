// The approval console: pending requests as a human reads them, signed here with the approver's key (which never
// leaves this page), and a receipts view where an auditor checks the log with the runtime's public key. Signing and
// verifying are the core's own code, bundled (core.ts): the same statement bytes as `xpol sign`, the same verifiers
// as `xpol verify`. Every value from the service is put in the page as text, never as markup.
import { approvalStatementBytes, formatPublicKey, keyIdOf, NobleSigner, parsePrivateKeyFile, parsePublicKey, signApproval, type KeyPair, type SignedApproval } from "./core.ts";
import { verifyLog, type LogCheck } from "./verify.ts";

// ---- the page's state ------------------------------------------------------------------------------------------

interface LoadedKey {
  readonly pair: KeyPair;
  readonly publicKey: string;
  readonly keyId: string;
  readonly fileName: string;
}

let key: LoadedKey | null = null;
const TOKEN_KEY = "xpol.console.token";

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`console: #${id} is missing`);
  return el as T;
};

/** Builds an element with text children (strings become text nodes: nothing from the service is parsed as HTML). */
function h(tag: string, attrs: Record<string, string | boolean> = {}, ...children: (Node | string | null | undefined)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false) continue;
    el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(typeof c === "string" ? document.createTextNode(c) : c);
  return el;
}

// ---- talking to the service ------------------------------------------------------------------------------------

/** A refusal of the service (RFC 9457), in words. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = ($("token") as HTMLInputElement).value.trim();
  return token === "" ? extra : { ...extra, authorization: `Bearer ${token}` };
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: headers((init.headers as Record<string, string> | undefined) ?? {}), cache: "no-store" });
  } catch (e: unknown) {
    throw new Refused(0, undefined, `the service cannot be reached (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!res.ok) {
    let detail = `${res.status} ${res.statusText}`;
    let code: string | undefined;
    try {
      const p = (await res.json()) as { detail?: string; title?: string; code?: string };
      detail = p.detail ?? p.title ?? detail;
      code = p.code;
    } catch {
      // not problem details: the status line says enough
    }
    if (res.status === 401) detail += " — enter an access token above";
    throw new Refused(res.status, code, detail);
  }
  return res;
}

const getJson = async <T>(path: string): Promise<T> => (await (await call(path)).json()) as T;
const getText = async (path: string): Promise<string> => (await call(path)).text();

// ---- what the service answers (server/src/view.ts) -------------------------------------------------------------

interface Approver {
  group: string;
  name: string;
  key: string;
}
interface ApprovalJson {
  id: string;
  action_digest: string;
  policy_digest: string;
  tier: string | null;
  action_type: string;
  target: string | null;
  requirements: { group: string; quorum: number; within_ms: number }[];
  created_at: string;
  expires_at: string;
  approvers: Approver[];
  status: "pending" | "approved" | "vetoed" | "consumed" | "expired";
  progress: { group: string; quorum: number; approvedBy: string[] }[];
  approvals: { approver: string; member?: string; verdict?: string; signed_at?: string }[];
}
interface View {
  action: Record<string, unknown> | null;
  reasons: string[];
  rules: { rule: string; effect: string; reason?: string; otherwise?: boolean }[];
  tier_basis?: { tier: string | null; declared: string | null; raised: boolean };
  sensitive?: string[];
  revealed?: Record<string, unknown>;
}
interface Detail extends View {
  request: ApprovalJson;
  statement_bytes: string | null;
}
type ListItem = ApprovalJson & View;

// ---- small formatting helpers ----------------------------------------------------------------------------------

function remaining(ms: number): string {
  if (ms <= 0) return "expired";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const parts = d > 0 ? [`${d} d`, `${hh} h`, `${mm} min`] : hh > 0 ? [`${hh} h`, `${mm} min`, `${ss} s`] : mm > 0 ? [`${mm} min`, `${ss} s`] : [`${ss} s`];
  return `in ${parts.join(" ")}`;
}

/** A countdown to `iso`, refreshed every second by tick(). */
function countdown(iso: string): HTMLElement {
  const el = h("span", { "data-expires": iso, class: "countdown" }, remaining(Date.parse(iso) - Date.now()));
  return h("span", {}, el, h("span", { class: "muted" }, ` (${new Date(iso).toLocaleString()})`));
}

function tick(): void {
  for (const el of document.querySelectorAll<HTMLElement>("[data-expires]")) {
    el.textContent = remaining(Date.parse(el.dataset["expires"] ?? "") - Date.now());
  }
}

function valueText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function statusBadge(status: string): HTMLElement {
  return h("span", { class: `badge status-${status}` }, status);
}

function message(kind: "ok" | "bad" | "warn", ...children: (Node | string)[]): HTMLElement {
  return h("div", { class: `message ${kind}` }, ...children);
}

/** A table of an object's fields; masked (@sensitive) ones say so. */
function fieldTable(caption: string, values: Record<string, unknown>, maskedPrefix: string, masked: readonly string[], revealed: Record<string, unknown>): HTMLElement {
  const rows = Object.entries(values).map(([k, v]) => {
    const path = `${maskedPrefix}.${k}`;
    const cell =
      !masked.includes(path) ? h("td", {}, h("code", {}, valueText(v)))
      : path in revealed ? h("td", {}, h("code", {}, valueText(revealed[path])), " ", h("span", { class: "masked" }, "(@sensitive: shown to you, recorded masked)"))
      : h("td", {}, h("span", { class: "masked" }, "masked (@sensitive)"), " ", h("code", { class: "muted" }, valueText(v)));
    return h("tr", {}, h("th", { scope: "row" }, k), cell);
  });
  if (rows.length === 0) return h("p", { class: "muted" }, `${caption}: none`);
  return h("div", { class: "table-wrap" }, h("table", {}, h("caption", { class: "muted" }, caption), h("tbody", {}, ...rows)));
}

function whoSigned(r: ApprovalJson): HTMLElement {
  const signed = new Set(r.approvals.map((a) => a.approver));
  const items = r.progress.map((p) => {
    const members = r.approvers.filter((a) => a.group === p.group);
    const still = members.filter((m) => !signed.has(keyIdOfText(m.key)));
    return h(
      "li",
      {},
      h("strong", {}, `${p.group}: ${p.approvedBy.length} of ${p.quorum}`),
      ` signed${p.approvedBy.length > 0 ? ` (${p.approvedBy.join(", ")})` : ""}. `,
      still.length > 0 ? `May still sign: ${still.map((m) => m.name).join(", ")}.` : "Every member has signed.",
    );
  });
  return h("ul", {}, ...items);
}

/** The key id of an `ed25519:<hex>` key, as statements name it; the text itself when it does not parse. */
function keyIdOfText(text: string): string {
  const k = parsePublicKey(text);
  return k.ok ? keyIdOf(k.value) : text;
}

// ---- the key file ----------------------------------------------------------------------------------------------

async function loadKeyFile(file: File): Promise<void> {
  const status = $("key-status");
  const forget = $("key-forget");
  key = null;
  let text: string;
  try {
    text = await file.text();
  } catch {
    status.textContent = `Could not read ${file.name}. No key is loaded.`;
    return;
  }
  const parsed = parsePrivateKeyFile(text);
  if (!parsed.ok) {
    status.textContent = `${file.name} is not an ExecLayer private key file: ${parsed.error}. No key is loaded.`;
    status.className = "bad";
    forget.hidden = true;
    render();
    return;
  }
  const publicKey = formatPublicKey(parsed.value.publicKey);
  key = { pair: parsed.value, publicKey, keyId: keyIdOf(parsed.value.publicKey), fileName: file.name };
  status.textContent = `Key loaded from ${file.name}: ${key.keyId} (public key ${publicKey}). It stays in this page.`;
  status.className = "ok";
  forget.hidden = false;
  render();
}

function forgetKey(): void {
  key = null;
  ($("key-file") as HTMLInputElement).value = "";
  $("key-status").textContent = "No key loaded.";
  $("key-status").className = "";
  $("key-forget").hidden = true;
  render();
}

// ---- views -----------------------------------------------------------------------------------------------------

const main = (): HTMLElement => $("main");

function show(title: string, ...children: (Node | string)[]): void {
  const m = main();
  m.replaceChildren(h("h1", {}, title), ...children);
  document.title = `${title} — ExecLayer`;
}

async function listView(): Promise<void> {
  let list: ListItem[];
  try {
    list = (await getJson<{ approvals: ListItem[] }>("/v1/approvals")).approvals;
  } catch (e: unknown) {
    show("Approvals", message("bad", `Could not load the requests: ${e instanceof Error ? e.message : String(e)}.`));
    return;
  }
  const pending = list.filter((r) => r.status === "pending");
  watch("/v1/approvals", listFingerprint(list));
  const cards = pending.map((r) => {
    const actor = isObject(r.action) && isObject(r.action["actor"]) ? r.action["actor"] : {};
    return h(
      "article",
      { class: "card", "aria-labelledby": `t-${r.id}` },
      h("h2", { id: `t-${r.id}` }, h("a", { href: `#/approvals/${r.id}` }, `${r.action_type}${r.target !== null ? ` on ${r.target}` : ""}`)),
      h(
        "dl",
        {},
        h("dt", {}, "Tier"),
        h("dd", {}, r.tier ?? "none"),
        h("dt", {}, "Asked by"),
        h("dd", {}, `${valueText(actor["agent"] ?? "unknown agent")}${actor["on_behalf_of"] !== undefined ? ` on behalf of ${valueText(actor["on_behalf_of"])}` : ""}`),
        h("dt", {}, "Expires"),
        h("dd", {}, countdown(r.expires_at)),
        h("dt", {}, "Signatures"),
        h("dd", {}, r.progress.map((p) => `${p.group}: ${p.approvedBy.length} of ${p.quorum}`).join("; ")),
      ),
    );
  });
  show(
    pending.length === 0 ? "No pending approvals" : `Pending approvals (${pending.length})`,
    h("button", { type: "button", id: "refresh" }, "Refresh"),
    ...(cards.length > 0 ? cards : [h("p", {}, "Nothing waits for a signature now.")]),
  );
  $("refresh").addEventListener("click", () => void route());
}

/** `before`: what the page showed when it was redrawn (a key or token change), so a change meanwhile is said too. */
async function detailView(id: string, notice?: HTMLElement, before?: { readonly path: string; readonly fingerprint: string } | null): Promise<void> {
  let d: Detail;
  const path = `/v1/approvals/${encodeURIComponent(id)}`;
  try {
    d = await getJson<Detail>(path);
  } catch (e: unknown) {
    show("Approval request", message("bad", `Could not load request ${id}: ${e instanceof Error ? e.message : String(e)}.`), h("p", {}, h("a", { href: "#/approvals" }, "Back to the list")));
    return;
  }
  // A plain redraw (a key loaded, the token changed) that lands while the approver is answering the veto question
  // or signing would close the question under their hands: it waits until they are done (the veto's Cancel).
  if (busy && notice === undefined) {
    redrawWhenIdle = true;
    watch(path, requestFingerprint(d)); // the live refresh goes on meanwhile
    return;
  }
  redrawWhenIdle = false;
  const r = d.request;
  if (notice === undefined && before?.path === path && before.fingerprint !== requestFingerprint(d)) notice = changedNotice(d);
  watch(path, requestFingerprint(d));
  const masked = d.sensitive ?? [];
  const revealed = d.revealed ?? {};
  const ir = d.action ?? {};
  const act = isObject(ir["action"]) ? ir["action"] : {};
  const params = isObject(act["params"]) ? act["params"] : {};
  const actor = isObject(ir["actor"]) ? ir["actor"] : {};
  const context = isObject(ir["context"]) ? ir["context"] : {};
  const basis = d.tier_basis;
  const tierText =
    basis === undefined || basis.declared === null ? `${r.tier ?? "none"}`
    : basis.raised ? `${r.tier} — raised from ${basis.declared} (declared for ${r.action_type}) by an escalation named in the reasons`
    : `${r.tier} — declared for ${r.action_type} by the policy`;

  const signing = h("section", { "aria-labelledby": "sign-h" }, h("h2", { id: "sign-h" }, "Your decision"));
  signing.append(
    h("p", {}, "You sign the request id with these digests. Compare them with what ", h("code", {}, "xpol approvals show"), " prints."),
    h(
      "dl",
      {},
      h("dt", {}, "Action digest"),
      h("dd", { class: "digest", id: "action-digest" }, r.action_digest),
      h("dt", {}, "Policy digest"),
      h("dd", { class: "digest" }, r.policy_digest),
      h("dt", {}, "Request"),
      h("dd", { class: "digest" }, r.id),
      h("dt", {}, "Signing as"),
      h("dd", {}, key === null ? "no key loaded: load your key file above" : `${memberName(r, key) ?? "a key outside this request's groups"} (${key.keyId})`),
    ),
    h("button", { type: "button", class: "approve", id: "approve", disabled: r.status !== "pending" }, "Approve"),
    h("button", { type: "button", class: "reject", id: "reject", disabled: r.status !== "pending" }, "Reject (veto)"),
    // a veto is final (one veto settles the request): it is signed only after a second, explicit step
    h(
      "div",
      { id: "veto-confirm", role: "alertdialog", "aria-labelledby": "veto-confirm-text", hidden: true },
      h("p", { id: "veto-confirm-text" }, "A veto is final: this action will not run, whatever the other approvers do. Sign the veto?"),
      h("button", { type: "button", class: "reject", id: "veto-yes" }, "Sign the veto"),
      h("button", { type: "button", id: "veto-no" }, "Cancel"),
    ),
    h("div", { id: "sign-result", role: "status", "aria-live": "polite", tabindex: "-1" }, notice ?? ""),
  );

  show(
    `${r.action_type}${r.target !== null ? ` on ${r.target}` : ""}`,
    h(
      "dl",
      {},
      h("dt", {}, "Status"),
      h("dd", { id: "request-status" }, statusBadge(r.status)),
      h("dt", {}, "Expires"),
      h("dd", {}, r.status === "pending" || r.status === "approved" ? countdown(r.expires_at) : new Date(r.expires_at).toLocaleString()),
      h("dt", {}, "Opened"),
      h("dd", {}, new Date(r.created_at).toLocaleString()),
    ),
    h("h2", {}, "The action"),
    h("dl", {}, h("dt", {}, "Type"), h("dd", {}, h("code", {}, r.action_type)), h("dt", {}, "Target"), h("dd", {}, h("code", {}, r.target ?? "none"))),
    d.action === null ? message("warn", "The service does not hold this request's recorded action (its receipt could not be read).") : fieldTable("Every parameter", params, "action.params", masked, revealed),
    h("h2", {}, "Why it needs approval"),
    h("dl", {}, h("dt", {}, "Tier"), h("dd", {}, tierText)),
    h("ul", {}, ...d.rules.map((x) => h("li", {}, h("code", {}, x.rule), ` → ${x.effect}${x.otherwise === true ? " (its condition did not hold)" : ""}${x.reason !== undefined ? `: ${x.reason}` : ""}`))),
    h("ul", {}, ...d.reasons.map((x) => h("li", {}, x))),
    h("h2", {}, "Who asks"),
    fieldTable("The requesting agent and on whose behalf", actor, "actor", masked, revealed),
    h("h2", {}, "Context it was decided in"),
    fieldTable("Context", context, "context", masked, revealed),
    h("h2", {}, "Signatures"),
    whoSigned(r),
    ...(r.approvals.length > 0 ? [h("ul", {}, ...r.approvals.map((a) => h("li", {}, `${a.member ?? a.approver} — ${a.verdict ?? "approve"} at ${a.signed_at ?? "?"}`)))] : []),
    ...(masked.length > 0 ? [h("p", { class: "hint" }, `@sensitive: ${masked.join(", ")}. Receipts bind these values without revealing them; the console shows them only to an approver whose access token may see them, while the request is open.`)] : []),
    signing,
    h("p", {}, h("a", { href: "#/approvals" }, "Back to the list")),
  );
  $("approve").addEventListener("click", () => void sign(r.id, "approve"));
  const confirm = $("veto-confirm");
  const closeConfirm = (): void => {
    confirm.hidden = true;
    busy = false;
    $("reject").focus();
  };
  $("reject").addEventListener("click", () => {
    busy = true; // no live refresh under an open question
    confirm.hidden = false;
    $("veto-no").focus();
  });
  $("veto-no").addEventListener("click", () => {
    closeConfirm();
    const said = message("warn", "Veto cancelled. Nothing was signed.");
    if (redrawWhenIdle) rendering = rendering.then(() => detailView(r.id, said));
    else $("sign-result").replaceChildren(said);
  });
  $("veto-yes").addEventListener("click", () => {
    confirm.hidden = true;
    void sign(r.id, "reject");
  });
  confirm.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") $("veto-no").click();
  });
  // after a signature the page is drawn again: keyboard and screen-reader users land on the outcome
  if (notice !== undefined) $("sign-result").focus();
}

function memberName(r: ApprovalJson, k: LoadedKey): string | null {
  const names = r.approvers.filter((a) => a.key === k.publicKey).map((a) => `${a.name} of ${a.group}`);
  return names.length > 0 ? names.join(", ") : null;
}

function b64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Signs and submits a verdict; every refusal is said in words and nothing is sent or changed. */
async function sign(id: string, verdict: "approve" | "reject"): Promise<void> {
  busy = true;
  try {
    await signNow(id, verdict);
  } finally {
    busy = false;
  }
}

async function signNow(id: string, verdict: "approve" | "reject"): Promise<void> {
  const out = $("sign-result");
  const say = (kind: "ok" | "bad" | "warn", ...text: (Node | string)[]): void => {
    out.replaceChildren(message(kind, ...text));
  };
  const buttons = [$("approve"), $("reject")] as HTMLButtonElement[];
  for (const b of buttons) b.disabled = true;
  const enable = (): void => {
    for (const b of buttons) b.disabled = false;
  };
  if (key === null) {
    say("bad", "Load your private key file first. Nothing was signed.");
    enable();
    return;
  }
  const k = key;
  try {
    // the request as it is now: another approver may have settled it meanwhile
    const fresh = await getJson<Detail>(`/v1/approvals/${encodeURIComponent(id)}`);
    const r = fresh.request;
    if (r.status !== "pending") {
      const by = r.progress.flatMap((p) => p.approvedBy);
      const how = r.status === "approved" || r.status === "consumed" ? ` by ${by.join(", ")}` : "";
      await detailView(id, message("warn", `This request was ${r.status}${how} meanwhile. Nothing was signed.`));
      return;
    }
    if (Date.parse(r.expires_at) <= Date.now()) {
      say("bad", `This request expired at ${new Date(r.expires_at).toLocaleString()}. Nothing was signed.`);
      return;
    }
    if (memberName(r, k) === null) {
      const groups = [...new Set(r.approvers.map((a) => a.group))].map((g) => `${g}: ${r.approvers.filter((a) => a.group === g).map((a) => a.name).join(", ")}`);
      say("bad", `Your key ${k.keyId} is not one of this request's approvers (${groups.join("; ")}). Nothing was signed.`);
      enable();
      return;
    }
    if (r.approvals.some((a) => a.approver === k.keyId)) {
      say("warn", "You have signed this request already. Nothing was signed again.");
      return;
    }
    const signed: SignedApproval = signApproval(new NobleSigner(k.pair), { id: r.id, actionDigest: r.action_digest, policyDigest: r.policy_digest }, verdict, Date.now());
    const bytes = approvalStatementBytes(signed.statement);
    // the service's own rendering of this statement must be the very bytes signed here
    const q = new URLSearchParams({ approver: k.keyId, verdict, signed_at: signed.statement.signed_at });
    const theirs = await getJson<Detail>(`/v1/approvals/${encodeURIComponent(id)}?${q.toString()}`);
    if (theirs.statement_bytes !== b64(bytes)) {
      say("bad", "The service describes different statement bytes than this page signed. Nothing was sent.");
      enable();
      return;
    }
    const res = await call(`/v1/approvals/${encodeURIComponent(id)}/signatures`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(signed),
    });
    const answer = (await res.json()) as { request: ApprovalJson; receipt: { seq: number } | null };
    const after = answer.request;
    const what =
      after.status === "approved" ? "The request is approved: the agent's waiting call may now run, once."
      : after.status === "vetoed" ? "The request is vetoed: the action will not run."
      : `Still pending: ${after.progress.map((p) => `${p.group} ${p.approvedBy.length} of ${p.quorum}`).join("; ")}.`;
    await detailView(
      id,
      message(
        "ok",
        h("p", {}, `Your ${verdict === "approve" ? "approval" : "veto"} counted${answer.receipt !== null ? ` (receipt ${answer.receipt.seq})` : ""}. ${what}`),
        h("p", { class: "hint" }, "The exact bytes signed:"),
        h("pre", { id: "signed-bytes" }, new TextDecoder().decode(bytes)),
        h("p", { class: "hint" }, "Signature: ", h("code", {}, signed.signature)),
      ),
    );
  } catch (e: unknown) {
    const why = e instanceof Refused ? `${e.message}${e.code !== undefined ? ` (${e.code})` : ""}` : e instanceof Error ? e.message : String(e);
    say("bad", `The service refused it: ${why}. Nothing changed.`);
    enable();
  }
}

// ---- receipts --------------------------------------------------------------------------------------------------

function receiptsView(): void {
  const keyInput = h("input", { type: "text", id: "runtime-key", spellcheck: "false", autocomplete: "off", placeholder: "ed25519:…", "aria-describedby": "runtime-key-hint" });
  show(
    "Verify receipts",
    h("p", {}, "Every decision and approval is a signed receipt in a hash chain, with signed checkpoints over a Merkle tree. This page checks them itself with the runtime's public key; the service is not trusted."),
    h(
      "div",
      { class: "field" },
      h("label", { for: "runtime-key" }, "Runtime public key"),
      keyInput,
      h("p", { class: "hint", id: "runtime-key-hint" }, "Paste it (", h("code", {}, "ed25519:…"), ") or load the state directory's ", h("code", {}, ".pub"), " file."),
    ),
    h("div", { class: "field" }, h("label", { for: "runtime-key-file" }, "Or load the public key file"), h("input", { type: "file", id: "runtime-key-file", accept: ".pub,text/plain" })),
    h("button", { type: "button", id: "verify" }, "Verify the log"),
    h("div", { id: "verify-result", role: "status", "aria-live": "polite" }),
  );
  $("runtime-key-file").addEventListener("change", (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f !== undefined) void f.text().then((t) => ((keyInput as HTMLInputElement).value = t.trim()));
  });
  $("verify").addEventListener("click", () => void verifyNow((keyInput as HTMLInputElement).value));
}

async function verifyNow(keyText: string): Promise<void> {
  const out = $("verify-result");
  const pub = parsePublicKey(keyText);
  if (!pub.ok) {
    out.replaceChildren(message("bad", `That is not a public key: ${pub.error}. Nothing was checked.`));
    return;
  }
  out.replaceChildren(h("p", {}, "Checking…"));
  let check: LogCheck;
  try {
    check = await verifyLog(pub.value, { text: getText, json: getJson });
  } catch (e: unknown) {
    out.replaceChildren(message("bad", `Could not read the log: ${e instanceof Error ? e.message : String(e)}.`));
    return;
  }
  const rows = check.receipts.slice(-200).map((r) =>
    h("tr", {}, h("td", {}, String(r.seq)), h("td", {}, h("time", { datetime: r.time }, r.time.slice(11, 19))), h("td", {}, `${r.kind}: ${r.summary}`), h("td", {}, r.included === null ? "not yet" : r.included ? "✔" : "✘")),
  );
  out.replaceChildren(
    message(check.ok ? "ok" : "bad", h("strong", { id: "verify-verdict" }, check.ok ? "The log verifies." : "The log does NOT verify.")),
    h("ul", { class: "checks", id: "verify-checks" }, ...check.findings.map((f) => h("li", { class: f.kind }, f.text))),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("caption", { class: "muted" }, check.receipts.length > 200 ? "The latest 200 receipts" : "Receipts"),
        h("thead", {}, h("tr", {}, ...["Seq", "Time (UTC)", "What", "Included"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...rows),
      ),
    ),
  );
}

// ---- routing ---------------------------------------------------------------------------------------------------

// ---- live refresh ----------------------------------------------------------------------------------------------
// The list and a request's page follow the service on their own: every REFRESH_MS (while the tab is visible and
// nothing is being signed or confirmed) the view's JSON is fetched again and the view redrawn only when it changed,
// so an approver sees a new request, or a request settled by someone else, without pressing Refresh.

const REFRESH_MS = 4000;
/** what the current view was drawn from: its URL and a fingerprint of the parts it shows */
let drawn: { readonly path: string; readonly fingerprint: string } | null = null;
/** a signature is being made or a veto confirmed: no redraw under the approver's hands */
let busy = false;
/** a redraw was asked for while busy (detailView): done when the approver cancels the veto, else by the signing's own */
let redrawWhenIdle = false;

function watch(path: string, fingerprint: string): void {
  drawn = { path, fingerprint };
}

function listFingerprint(list: readonly ListItem[]): string {
  return JSON.stringify(list.filter((r) => r.status === "pending").map((r) => [r.id, r.progress.map((p) => p.approvedBy.length)]));
}

function requestFingerprint(d: Detail): string {
  return JSON.stringify([d.request.status, d.request.approvals.length]);
}

/** Said when a request the approver was looking at changed under them (signed or settled by someone else). */
function changedNotice(d: Detail): HTMLElement {
  const r = d.request;
  const by = r.approvals.map((a) => `${a.member ?? a.approver} (${a.verdict ?? "approve"})`).join(", ");
  return message("warn", `This request changed while you were looking: now ${r.status}${by !== "" ? `; signed by ${by}` : ""}.`);
}

async function poll(): Promise<void> {
  const was = drawn;
  if (was === null || busy || document.visibilityState !== "visible") return;
  try {
    if (was.path === "/v1/approvals") {
      const list = (await getJson<{ approvals: ListItem[] }>(was.path)).approvals;
      if (drawn === was && !busy && listFingerprint(list) !== was.fingerprint) render();
      return;
    }
    const d = await getJson<Detail>(was.path);
    if (drawn !== was || busy || requestFingerprint(d) === was.fingerprint) return;
    const notice = changedNotice(d);
    rendering = rendering.then(() => detailView(d.request.id, notice));
  } catch {
    // a failed poll changes nothing; the next one tries again, and an explicit action reports errors in words
  }
}

async function route(): Promise<void> {
  const before = drawn;
  drawn = null;
  const hash = location.hash.replace(/^#/, "") || "/approvals";
  const m = /^\/approvals\/([A-Za-z0-9_]+)$/.exec(hash);
  $("nav-approvals").toggleAttribute("aria-current", false);
  $("nav-receipts").toggleAttribute("aria-current", false);
  $("key-area").hidden = hash === "/receipts";
  if (hash === "/receipts") {
    $("nav-receipts").setAttribute("aria-current", "page");
    receiptsView();
  } else if (m !== null) {
    $("nav-approvals").setAttribute("aria-current", "page");
    await detailView(m[1]!, undefined, before);
  } else {
    $("nav-approvals").setAttribute("aria-current", "page");
    await listView();
  }
}

let rendering: Promise<void> = Promise.resolve();
/** Renders the current view again (after a key or token change), one render at a time. */
function render(): void {
  rendering = rendering.then(route, route);
}

function start(): void {
  const token = $("token") as HTMLInputElement;
  token.value = sessionStorage.getItem(TOKEN_KEY) ?? "";
  token.addEventListener("change", () => {
    sessionStorage.setItem(TOKEN_KEY, token.value.trim());
    render();
  });
  $("key-file").addEventListener("change", (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f !== undefined) void loadKeyFile(f);
  });
  $("key-forget").addEventListener("click", forgetKey);
  window.addEventListener("hashchange", () => {
    render();
    main().focus();
  });
  setInterval(tick, 1000);
  setInterval(() => void poll(), REFRESH_MS);
  render();
}

start();
