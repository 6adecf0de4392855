// The sign-on form: client checks that mirror the API's rules, API errors placed next to
// their field (by fields[].loc) or in a banner, one request per submit, then "check your
// email" with a resend that re-posts the same payload. Every accepted sign-on gets the same
// 202 (new, a repeat, or an address that has signed: the page never learns which) and the
// mail worker sends later, so the page says an email is on its way, never that one went.
// The consent and updates texts come from the API (letter.consent) in the page's language;
// the signature records that version.
import { sign, ApiError } from "./api.js";
import { t, getLang, onChange } from "./i18n.js";
import { fillCountries, isCountry } from "./countries.js";

const $ = (id) => document.getElementById(id);
const MAX = { name: 200, affiliation: 300, email: 254 };
// As chalicelib/text.py: controls, format chars (bidi, zero-width), surrogates, private use, unassigned.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\u2028\u2029]/u;
const URL_RE = /(\b[a-z][a-z0-9+.-]*:\/\/|\bwww\.|\b[a-z0-9-]+\.(com|org|net|io|ru|cn|xyz|info|biz|top|ly|me|co|app|link|site|online)\b(\/|$))/i;
const FORMULA = /^[=+\-@]/;
const EMAIL_RE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const FIELDS = ["name", "affiliation", "country", "email", "consent", "authorised"];

/** Trim + NFC + the text rules; returns [value, errorType|null]. */
export function cleanText(raw, max, { required = false } = {}) {
  const v = (raw || "").normalize("NFC").trim();
  if (FORBIDDEN.test(v)) return [v, "forbidden_characters"];
  if ([...v].length > max) return [v, "too_long"];
  if (URL_RE.test(v)) return [v, "contains_url"];
  if (required && !v) return [v, "missing"];
  if (FORMULA.test(v)) return [v, "formula_prefix"];
  return [v, null];
}

