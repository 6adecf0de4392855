// The audit trail, newest first, with "load more" along next_cursor.
import { auditTrail } from "./api.js";
import { $, el, errorText, isDisabled, say, setDisabled, timeEl } from "./dom.js";

function change(before, after) {
  const keys = [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])];
  const fmt = (v) => (v === null || v === undefined || v === "" ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const parts = keys.filter((k) => fmt(before?.[k]) !== fmt(after?.[k]))
    .map((k) => `${k}: ${fmt(before?.[k])} → ${fmt(after?.[k])}`);
  return parts.join("; ") || "—";
}

export function auditPanel(ctx) {
  const body = $("audit-body"), more = $("audit-more"), status = $("audit-status");
  let cursor = null, generation = 0;

  async function load({ append = false } = {}) {
    const mine = ++generation;
    const hadFocus = document.activeElement === more;
    setDisabled(more, true); // keeps the focus if it has it
    try {
      const page = await auditTrail(ctx.slug(), { cursor: append ? cursor : undefined });
      if (mine !== generation) return;
      if (!append) body.replaceChildren();
      for (const e of page.entries) {
        body.append(el("tr", {},
          el("td", {}, timeEl(e.at)),
          el("td", { text: e.who }),
          el("td", { text: e.action }),
          el("td", { className: "mono", text: e.sig_id || "—" }),
          el("td", { text: change(e.before, e.after) }),
          el("td", { text: e.reason || "—" })));
      }
      if (!append && !page.entries.length) {
        body.append(el("tr", {}, el("td", { colSpan: 6, className: "hint", text: "Nothing yet." })));
      }
      cursor = page.next_cursor || null;
      more.hidden = !cursor;
      say(status, "");
    } catch (err) {
      if (mine === generation && !err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      if (mine === generation) {
        setDisabled(more, false);
        // The last page hides the button: the focus goes to the table rather than <body>.
        if (hadFocus && more.hidden) body.closest(".table-wrap").focus();
      }
    }
  }
  more.addEventListener("click", () => { if (!isDisabled(more)) load({ append: true }); });
  $("audit-refresh").addEventListener("click", () => load());
  return {
    load,
    clear() { generation++; body.replaceChildren(); cursor = null; more.hidden = true; say(status, ""); },
  };
}
