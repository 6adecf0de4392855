// The live tally in words: "N organisations and M individuals from K countries".
import { getLetter } from "./api.js";
import { t } from "./i18n.js";

export function tallyText(counts) {
  return t("tally", counts.organisations, counts.individuals, counts.countries);
}

/** Keep `el` showing the tally of `slug`; refreshes every `every` ms and when the tab is shown. */
export function liveTally(el, slug, counts, { every = 60000, onLetter } = {}) {
  let current = counts;
  const render = () => {
    const text = tallyText(current);
    if (el.textContent !== text) el.textContent = text; // el is a live region: no news, no write
  };
  const refresh = async () => {
    try {
      const letter = await getLetter(slug);
      current = letter.counts;
      render();
      if (onLetter) onLetter(letter);
    } catch { /* keep the last figure */ }
  };
  render();
  const timer = setInterval(() => { if (!document.hidden) refresh(); }, every);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  return { render, refresh, stop: () => clearInterval(timer) };
}