export function signForm(letter, { onSigned, extra = () => ({}) } = {}) {
  const form = $("sign-form"), banner = $("form-banner"), submit = $("f-submit");
  const search = $("f-country-search"), select = $("f-country");
  let errors = {}, bannerState = null, sending = false, payload = null, waitTimer = null;
  const SLOW_QUEUE = 60; // seconds behind: "the email may take a few minutes"
  let captcha = null, sentCaptcha = null; // Turnstile widgets, only with turnstile_site_key
  const siteKey = letter.turnstile_site_key;
  let captchaMissing = false; // turnstile.js itself could not be loaded
  const withCaptcha = (fn) => { if (siteKey) import("./turnstile.js").then(fn, () => { captchaMissing = true; }); };
  const captchaWhy = (w) => ((w ? w.failed() : captchaMissing) ? "e.captcha_load" : "e.captcha_wait");
  withCaptcha((ts) => { captcha = ts.widget($("f-turnstile"), siteKey, getLang()); });

  // The API's consent text in the page's language; the i18n one if the API has none.
  const consentText = () => {
    const c = letter.consent, l = getLang();
    return c && c.texts && c.texts[l] ? [c.texts[l], c.version] : [t("consent"), null];
  };
  const updatesText = () => ((letter.consent || {}).updates || {})[getLang()] || "";

  // A letter only organisations (or only individuals) may sign offers that one kind.
  if (letter.signers === "organisations" || letter.signers === "individuals") {
    const only = letter.signers === "organisations" ? $("f-kind-org") : $("f-kind-ind");
    const other = only === $("f-kind-org") ? $("f-kind-ind") : $("f-kind-org");
    only.checked = true;
    other.disabled = true;
    other.closest("label").hidden = true;
  }
  const kind = () => form.elements.kind.value || "individual";

  function layout() {
    const org = kind() === "organisation";
    $("f-name-label").textContent = t(org ? "nameOrg" : "nameInd");
    $("f-name").autocomplete = org ? "organization" : "name";
    for (const [row, show] of [["row-affiliation", !org], ["row-authorised", org]]) {
      $(row).hidden = !show;
      $(row).querySelectorAll("input").forEach((i) => { i.disabled = !show; });
    }
    $("approval-note").hidden = !(org && letter.organisations_need_approval);
    $("public-note").textContent = t(org ? "publicNoteOrg" : "publicNote");  // organisations give no title
    $("f-consent-label").textContent = consentText()[0];
    const updates = updatesText();
    $("f-updates-label").textContent = updates;
    $("row-updates").hidden = !updates;
    if (!updates) $("f-updates").checked = false;
  }

  function message(type, field) {
    if (type === "too_long" || type === "string_too_long") return t("e.too_long", MAX[field] || 200);
    const m = t(`e.${type}`);
    return typeof m === "string" ? m : t("e.invalid");
  }

  function renderErrors() {
    for (const f of FIELDS) {
      const input = $(`f-${f}`), out = $(`err-${f}`);
      const type = errors[f];
      out.hidden = !type;
      out.textContent = type ? message(type, f) : "";
      if (type) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    renderBanner();
  }

  function renderBanner() {
    banner.replaceChildren();
    banner.hidden = !bannerState;
    if (!bannerState) return;
    const { key, arg, requestId, reload } = bannerState;
    const p = document.createElement("p");
    p.textContent = t(key, arg);
    banner.append(p);
    if (requestId) {
      const r = document.createElement("p");
      r.className = "ref";
      r.textContent = `${t("e.reference")} ${requestId}`;
      banner.append(r);
    }
    if (reload) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-quiet";
      b.textContent = t("reload");
      b.addEventListener("click", () => location.reload());
      banner.append(b);
    }
  }

  function showBanner(state) { bannerState = state; renderBanner(); }

  function validate() {
    const org = kind() === "organisation";
    const out = { kind: kind() }, errs = {};
    let [name, e] = cleanText(form.elements.name.value, MAX.name, { required: true });
    if (e) errs.name = e;
    out.name = name;
    if (!org) {
      const [aff, ea] = cleanText(form.elements.affiliation.value, MAX.affiliation);
      if (ea) errs.affiliation = ea;
      if (aff) out.affiliation = aff;
    }
    const country = select.value;
    if (country && !isCountry(country)) errs.country = "invalid_country";
    if (country) out.country = country;
    const email = (form.elements.email.value || "").normalize("NFC").trim();
    if (!email) errs.email = "missing";
    else if (email.length > MAX.email || FORBIDDEN.test(email) || !EMAIL_RE.test(email)) errs.email = "invalid_email";
    out.email = email;
    if (!$("f-consent").checked) errs.consent = "consent_required";
    out.consent = true;
    const [, version] = consentText();
    if (version) out.consent_version = version;
    out.language = getLang() === "ko" ? "ko" : "en";
    out.updates_opt_in = !$("row-updates").hidden && $("f-updates").checked;
    out.website = form.elements.website.value; // the honeypot: empty unless a bot filled it
    if (org) {
      if (!$("f-authorised").checked) errs.authorised = "authorisation_required";
      out.authorised = true;
    }
    out.letter_sha256 = letter.text_sha256;
    return [{ ...out, ...extra() }, errs]; // extra: a partner's code and consent (partner.js)
  }

  function focusFirstError() {
    const first = FIELDS.find((f) => errors[f]);
    if (first) $(`f-${first}`).focus();
  }

  /** Map an ApiError to field messages or a banner. Returns true if the form stays usable. */
  function showApiError(err) {
    errors = {};
    bannerState = null;
    if (err.code === "invalid_fields" && err.fields.length) {
      let unplaced = null;
      for (const f of err.fields) {
        const loc = f.loc || [];
        const field = loc[0] === "body" ? loc[1] : null;
        if (f.type === "unknown_letter_version" || f.type === "unknown_consent_version") { bannerState = { key: `e.${f.type}`, reload: true }; continue; }
        if (field === "turnstile_token") { bannerState = { key: "e.captcha_failed" }; continue; }
        if (FIELDS.includes(field) && !$(`row-${field}`)?.hidden) { errors[field] = errors[field] || f.type; continue; }
        unplaced = f;
      }
      if (!bannerState) bannerState = unplaced || !Object.keys(errors).length ? { key: "e.generic" } : { key: "fixFields" };
      renderErrors();
      focusFirstError();
      return true;
    }
    const map = {
      letter_closed: { key: "e.letter_closed" },
      too_many_requests: { key: "e.too_many", arg: err.retryAfter },
      payload_too_large: { key: "e.too_large" },
      network: { key: "e.network" },
    };
    bannerState = map[err.code] || (err.status >= 500 ? { key: "e.server", requestId: err.requestId } : { key: "e.generic", requestId: err.requestId });
    if (err.status === 429 && !map[err.code]) bannerState = { key: "e.too_many", arg: err.retryAfter };
    renderErrors();
    banner.focus();
    if (err.code === "letter_closed") { closeForm(); return false; }
    return true;
  }

  function closeForm() {
    form.hidden = true;
    $("closed-note").hidden = false;
  }

  function setSending(on) {
    sending = on;
    submit.disabled = on;
    submit.textContent = t(on ? "sending" : "submit");
    form.setAttribute("aria-busy", String(on));
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (sending) return; // a double click sends one request
    const [data, errs] = validate();
    errors = errs;
    bannerState = Object.keys(errs).length ? { key: "fixFields" } : null;
    renderErrors();
    if (bannerState) { focusFirstError(); return; }
    if (siteKey) {
      const tok = captcha && captcha.token();
      if (!tok) { showBanner({ key: captchaWhy(captcha) }); banner.focus(); return; }
      data.turnstile_token = tok;
    }
    setSending(true);
    try {
      const r = await sign(letter.slug, data);
      payload = data;
      form.hidden = true;
      showQueue(r);
      $("sent").hidden = false;
      $("sent-h").focus();
      wait(r.resend_after, null); // a resend before then would send nothing
      withCaptcha((ts) => { sentCaptcha = ts.widget($("sent-turnstile"), siteKey, getLang()); });
      if (onSigned) onSigned(data);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      showApiError(err);
    } finally {
      setSending(false);
      if (captcha) captcha.reset(); // a token is good for one request
    }
  });

  // Clear a field's error as soon as it is edited.
  form.addEventListener("input", (ev) => {
    const f = ev.target.name;
    if (errors[f]) { delete errors[f]; renderErrors(); }
  });
  form.addEventListener("change", (ev) => { if (ev.target.name === "kind") { errors = {}; renderErrors(); layout(); } });

  // The note when the mail worker is behind; the focused heading reads it with the body.
  function showQueue(r) {
    const slow = Number(r && r.queue_delay_seconds) >= SLOW_QUEUE;
    $("sent-slow").hidden = !slow;
    $("sent-h").setAttribute("aria-describedby", slow ? "sent-body sent-slow" : "sent-body");
  }

  // Resend: the same payload again; the API answers the same 202, with resend_after.
  // The button is only aria-disabled while it waits, so keyboard focus stays on it.
  const resend = $("resend"), resendStatus = $("resend-status"), resendLeft = $("resend-left");
  let resendState = null, left = 0;
  const lockResend = (on) => resend.setAttribute("aria-disabled", String(Boolean(on)));
  // The status (a live region) says what happened and when a wait ends; the seconds tick in
  // resend-left, which is not live, so a screen reader is not interrupted every second.
  function renderResend() {
    const [key, arg] = resendState || [];
    const text = key ? t(key, arg) : "";
    if (resendStatus.textContent !== text) resendStatus.textContent = text;
    resendLeft.hidden = left <= 0;
    resendLeft.textContent = left > 0 ? t("resendWait", left) : "";
  }
  // Hold the button for `seconds`, the status saying `note` (or nothing) meanwhile.
  function wait(seconds, note) {
    clearInterval(waitTimer);
    waitTimer = null;
    left = Math.max(0, Math.ceil(Number(seconds) || 0));
    resendState = note;
    lockResend(left > 0);
    renderResend();
    if (!left) return;
    waitTimer = setInterval(() => {
      left -= 1;
      if (left <= 0) { clearInterval(waitTimer); waitTimer = null; lockResend(false); resendState = ["resendReady"]; }
      renderResend();
    }, 1000);
  }
  resend.addEventListener("click", async () => {
    if (sending || !payload || resend.getAttribute("aria-disabled") === "true") return;
    if (siteKey) {
      const tok = sentCaptcha && sentCaptcha.token();
      if (!tok) { resendState = [captchaWhy(sentCaptcha)]; renderResend(); return; }
      payload = { ...payload, turnstile_token: tok };
    }
    sending = true;
    lockResend(true);
    try {
      const r = await sign(letter.slug, payload);
      showQueue(r);
      wait(r.resend_after, ["resentAsked"]);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 429) wait(err.retryAfter, ["e.too_many", err.retryAfter]);
      else {
        const captchaFailed = err.fields.some((f) => (f.loc || [])[1] === "turnstile_token");
        resendState = [captchaFailed ? "e.captcha_failed" : err.code === "letter_closed" ? "e.letter_closed" : err.status >= 500 ? "e.server" : "e.generic"];
        renderResend();
      }
    } finally {
      sending = false;
      if (sentCaptcha) sentCaptcha.reset();
      lockResend(waitTimer);
    }
  });

  // Country picker: the search box filters the select (names in the page's language) and
  // says how many match; it never picks a country itself. Enter moves to the select, and
  // picks the match when there is exactly one: that is the user's own choice.
  const matchCount = $("f-country-count");
  let matches = [];
  const fill = () => { matches = fillCountries(select, getLang(), search.value, t("countryNone")); };
  const announce = () => { matchCount.textContent = search.value.trim() ? t("countryMatches", matches.length) : ""; };
  search.addEventListener("input", () => { fill(); announce(); });
  search.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    if (search.value.trim() && matches.length === 1 && select.value !== matches[0]) {
      select.value = matches[0];
      select.dispatchEvent(new Event("input", { bubbles: true }));
    }
    select.focus();
  });

  function relabel() { layout(); fill(); announce(); renderErrors(); renderResend(); submit.textContent = t(sending ? "sending" : "submit"); }
  onChange(relabel);
  banner.tabIndex = -1;
  if (letter.status !== "open") closeForm();
  relabel();
}
