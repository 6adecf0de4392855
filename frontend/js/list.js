// The signatories under the letter, grouped as the letter prints them:
// "Groups" (organisation — country) and "Individuals" (name — title/affiliation).
// Pages follow next_cursor behind a "show more" button. Names are written with textContent only.
import { listSignatures } from "./api.js";
import { t, tIn } from "./i18n.js";
import { countryName } from "./countries.js";

export const PAGE_SIZE = 100;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function signatoryList(container, slug, language) {
  const groups = {
    organisation: { h: el("h3", "sig-head"), ul: el("ul", "sig-list") },
    individual: { h: el("h3", "sig-head"), ul: el("ul", "sig-list") },
  };
  const heading = el("h2", "sig-title");
  const empty = el("p", "sig-empty");
  const more = el("button", "btn btn-quiet more no-print");
  more.type = "button";
  more.hidden = true;
  const status = el("p", "visually-hidden");
  status.setAttribute("aria-live", "polite");
  let cursor = null, busy = false, count = 0;

  function labels() {
    heading.textContent = tIn(language, "signatories");
    groups.organisation.h.textContent = tIn(language, "groups");
    groups.individual.h.textContent = tIn(language, "individuals");
    empty.textContent = tIn(language, "none");
    more.textContent = busy ? t("loadingMore") : t("showMore");
  }

  function add(sig) {
    const g = groups[sig.kind] || groups.individual;
    const li = el("li");
    li.append(el("span", "sig-name", sig.name));
    const extra = sig.kind === "organisation"
      ? countryName(sig.country, language)
      : [sig.affiliation, sig.kind === "individual" && !sig.affiliation ? countryName(sig.country, language) : ""].filter(Boolean).join(", ");
    if (extra) li.append(el("span", "sig-meta", ` — ${extra}`));
    g.ul.append(li);
    g.h.hidden = g.ul.hidden = false;
    count++;
  }

  async function load(first = false) {
    if (busy) return;
    busy = true;
    more.disabled = true;
    labels();
    try {
      const page = await listSignatures(slug, { cursor, limit: PAGE_SIZE });
      if (first) for (const g of Object.values(groups)) g.ul.replaceChildren();
      const before = count;
      page.signatures.forEach(add);
      cursor = page.next_cursor;
      if (!first) status.textContent = `+${count - before}`;
    } finally {
      busy = false;
      more.disabled = false;
      more.hidden = !cursor;
      empty.hidden = count > 0;
      labels();
    }
  }

  for (const g of Object.values(groups)) g.h.hidden = g.ul.hidden = true;
  more.addEventListener("click", () => load());
  container.replaceChildren(heading, empty, groups.organisation.h, groups.organisation.ul,
    groups.individual.h, groups.individual.ul, more, status);
  labels();
  return {
    ready: load(true),
    relabel: labels,
    reload: () => { cursor = null; count = 0; return load(true); },
  };
}
