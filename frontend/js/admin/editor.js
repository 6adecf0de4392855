// Write the letter: its fields and Markdown body, with a live preview rendered by the server
// (POST /admin/preview: the public page's renderer, so no second Markdown in the browser).
// Saving a changed text stores a new version; people who signed an earlier one keep theirs.
import { call } from "./api.js";
import { $, errorText, say, setDisabled } from "./dom.js";
import { t } from "./i18n.js";

const FIELDS = ["slug", "title", "date", "addressee", "subject", "salutation", "closing", "language", "body"];
const q = encodeURIComponent;
const ORG = [["name", "ed-org-name"], ["contact_email", "ed-org-contact"],
  ["privacy_url", "ed-org-privacy"], ["controller", "ed-org-controller"]];

export function editorPanel(ctx) {
  const form = $("ed-form"), status = $("ed-status"), preview = $("ed-preview");
  let editing = null; // the slug being edited, or null for a new letter
  let timer = 0, seq = 0;

  const field = (name) => $(`ed-${name}`);

  function fill(source) {
    for (const name of FIELDS) field(name).value = source?.[name] ?? "";
    $("ed-approval").checked = Boolean(source?.organisations_need_approval);
    $("ed-signers").value = source?.signers || "everyone";
    for (const [key, id] of ORG) $(id).value = source?.organisers?.[key] ?? "";
    if (!source) {
      field("date").value = new Date().toISOString().slice(0, 10);
      field("language").value = "en";
    }
    field("slug").readOnly = Boolean(source);
    $("ed-mode").textContent = source ? t("Editing “{0}”", source.title) : t("A new letter");
    $("ed-version").textContent = source
      ? t("Current text version: {0} ({1} versions so far)", source.text_sha256.slice(0, 12), source.versions.length)
      : t("Saved as a draft: it is not public until you open it.");
    schedulePreview(0);
  }

  async function loadCurrent() {
    const slug = ctx.slug();
    if (!slug) { editing = null; fill(null); return; }
    try {
      const source = await call("GET", `/admin/letters/${q(slug)}/source`);
      editing = slug;
      fill(source);
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    }
  }

  function schedulePreview(delay = 400) {
    clearTimeout(timer);
    timer = setTimeout(runPreview, delay);
  }

  async function runPreview() {
    const mine = ++seq;
    const body = field("body").value;
    if (!body.trim()) { preview.replaceChildren(); return; }
    try {
      const r = await call("POST", "/admin/preview", { body: editing ? { body, slug: editing } : { body } });
      // The server's renderer escapes any HTML in the source: the same HTML the public page shows.
      if (mine === seq) preview.innerHTML = r.body_html;
    } catch (err) {
      if (mine === seq && !err.tokenRefused) preview.textContent = errorText(err);
    }
  }

  function values() {
    const v = {};
    for (const name of FIELDS) v[name] = field(name).value.normalize("NFC").trim();
    if (!v.subject) delete v.subject;
    v.organisations_need_approval = $("ed-approval").checked;
    v.signers = $("ed-signers").value;
    const org = Object.fromEntries(ORG.map(([key, id]) => [key, $(id).value.normalize("NFC").trim()]));
    if (Object.values(org).some(Boolean)) v.organisers = org; // all four, or the API says which is missing
    return v;
  }

  function markFields(err) {
    for (const name of FIELDS) field(name).removeAttribute("aria-invalid");
    for (const [, id] of ORG) $(id).removeAttribute("aria-invalid");
    for (const f of err.fields || []) {
      const loc = f.loc || [];
      const org = loc.includes("organisers") && ORG.find(([key]) => loc.includes(key));
      if (org) { $(org[1]).setAttribute("aria-invalid", "true"); continue; }
      const name = loc.find((p) => FIELDS.includes(p));
      if (name) field(name).setAttribute("aria-invalid", "true");
    }
    form.querySelector('[aria-invalid="true"]')?.focus();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const submit = $("ed-save");
    setDisabled(submit, true);
    say(status, t("Saving…"));
    try {
      const letter = values();
      const r = editing
        ? await call("PUT", `/admin/letters/${q(editing)}`, { body: { letter } })
        : await call("POST", "/admin/letters", { body: { letter } });
      const created = !editing;
      for (const name of FIELDS) field(name).removeAttribute("aria-invalid");
      await ctx.lettersChanged(letter.slug); // reloads the panels (this one too): say it after
      say(status, !r.changed ? t("Nothing changed: the text is the same.")
        : created ? t("The letter “{0}” is saved as a draft. Open it when it is ready.", letter.title)
          : t("Saved as a new text version ({0}). People who signed before keep the version they signed.", r.text_sha256.slice(0, 12)), "ok");
    } catch (err) {
      if (!err.tokenRefused) { say(status, errorText(err), "error"); markFields(err); }
    } finally {
      setDisabled(submit, false);
    }
  });
  field("body").addEventListener("input", () => schedulePreview());
  $("ed-new").addEventListener("click", () => { editing = null; fill(null); say(status, ""); field("slug").focus(); });
  $("ed-reload").addEventListener("click", () => { say(status, ""); loadCurrent(); });

  return { load: loadCurrent, clear() { preview.replaceChildren(); say(status, ""); } };
}
