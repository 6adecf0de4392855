// The organisers' page: sign-in with a token (sessionStorage only), the letter picker with
// its counts and status, and the panels (queue, invalidation, exports, snapshots, delivery, audit).
import { call, onTokenRefused, setStatus, whoAmI } from "./api.js";
import { $, el, errorText, formatTime, isDisabled, isoToLocal, localToIso, say, setDisabled } from "./dom.js";
import { clearToken, currentToken, setToken } from "./session.js";
import { initAsk } from "./ask.js";
import { queue } from "./queue.js";
import { invalidation } from "./invalidate.js";
import { exportsPanel, snapshotsPanel } from "./files.js";
import { recountPanel } from "./recount.js";
import { auditPanel } from "./audit.js";
import { ask } from "./ask.js";
import { deliveryPanel } from "./delivery.js";
import { updatesPanel } from "./updates.js";
import { dashboardPanel } from "./dashboard.js";
import { editorPanel } from "./editor.js";
import { start as startLanguage, t } from "./i18n.js";
import { teamPanel } from "./team.js";
import { translationPanel } from "./translate.js";
import { importsPanel } from "./imports.js";
import { partnersPanel, partnerView } from "./partners.js";

const LETTER_KEY = "undersigned.organiser-letter"; // last letter picked, this tab only
const REFUSED = "The token was not accepted. Check it and sign in again. (After many failed "
  + "sign-ins every token is refused until the minute ends.)";

let slug = null;
let signedIn = false;
let letters = [];
let me = null; // GET /admin/me: the token's name, letters and role
const WARNING = {
  no_organisers: "This letter names no organisers: the public page, the emails and the withdrawal page say no one is behind it. Add them under “Write the letter”.",
  mail_from_unset: "This deployment's MAIL_FROM is the placeholder address: mail is sent from no-reply@undersigned.invalid. Set MAIL_FROM to your verified sender.",
};

const ctx = {
  slug: () => slug,
  /** Something changed signatures: counts and audit (and, if asked, the queue) reload. */
  changed({ queue: reloadQueue = false } = {}) {
    refreshLetter();
    panels.audit.load();
    panels.dashboard.load();
    if (reloadQueue) panels.queue.load();
  },
  /** A letter was created or edited (editor.js): the picker and that letter reload. */
  async lettersChanged(next) {
    letters = (await call("GET", "/admin/letters")).letters;
    fillLetters(next);
    await selectLetter(next);
  },
};

const panels = {};

// ---- sign-in / sign-out ----------------------------------------------------------

function showSignIn(message) {
  signedIn = false;
  $("workspace").hidden = true;
  $("partner-view").hidden = true;
  $("session-bar").hidden = true;
  $("signin-view").hidden = false;
  const err = $("token-err"), input = $("token");
  if (message) {
    say(err, message, "error");
    input.setAttribute("aria-invalid", "true");
  } else {
    say(err, "");
    input.removeAttribute("aria-invalid");
  }
  input.value = "";
  input.focus();
}

function signOut(message) {
  clearToken();
  slug = null;
  for (const p of Object.values(panels)) p.clear?.();
  $("letter-select").replaceChildren();
  showSignIn(message);
  say($("notice"), message ? "" : "Signed out. The token was removed from this tab.");
}

onTokenRefused(() => { if (signedIn) signOut(REFUSED); });

/** Verify a token (GET /admin/me) and list its letters, drafts included; returns the letter
 *  to start on (null when there is none yet: the editor writes the first). */
