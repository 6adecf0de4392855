// Translations of the letter chosen above: one text per language, each with its own hash
// (PUT /admin/letters/{slug}/translations/{language}); previewed by the server's renderer.
import { call } from "./api.js";
import { $, errorText, say, setDisabled } from "./dom.js";
import { t } from "./i18n.js";

const FIELDS = ["title", "addressee", "subject", "salutation", "closing", "body"];
const q = encodeURIComponent;

export function translationPanel(ctx) {
  const form = $("tr-form"), status = $("tr-status"), preview = $("tr-preview");
  let existing = [], main = null, timer = 0, seq = 0;
  const field = (name) => $(`tr-${name}`);

  function fill() {
    const lang = $("tr-language").value;
    const found = existing.find((x) => x.language === lang);
    for (const name of FIELDS) field(name).value = found?.[name] ?? "";
    say(status, found && !found.current
      ? t("This translation was made from an earlier version of the letter's text: check it.") : "");
    schedule(0);
  }

  async function load() {
    const slug = ctx.slug();
    if (!slug) return;
    try {
      const [letter, list] = await Promise.all([
        call("GET", `/admin/letters/${q(slug)}/source`),
        call("GET", `/admin/letters/${q(slug)}/translations`)]);
      main = letter.language;
      existing = list.translations;
      for (const o of $("tr-language").options) o.disabled = o.value === main;
      if ($("tr-language").value === main) {
        $("tr-language").value = [...$("tr-language").options].find((o) => !o.disabled).value;
      }
      $("tr-list").textContent = existing.length
        ? t("Translated into: {0}.", existing.map((x) => x.language).join(", "))
        : t("No translations yet.");
      fill();
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    }
  }

  function schedule(delay = 400) {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq, body = field("body").value;
      if (!body.trim()) { preview.replaceChildren(); return; }
      try {
        const r = await call("POST", "/admin/preview", { body: { body, slug: ctx.slug() } });
        if (mine === seq) preview.innerHTML = r.body_html; // the server's renderer: HTML escaped
      } catch (err) {
        if (mine === seq && !err.tokenRefused) preview.textContent = errorText(err);
      }
    }, delay);
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const lang = $("tr-language").value, body = {};
    for (const name of FIELDS) {
      const v = field(name).value.normalize("NFC").trim();
      if (v || name !== "subject") body[name] = v;
    }
    const submit = $("tr-save");
    setDisabled(submit, true);
    for (const name of FIELDS) field(name).removeAttribute("aria-invalid");
    try {
      const r = await call("PUT", `/admin/letters/${q(ctx.slug())}/translations/${q(lang)}`, { body });
      say(status, t("Translation saved ({0}): its own text version {1}.", r.language, r.text_sha256.slice(0, 12)), "ok");
      await load();
    } catch (err) {
      if (err.tokenRefused) return;
      say(status, errorText(err), "error");
      for (const f of err.fields || []) {
        const name = (f.loc || []).find((p) => FIELDS.includes(p));
        if (name) field(name).setAttribute("aria-invalid", "true");
      }
    } finally {
      setDisabled(submit, false);
    }
  });
  $("tr-language").addEventListener("change", fill);
  field("body").addEventListener("input", () => schedule());

  return { load, clear() { preview.replaceChildren(); say(status, ""); } };
}
