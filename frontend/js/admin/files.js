// Exports (a presigned download link per request) and snapshots (list, cut one now).
import { cutSnapshot, exportLetter, listSnapshots } from "./api.js";
import { $, el, errorText, formatSize, isDisabled, say, setDisabled, srOnly } from "./dom.js";

const FORMAT = {
  csv: "CSV", json: "JSON", html: "Delivery letter (HTML)", docx: "Delivery letter (DOCX)",
};

function minutes(seconds) {
  return seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} seconds`;
}

export function exportsPanel(ctx) {
  const status = $("export-status"), list = $("export-links");
  const buttons = [...document.querySelectorAll("[data-format]")];

  let running = false;

  async function run(button) {
    if (running || isDisabled(button)) return;
    running = true;
    const format = button.dataset.format, email = button.dataset.email === "1";
    const label = `${FORMAT[format]}${email ? " with emails" : ""}`;
    // The focused button is only marked disabled: a disabled one would drop the focus.
    buttons.forEach((b) => setDisabled(b, true));
    say(status, `Preparing the ${label} export…`);
    try {
      const r = await exportLetter(ctx.slug(), format, email);
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
  const status = $("snap-status"), list = $("snap-list"), cut = $("snap-cut");

  function render(snapshots) {
    list.replaceChildren();
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

  const REPORT = {
    complete: "Snapshot written.",
    exists: "Today's snapshot exists already; nothing was written.",
    busy: "Another snapshot is being written right now; try again in a minute.",
    skipped: "Skipped: this letter is not snapshotted (closed too long ago?).",
    failed: "The snapshot failed. Try again later.",
  };
  cut.addEventListener("click", async () => {
    if (isDisabled(cut)) return;
    setDisabled(cut, true);
    say(status, "Cutting a snapshot…");
    try {
      const r = await cutSnapshot(ctx.slug());
      say(status, `${REPORT[r.status] || r.status}${r.date ? ` (${r.date})` : ""}`, r.status === "failed" ? "error" : "ok");
      await load();
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      setDisabled(cut, false);
    }
  });
  $("snap-refresh").addEventListener("click", () => { say(status, ""); load(); });
  return { load, clear() { list.replaceChildren(); say(status, ""); } };
}
