// Checking the counts: a recount job reads every signature and compares the counters the
// public page shows; drift can then be repaired (a second job, with fix). Moderators and up.
import { recount } from "./api.js";
import { follow, progressView } from "./jobs.js";
import { $, errorText, isDisabled, say, setDisabled } from "./dom.js";
import { t } from "./i18n.js";

const n = (x) => Number(x || 0).toLocaleString("en");
const NAMES = { n_organisation: "organisations", n_individual: "individuals", per_shard: "per-shard counters" };

/** The drift, in words: "individuals +3, organisations −1, country KR +2". */
export function driftText(drift) {
  return Object.entries(drift).sort().map(([k, v]) => {
    const what = NAMES[k] ? t(NAMES[k]) : k.startsWith("c_") ? t("country {0}", k.slice(2) || "—") : k;
    return `${what} ${v > 0 ? "+" : "−"}${n(Math.abs(v))}`;
  }).join(", ");
}

export function recountPanel(ctx) {
  const run = $("recount-run"), fix = $("recount-fix"), status = $("recount-status");

  async function go(repair) {
    if (isDisabled(run) || isDisabled(fix)) return;
    [run, fix].forEach((b) => setDisabled(b, true));
    say(status, repair ? "Repairing the counts…" : "Recounting…");
    const view = progressView("Progress of the recount");
    try {
      const job = await recount(ctx.slug(), repair);
      status.after(view.node);
      const r = (await follow(ctx.slug(), job, view.update)).result;
      const listed = r.recounted;
      const counted = t("{0} listed — organisations {1}, individuals {2}, countries {3}",
        n(listed.total), n(listed.organisations), n(listed.individuals), n(listed.countries));
      const drift = Object.keys(r.drift).length || Object.keys(r.partners || {}).length;
      if (r.fixed) {
        say(status, t("Repaired: the counts now match the signatures, {0}.", counted), "ok");
        ctx.changed();
      } else if (drift) {
        const partners = Object.keys(r.partners || {}).length;
        say(status, t("The counts have drifted from the signatures: {0}. Recounted: {1}.",
          driftText(r.drift) + (partners ? `; ${t("partners")} ${partners}` : ""), counted), "error");
      } else {
        say(status, t("The counts match the signatures: {0}.", counted), "ok");
      }
      fix.hidden = !drift || r.fixed;
    } catch (err) {
      if (!err.tokenRefused) say(status, errorText(err), "error");
    } finally {
      view.node.remove();
      [run, fix].forEach((b) => setDisabled(b, false));
    }
  }
  run.addEventListener("click", () => go(false));
  fix.addEventListener("click", () => go(true));
  return { load() {}, clear() { say(status, ""); fix.hidden = true; } };
}
