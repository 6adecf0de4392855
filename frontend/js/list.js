// The signatories under the letter, grouped as the letter prints them:
// "Groups" (organisation — country) and "Individuals" (name — title/affiliation).
// Pages follow next_cursor behind a "show more" button. Names are written with textContent only.
// The list sits inside the letter (lang = the letter's); its buttons and errors are in the UI's.
// Until the first page arrives, placeholder rows (one per name the letter counts, up to a page)
// hold its place, so the form and share boxes below it do not jump when it comes.
import { listSignatures } from "./api.js";
import { getLang, t, tIn } from "./i18n.js";
import { countryName } from "./countries.js";

export const PAGE_SIZE = 100;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Placeholder rows in the groups, as many as the first page should bring (`counts`: the letter's). */
function placeholders(groups, counts) {
  const org = Math.min(counts.organisations || 0, PAGE_SIZE);
  const ind = Math.min(counts.individuals || 0, PAGE_SIZE - org);
  for (const [g, k] of [[groups.organisation, org], [groups.individual, ind]]) {
    g.ul.replaceChildren(...Array.from({ length: k }, () => el("li", "sig-placeholder")));
    g.h.hidden = g.ul.hidden = k === 0;
  }
  return org + ind;
}

export function signatoryList(container, slug, language, counts = {}) {
  const groups = {
    organisation: { h: el("h3", "sig-head"), ul: el("ul", "sig-list") },
    individual: { h: el("h3", "sig-head"), ul: el("ul", "sig-list") },
  };
  const heading = el("h2", "sig-title");
  heading.tabIndex = -1;
  const empty = el("p", "sig-empty");
  const fresh = el("button", "btn btn-quiet fresh no-print");
  const more = el("button", "btn btn-quiet more no-print");
  const failed = el("p", "sig-error no-print");
  fresh.type = more.type = "button";
  fresh.hidden = more.hidden = failed.hidden = true;
  const status = el("p", "visually-hidden");
  status.setAttribute("aria-live", "polite");
  let cursor = null, busy = false, count = 0, failedFirst = null; // failedFirst: the failed load's `first`

  function labels() {
    heading.textContent = tIn(language, "signatories");
    groups.organisation.h.textContent = tIn(language, "groups");
    groups.individual.h.textContent = tIn(language, "individuals");
    empty.textContent = tIn(language, "none");
    more.textContent = busy ? t("loadingMore") : t(failedFirst === null ? "showMore" : "cRetry");
    failed.textContent = t("listFailed");
    fresh.textContent = t("newSignatories");
    more.lang = failed.lang = fresh.lang = getLang();
  }

  function add(sig) {
    const g = groups[sig.kind] || groups.individual;
    const li = el("li");
    li.tabIndex = -1; // "show more" moves the focus to the first new name
    li.append(el("span", "sig-name", sig.name));
    const extra = sig.kind === "organisation"
      ? countryName(sig.country, language)
      : [sig.affiliation, sig.kind === "individual" && !sig.affiliation ? countryName(sig.country, language) : ""].filter(Boolean).join(", ");
    if (extra) li.append(el("span", "sig-meta", ` — ${extra}`));
    g.ul.append(li);
    g.h.hidden = g.ul.hidden = false;
    count++;
    return li;
  }

  function clear() {
    for (const g of Object.values(groups)) { g.ul.replaceChildren(); g.h.hidden = g.ul.hidden = true; }
  }

  // The button is only aria-disabled while a page loads, so keyboard focus stays on it.
  // Resolves true once the page is shown (false if it failed or another load was running).
  async function load(first = false) {
    if (busy) return false;
    busy = true;
    const fromButton = document.activeElement === more;
    let focused = false;
    more.setAttribute("aria-disabled", "true");
    labels();
    try {
      const page = await listSignatures(slug, { cursor: first ? null : cursor, limit: PAGE_SIZE });
      if (first) { clear(); count = 0; }
      const before = count;
      const added = page.signatures.map(add);
      cursor = page.next_cursor;
      failedFirst = null;
      if (!first) status.textContent = `+${count - before}`;
      if (fromButton && added.length) { added[0].focus(); focused = true; }
    } catch {
      failedFirst = first;
      if (count === 0) clear(); // placeholders of a list that did not come
      status.textContent = t("listFailed");
    } finally {
      busy = false;
      more.removeAttribute("aria-disabled");
      more.hidden = !cursor && failedFirst === null;
      failed.hidden = failedFirst === null;
      empty.hidden = count > 0 || failedFirst !== null;
      labels();
      if (fromButton && more.hidden && !focused) heading.focus();
    }
    return failedFirst === null;
  }

  const expected = placeholders(groups, counts);
  empty.hidden = expected > 0;
  more.hidden = (counts.total || 0) <= expected; // more to come: its button's place too
  more.setAttribute("aria-disabled", "true"); // (until the first page is in)
  more.addEventListener("click", () => load(failedFirst === true));
  fresh.addEventListener("click", async () => {
    if (await load(true)) { fresh.hidden = true; heading.focus(); }
  });
  container.replaceChildren(heading, fresh, empty, groups.organisation.h, groups.organisation.ul,
    groups.individual.h, groups.individual.ul, failed, more, status);
  labels();
  return {
    ready: load(true),
    relabel: labels,
    /** The letter counts more (or fewer) names than when the list was loaded: offer a reload. */
    stale: () => { fresh.hidden = false; },
  };
}
