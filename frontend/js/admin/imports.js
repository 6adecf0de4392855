// The import panel: a CSV or XLSX of sign-ons collected elsewhere, a column mapping, a dry
// run that reports every row (nothing stored), then "Import" for the same file and mapping.
// Every value from the file or the API is written with textContent.
import { importFile } from "./api.js";
import { $, el, errorText, isDisabled, plural, say, setDisabled } from "./dom.js";

const FIELDS = ["name", "kind", "affiliation", "country", "email"];
const GROUPS = { invalid: "Not imported", duplicates: "Duplicates (not imported)", neutralised: "Formula signs removed", lookalikes: "Held as lookalikes" };

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The first row of a CSV, for the mapping's suggestions (quotes handled simply). */
function csvHeaders(text) {
  const line = text.replace(/^\ufeff/, "").split(/\r?\n/, 1)[0] || "";
  return line.split(",").map((h) => h.trim().replace(/^"(.*)"$/, "$1")).filter(Boolean);
}

export function importsPanel(ctx) {
  const form = $("import-form"), file = $("import-file"), out = $("import-result");
  const list = $("import-report"), apply = $("import-apply"), datalist = $("import-headers");
  let checked = null; // the request of the last good dry run: "Import" sends exactly it
  let busy = false;

  function stale() { checked = null; setDisabled(apply, true); apply.textContent = "Import"; }

  async function request() {
    const f = file.files[0];
    if (!f) return { error: "Choose a CSV or XLSX file.", field: file };
    const mapping = {};
    for (const name of FIELDS) {
      const v = form.elements[`map-${name}`].value.trim();
      if (v) mapping[name] = v;
    }
    if (!mapping.name) return { error: "Name the column of the names.", field: form.elements["map-name"] };
    const source = form.elements.source.value.trim();
    if (!source) return { error: "Say where these sign-ons were collected (e.g. “email, 2020-02-20” or “paper”).", field: form.elements.source };
    const body = { format: /\.xlsx$/i.test(f.name) ? "xlsx" : "csv", content: base64(await f.arrayBuffer()),
      mapping, source, notify: form.elements.notify.checked };
    if (form.elements.default_kind.value) body.default_kind = form.elements.default_kind.value;
    return { body };
  }

  function show(report) {
    const done = report.dry_run
      ? `Dry run: ${plural(report.rows, "row", "rows")} read; ${report.accepted} would be listed, ${report.held} held for review. Nothing was stored.`
      : `Imported: ${report.added} stored (${report.accepted} listed, ${report.held} held for review)${report.notified ? `; ${report.notified} will be told by email` : ""}.`;
    list.replaceChildren();
    for (const [group, title] of Object.entries(GROUPS)) {
      for (const i of report[group]) {
        const where = `Row ${i.row}${i.column ? `, column ${i.column}` : ""}`;
        // the match ("row 2: <name>" or a name on the letter): the name is never translated (i18n.js)
        const [, row, name] = /^(row \d+)(?::\s*([\s\S]*))?$/.exec(i.match || "") || [null, null, i.match];
        list.append(el("li", { dataset: { group, row: String(i.row) } },
          el("strong", { text: `${title}: ` }), `${where}: `, i.message,
          ...(i.match ? [" (", row, row && name ? ": " : null,
            name ? el("span", { text: name, attrs: { translate: "no" } }) : null, ")"] : [])));
      }
    }
    return done;
  }

  async function send(dryRun) {
    if (busy) return;
    const r = dryRun ? await request() : { body: checked };
    if (r.error) { say(out, r.error, "error"); r.field.focus(); return; }
    busy = true;
    setDisabled($("import-dry"), true);
    setDisabled(apply, true);
    say(out, dryRun ? "Checking the file…" : "Importing…");
    try {
      const report = await importFile(ctx.slug(), { ...r.body, dry_run: dryRun });
      say(out, show(report), "ok");
      if (dryRun && report.accepted + report.held > 0) {
        checked = r.body;
        apply.textContent = `Import ${plural(report.accepted + report.held, "row", "rows")}`;
        setDisabled(apply, false);
      } else {
        stale();
      }
      if (!dryRun) ctx.changed({ queue: true });
    } catch (err) {
      if (!err.tokenRefused) { list.replaceChildren(); say(out, errorText(err), "error"); }
      stale();
    } finally {
      busy = false;
      setDisabled($("import-dry"), false);
    }
  }

  file.addEventListener("change", async () => {
    stale();
    datalist.replaceChildren();
    const f = file.files[0];
    if (f && !/\.xlsx$/i.test(f.name)) {
      const headers = csvHeaders(await f.slice(0, 4096).text());
      datalist.replaceChildren(...headers.map((h) => el("option", { value: h })));
    }
  });
  form.addEventListener("input", (ev) => { if (ev.target !== file) stale(); });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); send(true); });
  apply.addEventListener("click", () => { if (!isDisabled(apply) && checked) send(false); });
  stale();
  return { clear() { stale(); list.replaceChildren(); say(out, ""); form.reset(); } };
}
