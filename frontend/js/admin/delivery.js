// Delivering the letter: pick a snapshot, name the recipients, write the cover message,
// preview (nothing is sent), then send exactly what was previewed; the deliveries below say
// what each recipient's mail server answered (SES's events).
import { listDeliveries, listSnapshots, previewDelivery, sendDelivery } from "./api.js";
import { ask } from "./ask.js";
import { $, el, errorText, formatSize, isDisabled, say, setDisabled, timeEl } from "./dom.js";

const OUTCOME = {
  sent: "sent, no answer yet", delivered: "delivered to the mail server", bounced: "bounced",
  complained: "marked as spam", delayed: "delayed",
};

export function deliveryPanel(ctx) {
  const form = $("deliver-form"), snapshot = $("deliver-snapshot"), to = $("deliver-to");
  const subject = $("deliver-subject"), message = $("deliver-message"), docx = $("deliver-docx");
  const announce = $("deliver-announce");
  const preview = $("deliver-preview"), send = $("deliver-send"), status = $("deliver-status");
  const box = $("deliver-preview-box"), facts = $("deliver-facts"), text = $("deliver-text");
  const list = $("deliver-list");
  let previewed = null; // { body, draft } of the last preview, while the form is unchanged

  function body() {
    const recipients = to.value.split(/[\n,;]+/).map((s) => s.trim()).filter(Boolean);
    const b = { snapshot: snapshot.value, recipients, message: message.value, attach_docx: docx.checked,
      announce: announce.checked };
    if (subject.value.trim()) b.subject = subject.value.trim();
    return b;
  }

  function forget() {
    previewed = null;
    send.hidden = true;
    box.hidden = true;
  }
  form.addEventListener("input", forget);
  form.addEventListener("change", forget);

  // `keep`: what was typed (addresses, subject, addressee) is never translated (i18n.js)
  function fact(term, value, keep = false) {
    return [el("dt", { text: term }), el("dd", keep ? { attrs: { translate: "no" } } : {}, value)];
  }
  const kept = (text) => el("span", { text, attrs: { translate: "no" } });

  function showPreview(d) {
    facts.replaceChildren(
      ...fact("To", d.recipients.join(", "), true), ...fact("From", d.sender, true),
      ...fact("Subject", d.subject, true), ...fact("Addressee", d.addressee, true),
      ...fact("Snapshot", `${d.snapshot}: ${d.signatures} signatures; manifest sha256 ${d.manifest_sha256}`),
      ...d.attachments.flatMap((a) => fact("Attached", `${a.name} (${formatSize(a.size)}), sha256 ${a.sha256}`)));
    text.textContent = d.text;
    box.hidden = false;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (isDisabled(preview)) return;
    const b = body();
    if (!b.snapshot) return say(status, "There is no complete snapshot with a PDF yet: cut one first.", "error");
    if (!b.recipients.length) { to.focus(); return say(status, "Name at least one recipient.", "error"); }
    if (!b.message.trim()) { message.focus(); return say(status, "Write the cover message.", "error"); }
    setDisabled(preview, true);
    say(status, "Preparing the preview…");
    try {
      const draft = await previewDelivery(ctx.slug(), b);
      previewed = { body: b, draft };
      showPreview(draft);
      send.hidden = false;
      say(status, "Nothing was sent. Check the preview, then send it.", "ok");
    } catch (err) {
      forget();
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      setDisabled(preview, false);
    }
  });

  send.addEventListener("click", async () => {
    if (isDisabled(send) || !previewed) return;
    const { body: b, draft } = previewed;
    const ok = await ask({
      title: "Send this delivery?",
      text: `The PDF of the ${draft.snapshot} snapshot (${draft.signatures} signatures) goes to ${draft.recipients.join(", ")} now. It cannot be called back.`,
      confirm: "Send it",
    });
    if (!ok) return;
    setDisabled(send, true);
    say(status, "Sending…");
    try {
      let r;
      try {
        r = await sendDelivery(ctx.slug(), { ...b, manifest_sha256: draft.manifest_sha256 });
      } catch (err) {
        if (err.code !== "delivery_exists") throw err;
        const again = await ask({ title: "Send it again?", text: err.message, confirm: "Send it again" });
        if (!again) { say(status, "Not sent again."); return; }
        r = await sendDelivery(ctx.slug(), { ...b, manifest_sha256: draft.manifest_sha256, again: true });
      }
      say(status, `Sent to ${r.recipients.length} recipient(s). SES message id ${r.ses_message_id}.${r.update ? ` Update ${r.update} tells the signers who opted in (see Updates to signers).` : ""}`, "ok");
      forget();
      await load();
      ctx.changed();
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      setDisabled(send, false);
    }
  });

  function renderDeliveries(items) {
    if (!items.length) {
      list.replaceChildren(el("li", { className: "empty", text: "Not delivered yet." }));
      return;
    }
    list.replaceChildren(...items.map((d) => el("li", { className: `delivery delivery-${d.status}` },
      el("p", {}, timeEl(d.sent_at), " · ", d.status, " · to ", kept(d.addressee),
        ` · snapshot ${d.snapshot}, ${d.signatures} signatures · by `, kept(d.sent_by),
        d.update ? ` · announced in update ${d.update}` : null),
      el("p", { className: "hash", text: `letter.pdf sha256 ${d.pdf_sha256} · manifest sha256 ${d.manifest_sha256}${d.ses_message_id ? ` · SES ${d.ses_message_id}` : ""}` }),
      d.error ? el("p", { className: "err", text: d.error }) : null,
      el("ul", {}, ...d.recipients.map((r) => el("li", {},
        kept(r.recipient), ": ", OUTCOME[r.status] || r.status, r.at ? " (" : "", r.at ? timeEl(r.at) : "",
        r.at ? ")" : "", r.detail ? ` ${r.detail}` : ""))))));
  }

  async function load() {
    const mine = ctx.slug();
    try {
      const [snaps, deliveries] = await Promise.all([listSnapshots(mine), listDeliveries(mine)]);
      if (mine !== ctx.slug()) return;
      const usable = snaps.snapshots.filter((s) => s.complete && s.files.some((f) => f.name === "letter.pdf"));
      const keep = snapshot.value;
      snapshot.replaceChildren(...usable.map((s) => el("option", { value: s.date, text: s.date, selected: s.date === keep })));
      renderDeliveries(deliveries.deliveries);
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    }
  }

  $("deliver-refresh").addEventListener("click", () => { say(status, ""); load(); });
  return { load, clear() { forget(); list.replaceChildren(); snapshot.replaceChildren(); say(status, ""); } };
}
