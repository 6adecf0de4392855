// The organisers' page in the organiser's language (English or Korean, chosen as on the public
// page: ../i18n.js, the same stored choice). Strings are written in English in the HTML and the
// modules; in Korean each text node and label is looked up in ko.js as the page renders (a
// MutationObserver), so the panels need no change to be translated. What signers and organisers
// typed (names, affiliations, emails, reasons, token names) is never looked up: it sits in
// [translate="no"] or in the columns listed in KEEP.
import { getLang, LANGS, setLang } from "../i18n.js";
import { KO, KO_PATTERNS } from "./ko.js";
import "./ko_counts.js"; // more of KO and KO_PATTERNS

const ATTRS = ["aria-label", "placeholder", "title", "data-label"];
const KEEP = '[translate="no"], .sig-name, .col-email, td.col-more, #audit-body td:not(.hint), .token-name, .preview-body, textarea, code';

export const lang = getLang() === "ko" ? "ko" : "en";

/** A string in the page's language: `english` with {0}, {1}… filled from `args`. */
export function t(english, ...args) {
  const text = lang === "ko" ? translate(english) ?? english : english;
  return text.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ""));
}

function translate(text) {
  const key = text.trim();
  if (!key) return null;
  let out = KO[key];
  if (out === undefined) {
    for (const [re, to] of KO_PATTERNS) {
      // `to` is a replacement string, or a function given (translate, ...groups)
      if (re.test(key)) { out = typeof to === "function" ? key.replace(re, (...m) => to((s) => KO[s] ?? s, ...m.slice(1))) : key.replace(re, to); break; }
    }
  }
  if (out === undefined) return null;
  return text.replace(key, out);
}

function kept(node) {
  const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  return !el || Boolean(el.closest(KEEP)) || el.closest("script, style");
}

function textNode(node) {
  if (kept(node)) return;
  const out = translate(node.nodeValue);
  if (out !== null && out !== node.nodeValue) node.nodeValue = out;
}

function element(el) {
  if (kept(el)) return;
  for (const a of ATTRS) {
    const v = el.getAttribute(a);
    if (v) {
      const out = translate(v);
      if (out !== null && out !== v) el.setAttribute(a, out);
    }
  }
}

function walk(root) {
  if (root.nodeType === Node.TEXT_NODE) { textNode(root); return; }
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  element(root);
  const it = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = it.nextNode(); n; n = it.nextNode()) {
    if (n.nodeType === Node.TEXT_NODE) textNode(n); else element(n);
  }
}

/** Translate the page now and whatever is written into it later; mount the switch. */
export function start(switchContainer) {
  document.documentElement.lang = lang;
  if (switchContainer) mountSwitch(switchContainer);
  if (lang === "en") return;
  document.title = translate(document.title) ?? document.title;
  walk(document.body);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "characterData") textNode(r.target);
      else if (r.type === "attributes") element(r.target);
      else r.addedNodes.forEach(walk);
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ATTRS });
}

// The switch reloads the page: the organiser stays signed in (the token is in this tab's
// sessionStorage) and every panel is drawn again in the new language.
function mountSwitch(container) {
  container.replaceChildren();
  for (const [code, label] of Object.entries(LANGS)) {
    const b = document.createElement("button");
    b.type = "button";
    b.lang = code;
    b.className = "btn btn-small lang-btn";
    b.setAttribute("translate", "no");
    b.textContent = label;
    b.setAttribute("aria-pressed", String(code === lang));
    b.addEventListener("click", () => { if (code !== lang) { setLang(code); location.reload(); } });
    container.append(b);
  }
}
