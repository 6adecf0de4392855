// The embeddable counter: the live tally of ?letter={slug}, refreshed every minute; with
// &via={code} (a partner's embed) its links carry the partner's code.
import { getLetter } from "./api.js";
import { apply, t } from "./i18n.js";
import { liveTally } from "./tally.js";

const $ = (id) => document.getElementById(id);

async function main() {
  apply();
  const params = new URLSearchParams(location.search);
  const slug = params.get("letter") || "";
  const via = params.get("via"); // a partner's embed: its link carries the code
  const query = via && /^[a-z0-9]{2,16}$/.test(via) ? `?via=${via}` : "";
  if (!/^[a-z0-9-]{1,64}$/.test(slug)) { $("e-tally").textContent = t("notFound"); return; }
  try {
    const letter = await getLetter(slug);
    const href = `${location.origin}/l/${slug}${query}`;
    const link = $("e-link");
    link.href = href;
    link.lang = letter.language;
    link.textContent = letter.title;
    $("e-cta").href = `${href}#sign`;
    liveTally($("e-tally"), slug, letter.counts);
  } catch {
    $("e-tally").textContent = t("loadFailed");
  }
}

main();
