// The team: invite a co-organiser (a token for every letter or this one, with a role), shown
// once with a copy button; the tokens with their last use; revoke (asked first). Only a token
// that manages every letter sees this panel (the API refuses the rest).
import { call } from "./api.js";
import { ask } from "./ask.js";
import { $, el, errorText, say, setDisabled, timeEl } from "./dom.js";
import { t } from "./i18n.js";

const ROLE = { read: "Read only", moderate: "Moderate", manage: "Manage" };

export function teamPanel(ctx) {
  const body = $("team-body"), status = $("team-status"), shown = $("team-new");

  function row(tok) {
    const revoke = tok.revoked_at ? el("span", { text: t("Revoked") })
      : el("button", { type: "button", className: "btn btn-small btn-danger", text: t("Revoke…"),
        on: { click: () => revokeToken(tok) } });
    return el("tr", {},
      el("td", { className: "token-name", text: tok.name }),
      el("td", { text: t(ROLE[tok.role] || tok.role) }),
      el("td", { className: "token-name", text: tok.letters.length ? tok.letters.join(", ") : t("Every letter") }),
      el("td", {}, timeEl(tok.created_at)),
      el("td", {}, tok.last_used_at ? timeEl(tok.last_used_at) : el("span", { text: t("Never") })),
      el("td", {}, revoke));
  }

  async function load() {
    try {
      const r = await call("GET", "/admin/tokens");
      body.replaceChildren(...r.tokens.map(row));
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    }
  }

  async function revokeToken(tok) {
    const ok = await ask({ title: t("Revoke this token?"),
      text: t("“{0}” will no longer be able to sign in. This cannot be undone.", tok.name),
      confirm: t("Revoke") });
    if (!ok) return;
    try {
      await call("DELETE", `/admin/tokens/${encodeURIComponent(tok.id)}`);
      say(status, t("The token “{0}” is revoked.", tok.name), "ok");
      await load();
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    }
  }

  $("team-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = $("team-name").value.normalize("NFC").trim();
    if (!name) {
      $("team-name").setAttribute("aria-invalid", "true");
      say(status, t("Give the co-organiser's name."), "error");
      $("team-name").focus();
      return;
    }
    $("team-name").removeAttribute("aria-invalid");
    const scope = $("team-form").querySelector("input[name=team-scope]:checked").value;
    const letters = scope === "this" && ctx.slug() ? [ctx.slug()] : [];
    const submit = $("team-create");
    setDisabled(submit, true);
    try {
      const r = await call("POST", "/admin/tokens", { body: { name, letters, role: $("team-role").value } });
      $("team-token").value = r.token;
      shown.hidden = false;
      $("team-token").focus();
      $("team-token").select();
      $("team-name").value = "";
      say(status, t("Token created for “{0}”. Copy it now: it is shown only once.", r.name), "ok");
      await load();
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      setDisabled(submit, false);
    }
  });

  $("team-copy").addEventListener("click", async () => {
    const value = $("team-token").value;
    try {
      await navigator.clipboard.writeText(value);
      say($("team-copied"), t("Copied."), "ok");
    } catch {
      $("team-token").select();
      say($("team-copied"), t("Copy it from the box (Ctrl+C)."));
    }
  });
  $("team-done").addEventListener("click", () => {
    $("team-token").value = "";
    shown.hidden = true;
    say($("team-copied"), "");
    $("team-name").focus();
  });

  return { load, clear() { body.replaceChildren(); say(status, ""); } };
}
