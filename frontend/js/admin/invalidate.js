// Bulk invalidation by filter: "Dry run" counts the matches; "Apply" first runs a dry run
// itself, then asks to confirm that count, then rejects (dry_run: false) and reports changed.
import { invalidate } from "./api.js";
import { $, errorText, plural, say, setDisabled } from "./dom.js";
import { readFilters } from "./queue.js";

const NAMES = ["email_domain", "country", "q", "since", "until"];

export function invalidation(ctx) {
  const form = $("inv-form"), out = $("inv-result"), errOut = $("inv-error");
  const box = $("inv-confirm"), boxText = $("inv-confirm-text"), yes = $("inv-confirm-yes");
  let planned = null; // {slug, body, matched} awaiting confirmation
  let busy = false;

  function read() {
    form.querySelectorAll("[aria-invalid]").forEach((f) => f.removeAttribute("aria-invalid"));
    const r = readFilters(form, NAMES);
    const fail = (message, field) => {
      say(errOut, message, "error");
      field.setAttribute("aria-invalid", "true");
      field.focus();
      return null;
    };
    if (r.error) return fail(r.error, r.field);
    if (!Object.keys(r.filters).length) return fail("Give at least one filter: email domain, country, name or a time window.", form.elements.email_domain);
    const reason = form.elements.reason.value.normalize("NFC").trim();
    if (!reason) return fail("Give a reason: it is recorded with every rejected signature.", form.elements.reason);
    return { ...r.filters, reason };
  }

  function cancel() {
    planned = null;
    box.hidden = true;
  }

  function setBusy(on) {
    busy = on;
    // The focused button is only marked disabled (the handlers check `busy`): a disabled
    // button would drop the focus to <body>.
    for (const b of [$("inv-dry"), $("inv-apply"), yes]) setDisabled(b, on);
    form.setAttribute("aria-busy", String(on));
  }

  async function dryRun(body) {
    const r = await invalidate(ctx.slug(), { ...body, dry_run: true });
    return r.matched;
  }

  form.addEventListener("submit", async (ev) => { // "Dry run" (also Enter in a field)
    ev.preventDefault();
    if (busy) return;
    cancel();
    say(errOut, ""); say(out, "");
    const body = read();
    if (!body) return;
    setBusy(true);
    try {
      const matched = await dryRun(body);
      say(out, `Dry run: ${plural(matched, "signature", "signatures")} would be rejected. Nothing was changed.`, "ok");
    } catch (err) {
      if (!err.tokenRefused) say(errOut, errorText(err), "error");
    } finally {
      setBusy(false);
    }
  });

  $("inv-apply").addEventListener("click", async () => {
    if (busy) return;
    cancel();
    say(errOut, ""); say(out, "");
    const body = read();
    if (!body) return;
    setBusy(true);
    try {
      const matched = await dryRun(body);
      if (!matched) {
        say(out, "No signature matches these filters. Nothing to apply.", "ok");
        return;
      }
      planned = { slug: ctx.slug(), body, matched };
      boxText.textContent = `This will reject ${plural(matched, "signature", "signatures")} with the reason “${body.reason}”. Reject them?`;
      yes.textContent = `Yes, reject ${matched}`;
      box.hidden = false;
      boxText.focus();
    } catch (err) {
      if (!err.tokenRefused) say(errOut, errorText(err), "error");
    } finally {
      setBusy(false);
    }
  });

  yes.addEventListener("click", async () => {
    if (busy || !planned) return;
    const { slug, body, matched } = planned;
    if (slug !== ctx.slug()) { cancel(); return; }
    setBusy(true);
    try {
      const r = await invalidate(slug, { ...body, dry_run: false });
      cancel();
      const drift = r.matched !== matched ? ` (${r.matched} matched now; ${matched} at the dry run)` : "";
      say(out, `Rejected ${plural(r.changed, "signature", "signatures")}${drift}.`, "ok");
      $("inv-apply").focus();
      ctx.changed({ queue: true });
    } catch (err) {
      if (!err.tokenRefused) say(errOut, errorText(err), "error");
    } finally {
      setBusy(false);
    }
  });

  function cancelled() {
    cancel();
    say(out, "Cancelled. Nothing was changed.");
    $("inv-apply").focus();
  }
  $("inv-confirm-no").addEventListener("click", cancelled);
  // Escape in the confirm box is "Cancel" (as in a dialog).
  box.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape" || box.hidden || busy) return;
    ev.preventDefault();
    cancelled();
  });
  form.addEventListener("input", () => { if (planned) cancel(); say(errOut, ""); });

  return {
    clear() {
      cancel();
      say(out, ""); say(errOut, "");
    },
  };
}
