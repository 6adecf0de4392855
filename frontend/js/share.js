// Share: copy the letter's clean URL, the system share sheet where there is one, and
// the HTML of the embeddable counter.
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export function shareWidget(letter) {
  const url = `${location.origin}/l/${letter.slug}`;
  const input = $("share-url"), status = $("share-status"), copy = $("share-copy"), native = $("share-native");
  input.value = url;
  const embedUrl = `${location.origin}/embed.html?letter=${encodeURIComponent(letter.slug)}`;
  const frame = document.createElement("iframe");
  frame.setAttribute("src", embedUrl);
  frame.setAttribute("title", letter.title);
  frame.setAttribute("width", "360");
  frame.setAttribute("height", "180"); // a two-line title, a two-line tally and the link
  frame.setAttribute("loading", "lazy");
  $("embed-code").value = frame.outerHTML;

  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url);
      status.textContent = t("copied");
    } catch {
      input.focus();
      input.select();
      status.textContent = t("copyFailed");
    }
  });
  if (typeof navigator.share === "function") {
    native.hidden = false;
    native.addEventListener("click", () => {
      navigator.share({ title: letter.title, url }).catch(() => { /* dismissed */ });
    });
  }
  input.addEventListener("focus", () => input.select());
}
