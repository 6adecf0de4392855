// The moderation queue: filters, a table with a checkbox per row, per-row actions,
// bulk actions on the checked rows, and "load more" along next_cursor.
// Every value from the API is written with textContent.
import { act, bulk, searchSignatures } from "./api.js";
import { $, el, errorText, localToIso, plural, say, srOnly, timeEl } from "./dom.js";
import { ask } from "./ask.js";
import { ACTION, APPLIES, DONE, KIND, STATE } from "./labels.js";

const PAGE = 100;
const BULK_MAX = 500; // BulkIn.ids max_length

/** Filters from a form's fields (state, kind, q, country, email_domain, since, until). */
export function readFilters(form, names) {
  const out = {};
  for (const name of names) {
    const field = form.elements[name];
    if (!field) continue;
    let v = (field.value || "").normalize("NFC").trim();
    if (!v) continue;
    if (name === "country") {
      if (!/^[A-Za-z]{2}$/.test(v)) return { error: "Country: give a two-letter code such as KR or GB.", field };
      v = v.toUpperCase();
    }
    if (name === "since" || name === "until") {
      v = localToIso(v);
      if (!v) return { error: "Give a valid date and time.", field };
    }
    out[name] = v;
  }
  if (out.since && out.until && out.since >= out.until) {
    return { error: "“Created from” must be before “Created before”.", field: form.elements.until };
  }
  return { filters: out };
}

