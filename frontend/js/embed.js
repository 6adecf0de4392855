// The embeddable counter: the live tally of ?letter={slug}, refreshed every minute.
import { getLetter } from "./api.js";
import { apply, t } from "./i18n.js";
import { liveTally } from "./tally.js";

const $ = (id) => document.getElementById(id);

async function main() {
  apply();
  const slug = new URLSearchParams(location.search).get("letter") || "";
  if (!/^[a-z0-9-]{1,64}$/.test(slug)) { $("e-tally").textContent = t("notFound"); return; }
  try {
    const letter = await getLetter(slug);
    const href = `${location.origin}/l/${slug}`;
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
