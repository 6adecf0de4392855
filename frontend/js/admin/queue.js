// The moderation queue: filters, a table with a checkbox per row, per-row actions,
// bulk actions on the checked rows, and "load more" along next_cursor.
// Every value from the API is written with textContent.
import { act, bulk, searchSignatures } from "./api.js";
import { $, el, errorText, isDisabled, localToIso, plural, say, setDisabled, timeEl } from "./dom.js";
import { ask } from "./ask.js";
import { ACTION, APPLIES, DONE, KIND, STATE } from "./labels.js";
import { DECISIONS, decisionButtons, keepFirstReason, matchBlock } from "./lookalike.js";

const PAGE = 100;
const BULK_MAX = 500; // BulkIn.ids max_length
const NAMED = 5; // names quoted when a bulk action asks for confirmation

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
  // What the rows on screen are: the filters they were loaded with, or a failed load (no rows).
  let shown = { filters, failed: false };
  let generation = 0, busy = false, loading = false, lastError = null;

  /** Bulk buttons, select-all and every row control follow the selection and busy/loading. */
  function updateSelection() {
    const n = selected.size, locked = busy || loading;
    countOut.textContent = `${n} selected`;
    for (const b of bulkButtons) setDisabled(b, n === 0 || locked);
    selectAll.checked = n > 0 && n === rows.size;
    selectAll.indeterminate = n > 0 && n < rows.size;
    setDisabled(selectAll, rows.size === 0 || locked);
    body.querySelectorAll("button, input").forEach((c) => setDisabled(c, locked));
  }

  /** The caption describes the rows actually shown, never the filters of a load in flight. */
  function caption() {
    const cap = $("queue-caption");
    if (shown.failed) {
      cap.textContent = "Signatures: none shown (the list could not be loaded)";
      $("queue-empty").hidden = true;
      return;
    }
    const f = shown.filters;
    const what = f.state ? STATE[f.state] : "Any state";
    const extra = Object.keys(f).filter((k) => k !== "state").length ? ", filtered" : "";
    cap.textContent = `Signatures: ${what}${extra} (${rows.size} shown${cursor ? ", more to load" : ""})`;
    $("queue-empty").hidden = rows.size > 0 || loading;
  }

  function actionButton(sig, action) {
    const label = ACTION[action] + (action === "reject" || action === "rename" ? "…" : "");
    return el("button", {
      type: "button", className: `btn btn-small${action === "reject" ? " btn-danger" : ""}`,
      dataset: { action, id: sig.id },
    }, label, el("span", { className: "visually-hidden", text: ` ${sig.name || sig.id}`, attrs: { translate: "no" } }));
  }

  function row(sig) {
    const box = el("input", { type: "checkbox", checked: selected.has(sig.id), dataset: { id: sig.id },
      attrs: { "aria-label": `Select ${sig.name || sig.id}` } });
    const name = el("td", { className: "col-name" }, el("span", { className: "sig-name", text: sig.name || "—" }));
    if (sig.original_name && sig.original_name !== sig.name) {
      name.append(el("span", { className: "was", text: `originally: ${sig.original_name}` }));
    }
    if (sig.lookalike_of) name.append(matchBlock(sig));
    const actions = el("td", { className: "col-actions" },
      el("div", { className: "row-actions" }, ...decisionButtons(sig),
        ...Object.keys(APPLIES).filter((a) => APPLIES[a].includes(sig.state)).map((a) => actionButton(sig, a))));
    // data-label: the column's name, shown before the value when rows are laid out as cards.
    return el("tr", { dataset: { id: sig.id, state: sig.state } },
      el("td", { className: "col-check" }, box),
      name,
      el("td", { className: "col-kind", text: KIND[sig.kind] || sig.kind }),
      el("td", { className: "col-more", text: sig.affiliation || "—", dataset: { label: "Affiliation" } }),
      el("td", { className: "col-more", text: sig.country || "—", dataset: { label: "Country" } }),
      el("td", { className: "col-more col-email", text: sig.email_domain || "—", dataset: { label: "Email domain" } }),
      el("td", { className: "col-state" }, el("span", { className: `state state-${sig.state}`, text: STATE[sig.state] || sig.state }),
        sig.bounced_at ? el("span", { className: "was", text: "its mail bounced: it cannot confirm" }) : null),
      el("td", { className: "col-more", dataset: { label: "Created" } }, timeEl(sig.created_at)),
      el("td", { className: "col-more", text: sig.reason || "—", dataset: { label: "Reason" } }),
      actions);
  }

  function dropRows() {
    rows = new Map(); selected = new Set(); cursor = null;
    body.replaceChildren();
  }

  /**
   * Load the first page for `filters` (replacing the rows), or the next page (append).
   * Resolves true when it loaded, false when it failed (the reason in lastError), and null
   * when a newer load or a letter switch superseded it.
   */
  async function load({ append = false } = {}) {
    if (append && !cursor) return true;
    const mine = ++generation, asked = filters;
    const moreHadFocus = document.activeElement === more;
    let ok = null, first = null;
    loading = true;
    setDisabled(more, true);
    body.setAttribute("aria-busy", "true");
    caption();
    updateSelection();
    try {
      const page = await searchSignatures(ctx.slug(), asked, { cursor: append ? cursor : undefined, limit: PAGE });
      if (mine !== generation) return null;
      if (!append) dropRows();
      for (const sig of page.signatures) {
        if (rows.has(sig.id)) continue;
        rows.set(sig.id, sig);
        const tr = row(sig);
        body.append(tr);
        first = first || tr;
      }
      cursor = page.next_cursor || null;
      shown = { filters: asked, failed: false };
      ok = true;
    } catch (err) {
      if (mine !== generation) return null;
      lastError = err;
      ok = false;
      if (!append) {
        // Rows of another filter (or an older state) must not stay on screen to be acted on.
        dropRows();
        shown = { filters: asked, failed: true };
      }
      if (!err.tokenRefused) {
        say(result, append
          ? `More rows could not be loaded: ${errorText(err)} The rows shown are still current.`
          : `The list could not be loaded, so it is not current: no rows are shown. ${errorText(err)} Search again to retry.`,
        "error");
      }
    } finally {
      if (mine === generation) {
        loading = false;
        body.removeAttribute("aria-busy");
        more.hidden = !cursor;
        setDisabled(more, false);
        caption();
        updateSelection();
        // "Load more" keeps the place: on the first new row (the button may be gone now).
        if (append && (moreHadFocus || document.activeElement === document.body)) {
          if (first) first.querySelector("input[type=checkbox]").focus();
          else if (more.hidden) { say(result, "No more signatures to load."); result.focus(); }
        }
      }
    }
    return ok;
  }

  function describeBulk(action, changed, skipped) {
    const parts = [`${DONE[action]}: ${changed}.`];
    if (skipped) parts.push(`Skipped: ${skipped} (not found, or not in a state “${ACTION[action].toLowerCase()}” applies to).`);
    return parts.join(" ");
  }

  /** After a bulk action: reload the list, then report (and say so if the reload failed). */
  async function afterChange(message, kind = "ok") {
    setBusy(false);
    const ok = await load();
    if (ok === false) {
      say(result, `${message} That was done, but the list could not be refreshed: ${errorText(lastError)} Search again to see the current list.`, "error");
    } else {
      say(result, message, kind);
    }
    result.focus();
    ctx.changed();
  }

  /** A control in a row: the same action if it still applies, else its first action or checkbox. */
  function controlIn(tr, action) {
    return tr.querySelector(`[data-action="${action}"]`) || tr.querySelector("[data-action]")
      || tr.querySelector("input[type=checkbox]");
  }

  /**
   * Put a signature's new state in place: its row is redrawn when it still matches the rows
   * shown, else removed (the loaded pages and the other checks stay). Returns the control that
   * should take the focus: in the same row, else the next row (the previous one if it was the
   * last), else the result message.
   */
  function place(sig, action) {
    const tr = [...body.rows].find((r) => r.dataset.id === sig.id);
    if (!tr) return result;
    const state = shown.filters.state;
    if (!state || state === sig.state) {
      rows.set(sig.id, sig);
      const fresh = row(sig);
      tr.replaceWith(fresh);
      caption();
      updateSelection();
      return controlIn(fresh, action);
    }
    const next = tr.nextElementSibling || tr.previousElementSibling;
    rows.delete(sig.id);
    selected.delete(sig.id);
    tr.remove();
    caption();
    updateSelection();
    return next ? controlIn(next, action) : result;
  }

  /** Move the focus to `target` unless the organiser has gone elsewhere meanwhile. */
  function refocus(target, id) {
    const active = document.activeElement;
    const inRow = active && active.closest && active.closest("#queue-body tr");
    if (!active || active === document.body || (inRow && (!inRow.isConnected || inRow.dataset.id === id)) || !active.isConnected) {
      target.focus();
    }
  }

  /** The current version of a signature (by its name, any state), or null when not found. */
  async function fetchCurrent(sig) {
    if (!sig.name) return null;
    const page = await searchSignatures(ctx.slug(), { q: sig.name }, { limit: BULK_MAX });
    return page.signatures.find((s) => s.id === sig.id) || null;
  }

  /** 409: the signature changed meanwhile. Refresh its row (or the list) and name it. */
  async function conflict(sig, action, err) {
    const who = sig.name || sig.id;
    let message = `“${who}” was not changed: ${errorText(err)}`;
    let target = result;
    try {
      const now = await fetchCurrent(sig);
      if (now) {
        target = place(now, action);
        message += ` It is ${(STATE[now.state] || now.state).toLowerCase()} now; its row was ${rows.has(now.id) ? "updated" : "removed from this list"}.`;
      } else if (await load()) {
        message += " The list was reloaded.";
      } else {
        message += " The list could not be refreshed: search again.";
      }
    } catch (e) {
      if (e.tokenRefused) return;
      message += " Its current state could not be loaded: search again.";
    }
    say(result, message, "error");
    refocus(target, sig.id);
    ctx.changed();
  }

  async function rowAction(id, action) {
    const sig = rows.get(id);
    if (!sig || busy || loading) return;
    const who = sig.name || id;
    let extra = {};
    if (DECISIONS[action]) { // a lookalike's decision: keep the first (reject) or approve
      if (action === "keep-first") extra = { reason: keepFirstReason(sig) };
      action = DECISIONS[action].action;
    } else if (action === "reject") {
      const reason = await ask({ title: "Reject this signature", text: who, label: "Reason (recorded in the audit trail)", confirm: "Reject" });
      if (reason === null) return;
      extra = { reason };
    } else if (action === "rename") {
      const name = await ask({ title: "Correct the name", text: `Now: ${who}`, label: "Corrected name", confirm: "Rename", value: sig.name || "", maxLength: 200 });
      if (name === null) return;
      if (name === sig.name) return;
      extra = { name };
    }
    if (busy || loading || !rows.has(id)) return; // the list moved on while the dialog was open
    setBusy(true);
    try {
      const after = await act(ctx.slug(), id, action, extra);
      const what = action === "rename" ? `Renamed “${who}” to “${after.name}”.` : `${DONE[action]}: “${who}”.`;
      setBusy(false);
      const target = place(after, action);
      say(result, what, "ok"); // announced by the live region; the focus stays in the rows
      refocus(target, id);
      ctx.changed();
    } catch (err) {
      if (err.tokenRefused) return;
      setBusy(false);
      if (err.status === 409) await conflict(sig, action, err);
      else say(result, `“${who}” was not changed: ${errorText(err)}`, "error");
    } finally {
      setBusy(false);
    }
  }

  async function bulkAction(action) {
    const ids = [...selected];
    if (!ids.length || busy || loading) return;
    const count = plural(ids.length, "signature", "signatures");
    const names = ids.slice(0, NAMED).map((id) => rows.get(id)?.name || id);
    const text = `${names.join(", ")}${ids.length > NAMED ? ` and ${ids.length - NAMED} more` : ""}.`;
    let reason;
    if (action === "reject") {
      reason = await ask({ title: `Reject ${count}`, text, label: "Reason (recorded in the audit trail)", confirm: `Reject ${ids.length}` });
      if (reason === null) return;
    } else {
      const yes = await ask({ title: `${ACTION[action]} ${count}?`, text, confirm: `${ACTION[action]} ${ids.length}` });
      if (yes === null) return;
    }
    if (busy || loading) return;
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
        if (changed) { setBusy(false); load(); ctx.changed(); }
      }
    } finally {
      setBusy(false);
    }
  }

  function setBusy(on) {
    if (busy === on) return;
    busy = on;
    updateSelection();
  }

  body.addEventListener("click", (ev) => {
    // A soft-disabled (focused) checkbox must not toggle.
    if (ev.target.type === "checkbox" && isDisabled(ev.target)) { ev.preventDefault(); return; }
    const b = ev.target.closest("button[data-action]");
    if (b && !isDisabled(b)) rowAction(b.dataset.id, b.dataset.action);
  });
  body.addEventListener("change", (ev) => {
    const box = ev.target;
    if (box.type !== "checkbox") return;
    if (box.checked) selected.add(box.dataset.id); else selected.delete(box.dataset.id);
    updateSelection();
  });
  selectAll.addEventListener("click", (ev) => { if (isDisabled(selectAll)) ev.preventDefault(); });
  selectAll.addEventListener("change", () => {
    selected = selectAll.checked ? new Set(rows.keys()) : new Set();
    body.querySelectorAll("input[type=checkbox]").forEach((b) => { b.checked = selectAll.checked; });
    updateSelection();
  });
  for (const b of bulkButtons) b.addEventListener("click", () => { if (!isDisabled(b)) bulkAction(b.dataset.bulk); });
  more.addEventListener("click", () => { if (!isDisabled(more) && !loading) load({ append: true }); });

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
      loading = false;
      body.removeAttribute("aria-busy");
      dropRows();
      shown = { filters, failed: false };
      more.hidden = true;
      say(result, "");
      caption();
      updateSelection();
    },
  };
}
