// Exports (a job each, then a presigned download link) and snapshots (list, cut one now).
import { cutSnapshot, exportLetter, listSnapshots } from "./api.js";
import { ask } from "./ask.js";
import { follow, progressView } from "./jobs.js";
import { $, el, errorText, formatSize, formatTime, isDisabled, say, setDisabled, srOnly } from "./dom.js";
import { STATE } from "./labels.js";

const FORMAT = {
  csv: "CSV", xlsx: "XLSX", json: "JSON", html: "Delivery letter (HTML)", docx: "Delivery letter (DOCX)",
  pdf: "Delivery letter (PDF)",
};
const LISTS = new Set(["csv", "xlsx", "json"]);

function minutes(seconds) {
  return seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} seconds`;
}

export function exportsPanel(ctx) {
  const status = $("export-status"), list = $("export-links"), date = $("export-date");
  const buttons = [...document.querySelectorAll("[data-format]")];
  const stateBoxes = [...document.querySelectorAll("input[name=export-state]")];

  let running = false;

  // The options of one export: the ticked states for a list, the printed date for a letter.
  function options(format) {
    if (LISTS.has(format)) {
      const states = stateBoxes.filter((b) => b.checked).map((b) => b.value);
      if (!states.length) return { error: "Tick at least one state for the list exports." };
      const named = states.length === 1 && states[0] === "listed" ? null : states;
      return { body: named ? { states } : {},
        label: named ? ` (${states.map((st) => STATE[st] || st).join(", ")})` : "" };
    }
    if (!date.value) return { body: {}, label: "" };
    if (!date.checkValidity()) return { error: "The date printed on the letter is not a valid date." };
    return { body: { date: date.value }, label: ` dated ${date.value}` };
  }

  async function run(button) {
    if (running || isDisabled(button)) return;
    const format = button.dataset.format, email = button.dataset.email === "1";
    const opts = options(format);
    if (opts.error) {
      say(status, opts.error, "error");
      return;
    }
    running = true;
    const label = `${FORMAT[format]}${email ? " with emails" : ""}${opts.label}`;
    // The focused button is only marked disabled: a disabled one would drop the focus.
    buttons.forEach((b) => setDisabled(b, true));
    say(status, `Preparing the ${label} export…`);
    const view = progressView(`Progress of the ${label} export`);
    const item = el("li", {}, view.node);
    try {
      const job = await exportLetter(ctx.slug(), format, email, opts.body);
      list.prepend(item);
      const r = (await follow(ctx.slug(), job, view.update)).result;
      item.remove();
      const file = r.key.split("/").pop();
      // A presigned link to another origin: `download` is only a hint there, so open it in a
      // new tab rather than navigate away from this page.
      const link = el("a", { href: r.url, download: file, target: "_blank", rel: "noopener noreferrer" },
        `Download ${label}`, srOnly(" (opens in a new tab)"));
      const meta = el("span", { className: "hint", text: ` ${file}, ${formatSize(r.size)}; link valid for ${minutes(r.expires_in)}` });
      list.prepend(el("li", {}, link, meta));
      say(status, `The ${label} export is ready: use the download link below.`, "ok");
      buttons.forEach((b) => setDisabled(b, false));
      // The next step is the link: take the organiser there (unless they went elsewhere).
      if (document.activeElement === button || document.activeElement === document.body) link.focus();
    } catch (err) {
      item.remove();
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      running = false;
      buttons.forEach((b) => setDisabled(b, false));
    }
  }
  for (const b of buttons) b.addEventListener("click", () => run(b));
  return { clear() { list.replaceChildren(); say(status, ""); } };
}

export function snapshotsPanel(ctx) {
  const status = $("snap-status"), list = $("snap-list"), cut = $("snap-cut"), again = $("snap-replace");

  function render(snapshots) {
    list.replaceChildren();
    const today = new Date().toISOString().slice(0, 10); // snapshot dates are UTC days
    if (snapshots.some((s) => s.complete && s.date === today)) again.hidden = false;
    if (!snapshots.length) {
      list.append(el("li", { className: "hint", text: "No snapshots yet." }));
      return;
    }
    for (const s of snapshots) {
      const files = el("ul", { className: "files" });
      for (const f of s.files) {
        files.append(el("li", {},
          f.url ? el("a", { href: f.url, download: f.name, target: "_blank", rel: "noopener noreferrer" }, f.name, srOnly(" (opens in a new tab)"))
            : el("span", { text: f.name }),
          el("span", { className: "hint", text: ` ${formatSize(f.size)}` })));
      }
      list.append(el("li", {},
        el("h3", { className: "snap-date" }, el("time", { dateTime: s.date, text: s.date }),
          s.complete ? null : el("span", { className: "state state-pending", text: " incomplete" })),
        files));
    }
  }

  async function load() {
    try {
      render((await listSnapshots(ctx.slug())).snapshots);
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    }
  }

  const at = (iso) => (iso ? formatTime(iso) : "earlier today");
  function report(r) {
    const day = r.date ? ` (${r.date})` : "";
    if (r.status === "complete" && r.replaced) {
      return `Today's snapshot${day} was cut again: its files now hold the list as at ${at(r.time_cut)}, replacing the cut of ${at(r.replaced_cut)}. Links to today's files given out before now fetch the new files.`;
    }
    if (r.status === "complete") return `Snapshot written${day}: the list as at ${at(r.time_cut)}.`;
    if (r.status === "exists") {
      return `Today's snapshot${day} was cut at ${at(r.time_cut)}; nothing was written. To include what changed since, cut it again: today's files are replaced by the list as it is now.`;
    }
    return {
      busy: "Another snapshot is being written right now; try again in a minute.",
      skipped: "Skipped: this letter is not snapshotted (closed too long ago?).",
      failed: "The snapshot failed. Try again later.",
    }[r.status] || r.status;
  }

  async function run(button, force) {
    if (isDisabled(button)) return;
    setDisabled(button, true);
    say(status, force ? "Cutting today's snapshot again…" : "Cutting a snapshot…");
    const view = progressView("Progress of the snapshot");
    try {
      const job = await cutSnapshot(ctx.slug(), force);
      status.after(view.node);
      const r = (await follow(ctx.slug(), job, view.update)).result;
      say(status, report(r), r.status === "failed" ? "error" : "ok");
      await load();
      // Today's snapshot is complete now (or was): the next step may be to cut it again.
      if (r.status === "complete" || r.status === "exists") again.hidden = false;
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      view.node.remove();
      setDisabled(button, false);
    }
  }
  cut.addEventListener("click", () => run(cut, false));
  again.addEventListener("click", async () => {
    if (isDisabled(again)) return;
    const ok = await ask({
      title: "Cut today's snapshot again?",
      text: "Today's files (lists, letter, manifest) are replaced by the list as it is now. Earlier links to today's files will fetch the new ones; the replaced files are kept in the bucket's history for a while.",
      confirm: "Replace today's snapshot",
    });
    if (ok) await run(again, true);
  });
  $("snap-refresh").addEventListener("click", () => { say(status, ""); load(); });
  return { load, clear() { list.replaceChildren(); say(status, ""); again.hidden = true; } };
}
