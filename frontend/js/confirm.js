// /confirm.html#token=...: read the token from the fragment, clear it from the URL, post it,
// and say what happened: confirmed / already confirmed / awaiting approval / expired / invalid.
import { confirm, ApiError, TOKEN_RE } from "./api.js";
import { apply, mountSwitch, onChange, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let state = null; // [messageKey, letterSlug|null, kind, retry?]

function render() {
  if (!state) return;
  const [key, slug, kind, retry] = state;
  const p = document.createElement("p");
  p.className = `outcome outcome-${kind}`;
  p.textContent = t(key);
  $("c-result").replaceChildren(p);
  const actions = $("c-actions");
  actions.replaceChildren();
  if (retry) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-primary";
    b.textContent = t("cRetry");
    b.addEventListener("click", () => run(retry));
    actions.append(b);
  }
  const a = document.createElement("a");
  a.className = "btn";
  a.href = slug ? `/l/${encodeURIComponent(slug)}` : "/";
  a.textContent = t(slug ? "toLetter" : "toIndex");
  actions.append(a);
}

async function run(token) {
  state = null;
  $("c-result").replaceChildren(Object.assign(document.createElement("p"), { textContent: t("confirming") }));
  try {
    const r = await confirm(token);
    const key = r.already_confirmed
      ? (r.state === "awaiting_approval" ? "cAlreadyAwaiting" : "cAlready")
      : (r.state === "awaiting_approval" ? "cAwaiting" : "cListed");
    state = [key, r.letter, r.state === "awaiting_approval" ? "wait" : "ok"];
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === "token_expired") state = ["cExpired", null, "bad"];
    else if (err.status === 429) state = ["e.too_many", null, "bad", token];
    else if (err.status >= 500 || err.status === 0) state = [err.status ? "e.server" : "e.network", null, "bad", token];
    else state = ["cInvalid", null, "bad"]; // token_invalid, or a malformed token (422)
  }
  render();
}

function main() {
  mountSwitch($("lang-switch"));
  apply();
  onChange(render);
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token") || "";
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  if (!TOKEN_RE.test(token)) {
    state = ["cInvalid", null, "bad"];
    render();
    return;
  }
  run(token);
}

main();