async function verify(token) {
  me = await call("GET", "/admin/me", { token });
  letters = (await call("GET", "/admin/letters", { token })).letters;
  if (!letters.length && me.role !== "manage") {
    throw Object.assign(new Error(t("This token may not act on any letter.")), { plain: true });
  }
  // Preferred: admin.html#letter={slug} (a link to one letter's queue), else the last one picked.
  let remembered = (location.hash.match(/^#letter=([a-z0-9-]+)$/) || [])[1] || null;
  try { remembered = remembered || sessionStorage.getItem(LETTER_KEY); } catch { /* none */ }
  const order = [...letters].sort((a, b) => (b.slug === remembered) - (a.slug === remembered)
    || (b.status === "open") - (a.status === "open"));
  return order[0]?.slug ?? null;
}

/** What the token's role may see: the editor needs manage, the team manage over every letter. */
function showRole() {
  const manage = me.role === "manage";
  $("editor-section").hidden = !manage;
  $("updates-section").hidden = !manage;
  $("team-section").hidden = !(manage && !me.letters.length);
  $("session-role").textContent = t({ read: "Read only", moderate: "Moderate", manage: "Manage" }[me.role] || me.role);
  $("open-letter").hidden = $("close-letter").hidden = !manage;
  $("recount-section").hidden = me.role === "read"; // a recount needs moderate
  if (!$("team-section").hidden) panels.team.load();
}

async function signIn(token, { restoring = false } = {}) {
  const submit = $("signin-submit");
  submit.disabled = true;
  say($("token-err"), "");
  say($("notice"), restoring ? "Checking your session…" : "Signing in…");
  try {
    const me = await whoAmI(token);
    if (me.partner) { // a partner's own token: its figures and export only
      setToken(token);
      signedIn = true;
      say($("notice"), "Signed in.");
      await partnerView(me);
      return;
    }
    const first = await verify(token);
    setToken(token);
    signedIn = true;
    $("token").value = "";
    $("token").removeAttribute("aria-invalid");
    $("signin-view").hidden = true;
    $("session-bar").hidden = false;
    $("workspace").hidden = false;
    fillLetters(first);
    showRole();
    say($("notice"), t("Signed in."));
    // Focus moves now, not after the panels load: by then the organiser may be working.
    $("letter-select").focus();
    if (first) await selectLetter(first);
    else panels.editor.load();
  } catch (err) {
    clearToken();
    say($("notice"), "");
    showSignIn(err.tokenRefused ? REFUSED : err.plain ? err.message : errorText(err));
  } finally {
    submit.disabled = false;
  }
}

$("signin-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = $("token").value.trim();
  if (!token) {
    showSignIn("Paste your organiser token.");
    return;
  }
  signIn(token);
});
$("token").addEventListener("input", () => { say($("token-err"), ""); $("token").removeAttribute("aria-invalid"); });
$("sign-out").addEventListener("click", () => signOut());

// ---- the letter --------------------------------------------------------------------

function fillLetters(selected) {
  const select = $("letter-select");
  select.replaceChildren(...letters.map((l) => el("option", {
    value: l.slug, selected: l.slug === selected,
    text: `${l.title} (${l.slug}) · ${t(l.draft ? "draft" : l.status)}`,
  })));
}

function showFacts(letter) {
  $("f-status").textContent = letter.status === "open" ? "Open" : "Closed";
  $("f-status").className = `state state-${letter.status === "open" ? "listed" : "rejected"}`;
  $("f-closes").textContent = letter.closes_at ? formatTime(letter.closes_at) : "—";
  $("f-orgs").textContent = String(letter.counts.organisations);
  $("f-inds").textContent = String(letter.counts.individuals);
  $("f-total").textContent = String(letter.counts.total);
  $("f-countries").textContent = String(letter.counts.countries);
  $("f-reminders").textContent = String(letter.reminders_sent ?? 0);
  $("closes-at").value = letter.closes_at ? isoToLocal(letter.closes_at) : "";
  $("letter-warnings").replaceChildren(...(letter.warnings || []).map((w) => el("li", { text: t(WARNING[w] || w) })));
  $("letter-warnings").hidden = !letter.warnings?.length;
  const option = [...$("letter-select").options].find((o) => o.value === letter.slug);
  if (option) option.textContent = `${letter.title} (${letter.slug}) · ${t(letter.draft ? "draft" : letter.status)}`;
}

async function refreshLetter() {
  const mine = slug;
  try {
    const letter = await call("GET", `/admin/letters/${encodeURIComponent(mine)}`); // drafts too
    if (mine === slug) showFacts(letter);
  } catch (err) {
    if (mine === slug) say($("status-result"), errorText(err), "error");
  }
}

async function selectLetter(next) {
  slug = next;
  try { sessionStorage.setItem(LETTER_KEY, next); } catch { /* fine */ }
  history.replaceState(null, "", `#letter=${encodeURIComponent(next)}`);
  for (const p of Object.values(panels)) p.clear?.();
  say($("status-result"), "");
  for (const id of ["f-status", "f-closes", "f-orgs", "f-inds", "f-total", "f-countries"]) $(id).textContent = "—";
  $("f-status").className = "";
  await Promise.all([refreshLetter(), panels.queue.load(), panels.snapshots.load(), panels.audit.load(),
    panels.dashboard.load(), panels.editor.load(), panels.translations.load(),
    panels.delivery.load(), panels.updates.load(),
    panels.partners.load()]);
}

$("letter-select").addEventListener("change", (ev) => selectLetter(ev.target.value));

let changingStatus = false;

async function changeStatus(status) {
  if (changingStatus) return;
  const out = $("status-result"), input = $("closes-at");
  input.removeAttribute("aria-invalid");
  let closesAt = null;
  if (status === "open" && input.value) {
    closesAt = localToIso(input.value);
    if (!closesAt || new Date(closesAt) <= new Date()) {
      say(out, "Give a closing time in the future, or leave it empty.", "error");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
  }
  const buttons = [$("open-letter"), $("close-letter")];
  changingStatus = true;
  buttons.forEach((b) => setDisabled(b, true)); // the focused one keeps the focus
  try {
    const r = await setStatus(slug, status, closesAt);
    say(out, r.status === "open"
      ? `The letter is open${r.closes_at ? ` and closes automatically on ${formatTime(r.closes_at)}` : ""}.`
      : "The letter is closed: it takes no more signatures.", "ok");
    ctx.changed();
  } catch (err) {
    if (!err.tokenRefused) say(out, errorText(err), "error");
  } finally {
    changingStatus = false;
    buttons.forEach((b) => setDisabled(b, false));
  }
}
$("open-letter").addEventListener("click", (ev) => { if (!isDisabled(ev.currentTarget)) changeStatus("open"); });
$("close-letter").addEventListener("click", async (ev) => {
  if (isDisabled(ev.currentTarget)) return;
  const sure = await ask({ title: t("Close this letter?"), confirm: t("Close the letter"),
    text: t("It takes no more signatures from now on. You can open it again later.") });
  if (sure) changeStatus("closed");
});

// ---- start --------------------------------------------------------------------------

startLanguage($("lang-switch"));
initAsk();
panels.queue = queue(ctx);
panels.invalidation = invalidation(ctx);
panels.exports = exportsPanel(ctx);
panels.snapshots = snapshotsPanel(ctx);
panels.recount = recountPanel(ctx);
panels.audit = auditPanel(ctx);
panels.dashboard = dashboardPanel(ctx);
panels.editor = editorPanel(ctx);
panels.team = teamPanel(ctx);
panels.translations = translationPanel(ctx);
panels.delivery = deliveryPanel(ctx);
panels.updates = updatesPanel(ctx);
panels.imports = importsPanel(ctx);
panels.partners = partnersPanel(ctx);

const saved = currentToken();
if (saved) signIn(saved, { restoring: true });
else $("token").focus();
