// The organisers' page: sign-in with a token (sessionStorage only), the letter picker with
// its counts and status, and the panels (queue, invalidation, exports, snapshots, delivery, audit).
import { getLetter, listLetters, onTokenRefused, searchSignatures, setStatus } from "./api.js";
import { $, el, errorText, formatTime, isDisabled, isoToLocal, localToIso, say, setDisabled } from "./dom.js";
import { clearToken, currentToken, setToken } from "./session.js";
import { initAsk } from "./ask.js";
import { queue } from "./queue.js";
import { invalidation } from "./invalidate.js";
import { exportsPanel, snapshotsPanel } from "./files.js";
import { auditPanel } from "./audit.js";
import { deliveryPanel } from "./delivery.js";

const LETTER_KEY = "undersigned.organiser-letter"; // last letter picked, this tab only
const REFUSED = "The token was not accepted. Check it and sign in again. (After many failed "
  + "sign-ins every token is refused until the minute ends.)";

let slug = null;
let signedIn = false;
let letters = [];

const ctx = {
  slug: () => slug,
  /** Something changed signatures: counts and audit (and, if asked, the queue) reload. */
  changed({ queue: reloadQueue = false } = {}) {
    refreshLetter();
    panels.audit.load();
    if (reloadQueue) panels.queue.load();
  },
};

const panels = {};

// ---- sign-in / sign-out ----------------------------------------------------------

function showSignIn(message) {
  signedIn = false;
  $("workspace").hidden = true;
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

/** Verify a token on the letters' moderation queue; returns the first letter it may act on. */
async function verify(token) {
  letters = (await listLetters()).letters;
  if (!letters.length) throw Object.assign(new Error("There are no letters yet."), { plain: true });
  // Preferred: admin.html#letter={slug} (a link to one letter's queue), else the last one picked.
  let remembered = (location.hash.match(/^#letter=([a-z0-9-]+)$/) || [])[1] || null;
  try { remembered = remembered || sessionStorage.getItem(LETTER_KEY); } catch { /* none */ }
  const order = [...letters].sort((a, b) => (b.slug === remembered) - (a.slug === remembered)
    || (b.status === "open") - (a.status === "open"));
  for (const l of order) {
    try {
      await searchSignatures(l.slug, { state: "awaiting_approval" }, { limit: 1, token });
      return l.slug;
    } catch (err) {
      if (err.code !== "forbidden") throw err; // refused, network, …: stop here
    }
  }
  throw Object.assign(new Error("This token may not act on any letter."), { plain: true });
}

async function signIn(token, { restoring = false } = {}) {
  const submit = $("signin-submit");
  submit.disabled = true;
  say($("token-err"), "");
  say($("notice"), restoring ? "Checking your session…" : "Signing in…");
  try {
    const first = await verify(token);
    setToken(token);
    signedIn = true;
    $("token").value = "";
    $("token").removeAttribute("aria-invalid");
    $("signin-view").hidden = true;
    $("session-bar").hidden = false;
    $("workspace").hidden = false;
    fillLetters(first);
    say($("notice"), "Signed in.");
    // Focus moves now, not after the panels load: by then the organiser may be working.
    $("letter-select").focus();
    await selectLetter(first);
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
    text: `${l.title} (${l.slug}) · ${l.status}`,
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
  $("closes-at").value = letter.closes_at ? isoToLocal(letter.closes_at) : "";
  const option = [...$("letter-select").options].find((o) => o.value === letter.slug);
  if (option) option.textContent = `${letter.title} (${letter.slug}) · ${letter.status}`;
}

async function refreshLetter() {
  const mine = slug;
  try {
    const letter = await getLetter(mine);
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
    panels.delivery.load()]);
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
$("close-letter").addEventListener("click", (ev) => { if (!isDisabled(ev.currentTarget)) changeStatus("closed"); });

// ---- start --------------------------------------------------------------------------

initAsk();
panels.queue = queue(ctx);
panels.invalidation = invalidation(ctx);
panels.exports = exportsPanel(ctx);
panels.snapshots = snapshotsPanel(ctx);
panels.audit = auditPanel(ctx);
panels.delivery = deliveryPanel(ctx);

const saved = currentToken();
if (saved) signIn(saved, { restoring: true });
else $("token").focus();
