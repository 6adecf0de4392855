// A held lookalike (quarantine reason "lookalike"): the organisation already on the letter
// beside this signature, and the two decisions: same organisation (keep the first, reject
// this one) or a different one (approve). Every value is written with textContent.
import { el } from "./dom.js";
import { KIND, STATE } from "./labels.js";

/** The row actions a lookalike adds, mapped onto the API's actions. */
export const DECISIONS = {
  "keep-first": { action: "reject", label: "Same organisation: keep the first" },
  different: { action: "approve", label: "Different: approve" },
};

/** The reason recorded when the first is kept. */
export const keepFirstReason = (sig) =>
  `Same organisation as “${sig.lookalike_of?.name || sig.lookalike_of?.id}” (the first kept)`;

function side(title, who) {
  return el("div", { className: "match-side" },
    el("span", { className: "match-title", text: title }),
    el("span", { className: "sig-name", text: who.name || "—" }),
    el("span", { className: "was", text: [KIND[who.kind] || who.kind, who.country, STATE[who.state] || who.state].filter(Boolean).join(" · ") }));
}

/** The side-by-side block for a row, or null when the signature is not a lookalike. */
export function matchBlock(sig) {
  const first = sig.lookalike_of;
  if (!first) return null;
  return el("div", { className: "lookalike", dataset: { lookalike: first.id }, attrs: { role: "group", "aria-label": "Looks like an organisation already on the letter" } },
    side("This signature", sig), side("Looks like, already on the letter", first));
}

export function decisionButtons(sig) {
  if (!sig.lookalike_of || !["quarantined", "awaiting_approval"].includes(sig.state)) return [];
  return Object.entries(DECISIONS).map(([key, d]) => el("button", {
    type: "button", className: `btn btn-small${d.action === "reject" ? " btn-danger" : ""}`,
    dataset: { action: key, id: sig.id },
  }, d.label, el("span", { className: "visually-hidden", text: ` ${sig.name || sig.id}`, attrs: { translate: "no" } })));
}
