// Updates to the signers who opted in: write one (a subject and Markdown body for the letter's
// language, and for each translation if wished), save and preview it as a signer gets it (the
// text, the HTML in a sandboxed frame, the List-Unsubscribe headers), count its reach (a job),
// then send it (a job queues the mails; the mailer sends them at the send rate). The list
// below is each update's audit: who, when, reach, queued, sent, failed.
import { call, getLetter } from "./api.js";
import { ask } from "./ask.js";
import { $, el, errorText, isDisabled, say, setDisabled, timeEl } from "./dom.js";
import { follow, progressView } from "./jobs.js";

const q = encodeURIComponent;
const base = (slug) => `/admin/letters/${q(slug)}/updates`;
const n = (x) => Number(x || 0).toLocaleString("en");
const kept = (text) => el("span", { text, attrs: { translate: "no" } }); // a token name: never translated

export function updatesPanel(ctx) {
  const form = $("update-form"), texts = $("update-texts"), status = $("update-status");
  const previewBtn = $("update-preview"), reachBtn = $("update-reach"), sendBtn = $("update-send");
  const box = $("update-preview-box"), rendered = $("update-rendered"), list = $("update-list");
  const progress = $("update-progress");
  let languages = [];   // the letter's own first
  let current = null;   // the draft being worked on: { seq, reach }

  function fields(lang, main) {
    const id = (k) => `update-${k}-${lang}`;
    return el("fieldset", { className: "update-text" },
      el("legend", { text: main ? `Text in ${lang} (the letter's language)` : `Text in ${lang} (optional)` }),
      el("div", { className: "field" }, el("label", { htmlFor: id("subject"), text: "Subject" }),
        el("input", { id: id("subject"), type: "text", maxLength: 200, autocomplete: "off" })),
      el("div", { className: "field" }, el("label", { htmlFor: id("body"), text: "Message (Markdown)" }),
        el("textarea", { id: id("body"), rows: 6, maxLength: 20000 })));
  }

  function body() {
    const out = {};
    for (const lang of languages) {
      const subject = $(`update-subject-${lang}`).value.trim(), text = $(`update-body-${lang}`).value;
      if (subject || text.trim()) out[lang] = { subject, body: text };
    }
    return { texts: out };
  }

  function forget() {
    reachBtn.hidden = sendBtn.hidden = true;
    box.hidden = true;
    progress.replaceChildren();
  }
  form.addEventListener("input", () => { forget(); });

  function showPreview(p) {
    rendered.replaceChildren(...p.rendered.map((r) => {
      const frame = el("iframe", { title: `The update in ${r.language}, as HTML`, className: "mail-html" });
      frame.setAttribute("sandbox", "");  // no script, no navigation: the HTML as a mail shows it
      frame.srcdoc = r.html;
      return el("div", { className: "update-rendered", lang: r.language },
        el("dl", { className: "mail-facts" },
          el("dt", { text: "Language" }), el("dd", { text: r.language }),
          el("dt", { text: "Subject" }), el("dd", { text: r.subject, attrs: { translate: "no" } }),
          ...Object.entries(r.headers).flatMap(([k, v]) => [el("dt", { text: k, attrs: { translate: "no" } }),
            el("dd", { text: v, attrs: { translate: "no" } })])),
        el("pre", { className: "mail-text", text: r.text, attrs: { translate: "no" } }), frame);
    }));
    box.hidden = false;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (isDisabled(previewBtn)) return;
    const b = body();
    const main = b.texts[languages[0]];
    if (!main || !main.subject || !main.body.trim()) {
      $(`update-subject-${languages[0]}`).focus();
      return say(status, `Write a subject and a message in ${languages[0]}, the letter's language.`, "error");
    }
    setDisabled(previewBtn, true);
    say(status, "Saving…");
    try {
      const saved = current
        ? await call("PUT", `${base(ctx.slug())}/${current.seq}`, { body: b })
        : await call("POST", base(ctx.slug()), { body: b });
      current = { seq: saved.seq, reach: null };
      showPreview(await call("GET", `${base(ctx.slug())}/${saved.seq}/preview`));
      reachBtn.hidden = false;
      say(status, `Update ${saved.seq} saved as a draft. Nothing was sent. Count its reach, then send it.`, "ok");
      await load();
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      setDisabled(previewBtn, false);
    }
  });

  async function runJob(job, label) {
    const view = progressView(label);
    progress.replaceChildren(view.node);
    return follow(ctx.slug(), job, view.update);
  }

  reachBtn.addEventListener("click", async () => {
    if (isDisabled(reachBtn) || !current) return;
    setDisabled(reachBtn, true);
    say(status, "Counting the signers it reaches…");
    try {
      const done = await runJob(await call("POST", `${base(ctx.slug())}/${current.seq}/reach`, { body: {} }), "Counting the reach");
      current.reach = done.result.reach;
      sendBtn.hidden = false;
      sendBtn.textContent = `Send to ${n(current.reach)} signers`;
      say(status, `It reaches ${n(current.reach)} signers (counted just now).`, "ok");
      await load();
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      setDisabled(reachBtn, false);
    }
  });

  sendBtn.addEventListener("click", async () => {
    if (isDisabled(sendBtn) || !current) return;
    const ok = await ask({
      title: "Send this update?",
      text: `Update ${current.seq} goes to the ${n(current.reach)} signers who opted in, at the send rate. It cannot be called back.`,
      confirm: "Send it",
    });
    if (!ok) return;
    setDisabled(sendBtn, true);
    say(status, "Queueing the mails…");
    try {
      const u = await call("POST", `${base(ctx.slug())}/${current.seq}/send`, { body: {} });
      await runJob({ id: u.send_job, state: "queued" }, "Queueing the mails");
      const after = await call("GET", `${base(ctx.slug())}/${u.seq}`);
      say(status, `Update ${u.seq}: ${n(after.queued)} mails queued; they go out at the send rate.`, "ok");
      current = null;
      forget();
      await load();
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      setDisabled(sendBtn, false);
    }
  });

  $("update-new").addEventListener("click", () => { current = null; form.reset(); forget(); say(status, ""); });

  function renderList(items) {
    if (!items.length) {
      list.replaceChildren(el("li", { className: "empty", text: "No updates yet." }));
      return;
    }
    list.replaceChildren(...items.map((u) => {
      const main = u.texts[languages[0]] || Object.values(u.texts)[0];
      const counts = u.state === "draft"
        ? (u.reach != null ? `reaches ${n(u.reach)} (counted ` : "reach not counted")
        : `${n(u.queued ?? 0)} queued · ${n(u.sent)} sent · ${n(u.failed)} failed · ${n(u.suppressed)} suppressed · ${n(u.skipped)} skipped`;
      return el("li", { className: `delivery update-${u.state}` },
        el("p", {}, `${u.seq} · ${u.state} · `, el("q", { text: main.subject, attrs: { translate: "no" } }),
          ` · ${counts}`, u.state === "draft" && u.reach != null ? timeEl(u.reach_counted_at) : "",
          u.state === "draft" && u.reach != null ? ")" : ""),
        el("p", { className: "hint" }, "written by ", kept(u.created_by), " ", timeEl(u.created_at),
          u.sent_at ? " · sent by " : "", u.sent_at ? kept(u.sent_by) : "", u.sent_at ? " " : "", u.sent_at ? timeEl(u.sent_at) : "",
          u.source === "delivery" ? " · sent with the delivery" : ""));
    }));
  }

  async function load() {
    const mine = ctx.slug();
    try {
      const letter = await getLetter(mine);
      const langs = [letter.language, ...letter.translations.map((tr) => tr.language)];
      if (mine !== ctx.slug()) return;
      if (langs.join() !== languages.join()) {
        languages = langs;
        texts.replaceChildren(...languages.map((l, i) => fields(l, i === 0)));
      }
      renderList((await call("GET", base(mine))).updates);
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    }
  }

  return { load, clear() { current = null; forget(); list.replaceChildren(); say(status, ""); } };
}