export function queue(ctx) {
  const form = $("filter-form"), body = $("queue-body"), result = $("queue-result");
  const more = $("queue-more"), selectAll = $("select-all"), countOut = $("selected-count");
  const bulkButtons = [...document.querySelectorAll("[data-bulk]")];
  let filters = { state: "awaiting_approval" }, cursor = null, rows = new Map(), selected = new Set();
  let generation = 0, busy = false;

  function updateSelection() {
    const n = selected.size;
    countOut.textContent = `${n} selected`;
    for (const b of bulkButtons) b.disabled = n === 0 || busy;
    selectAll.checked = n > 0 && n === rows.size;
    selectAll.indeterminate = n > 0 && n < rows.size;
    selectAll.disabled = rows.size === 0;
  }

  function caption() {
    const what = filters.state ? STATE[filters.state] : "Any state";
    const extra = Object.keys(filters).filter((k) => k !== "state").length ? ", filtered" : "";
    $("queue-caption").textContent = `Signatures: ${what}${extra} (${rows.size} shown${cursor ? ", more to load" : ""})`;
    $("queue-empty").hidden = rows.size > 0;
  }

  function actionButton(sig, action) {
    const label = ACTION[action] + (action === "reject" || action === "rename" ? "…" : "");
    return el("button", {
      type: "button", className: `btn btn-small${action === "reject" ? " btn-danger" : ""}`,
      dataset: { action, id: sig.id },
    }, label, srOnly(` ${sig.name || sig.id}`));
  }

  function row(sig) {
    const box = el("input", { type: "checkbox", checked: selected.has(sig.id), dataset: { id: sig.id },
      attrs: { "aria-label": `Select ${sig.name || sig.id}` } });
    const name = el("td", { className: "col-name" }, el("span", { className: "sig-name", text: sig.name || "—" }));
    if (sig.original_name && sig.original_name !== sig.name) {
      name.append(el("span", { className: "was", text: `originally: ${sig.original_name}` }));
    }
    const actions = el("td", { className: "col-actions" },
      el("div", { className: "row-actions" },
        ...Object.keys(APPLIES).filter((a) => APPLIES[a].includes(sig.state)).map((a) => actionButton(sig, a))));
    return el("tr", { dataset: { id: sig.id, state: sig.state } },
      el("td", { className: "col-check" }, box),
      name,
      el("td", { text: KIND[sig.kind] || sig.kind }),
      el("td", { text: sig.affiliation || "—" }),
      el("td", { text: sig.country || "—" }),
      el("td", { className: "col-email", text: sig.email || "—" }),
      el("td", {}, el("span", { className: `state state-${sig.state}`, text: STATE[sig.state] || sig.state })),
      el("td", {}, timeEl(sig.created_at)),
      el("td", { text: sig.reason || "—" }),
      actions);
  }

  async function load({ append = false } = {}) {
    const mine = ++generation;
    if (!append) { cursor = null; }
    more.disabled = true;
    body.setAttribute("aria-busy", "true");
    try {
      const page = await searchSignatures(ctx.slug(), filters, { cursor: append ? cursor : undefined, limit: PAGE });
      if (mine !== generation) return;
      if (!append) { rows = new Map(); selected = new Set(); body.replaceChildren(); }
      for (const sig of page.signatures) {
        if (rows.has(sig.id)) continue;
        rows.set(sig.id, sig);
        body.append(row(sig));
      }
      cursor = page.next_cursor || null;
      more.hidden = !cursor;
    } catch (err) {
      if (mine !== generation) return;
      if (!err.tokenRefused) say(result, errorText(err), "error");
    } finally {
      if (mine === generation) {
        more.disabled = false;
        body.removeAttribute("aria-busy");
        caption();
        updateSelection();
      }
    }
  }

  function describeBulk(action, changed, skipped) {
    const parts = [`${DONE[action]}: ${changed}.`];
    if (skipped) parts.push(`Skipped: ${skipped} (not found, or not in a state “${ACTION[action].toLowerCase()}” applies to).`);
    return parts.join(" ");
  }

  async function afterChange(message, kind = "ok") {
    await load();
    say(result, message, kind);
    result.focus();
    ctx.changed();
  }

  async function rowAction(id, action) {
    const sig = rows.get(id);
    if (!sig || busy) return;
    const who = sig.name || id;
    let extra = {};
    if (action === "reject") {
      const reason = await ask({ title: "Reject this signature", text: who, label: "Reason (recorded in the audit trail)", confirm: "Reject" });
      if (reason === null) return;
      extra = { reason };
    } else if (action === "rename") {
      const name = await ask({ title: "Correct the name", text: `Now: ${who}`, label: "Corrected name", confirm: "Rename", value: sig.name || "", maxLength: 200 });
      if (name === null) return;
      if (name === sig.name) return;
      extra = { name };
    }
    setBusy(true);
    try {
      const after = await act(ctx.slug(), id, action, extra);
      const what = action === "rename" ? `Renamed “${who}” to “${after.name}”.` : `${DONE[action]}: “${who}”.`;
      await afterChange(what);
    } catch (err) {
      if (!err.tokenRefused) { say(result, errorText(err), "error"); result.focus(); }
    } finally {
      setBusy(false);
    }
  }

  async function bulkAction(action) {
    const ids = [...selected];
    if (!ids.length || busy) return;
    let reason;
    if (action === "reject") {
      reason = await ask({ title: `Reject ${plural(ids.length, "signature", "signatures")}`, label: "Reason (recorded in the audit trail)", confirm: `Reject ${ids.length}` });
      if (reason === null) return;
    }
    setBusy(true);
    let changed = 0, skipped = 0;
    try {
      for (let i = 0; i < ids.length; i += BULK_MAX) {
        const r = await bulk(ctx.slug(), ids.slice(i, i + BULK_MAX), action, reason);
        changed += r.changed.length;
        skipped += r.skipped.length;
      }
      await afterChange(describeBulk(action, changed, skipped), skipped && !changed ? "error" : "ok");
    } catch (err) {
      if (!err.tokenRefused) {
        const done = changed || skipped ? ` ${describeBulk(action, changed, skipped)}` : "";
        say(result, errorText(err) + done, "error");
        result.focus();
        if (changed) { load(); ctx.changed(); }
      }
    } finally {
      setBusy(false);
    }
  }

  function setBusy(on) {
    busy = on;
    body.querySelectorAll("button").forEach((b) => { b.disabled = on; });
    updateSelection();
  }

  body.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-action]");
    if (b) rowAction(b.dataset.id, b.dataset.action);
  });
  body.addEventListener("change", (ev) => {
    const box = ev.target;
    if (box.type !== "checkbox") return;
    if (box.checked) selected.add(box.dataset.id); else selected.delete(box.dataset.id);
    updateSelection();
  });
  selectAll.addEventListener("change", () => {
    selected = selectAll.checked ? new Set(rows.keys()) : new Set();
    body.querySelectorAll("input[type=checkbox]").forEach((b) => { b.checked = selectAll.checked; });
    updateSelection();
  });
  for (const b of bulkButtons) b.addEventListener("click", () => bulkAction(b.dataset.bulk));
  more.addEventListener("click", () => load({ append: true }));

  const NAMES = ["state", "kind", "q", "country", "email_domain", "since", "until"];
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const r = readFilters(form, NAMES);
    form.querySelectorAll("[aria-invalid]").forEach((f) => f.removeAttribute("aria-invalid"));
    if (r.error) {
      say(result, r.error, "error");
      r.field.setAttribute("aria-invalid", "true");
      r.field.focus();
      return;
    }
    filters = r.filters;
    say(result, "");
    load();
  });
  form.addEventListener("reset", () => {
    // after the browser has reset the fields
    setTimeout(() => { filters = { state: "awaiting_approval" }; say(result, ""); load(); });
  });

  return {
    load,
    clear() {
      generation++;
      rows = new Map(); selected = new Set(); cursor = null;
      body.replaceChildren();
      more.hidden = true;
      say(result, "");
      caption();
      updateSelection();
    },
  };
}
