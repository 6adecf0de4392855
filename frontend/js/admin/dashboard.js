// The letter's dashboard: sign-ons and confirmations over time (per hour for its first three
// days, per day after), by kind and by country, the confirmation rate and the queues. Drawn
// from GET /admin/letters/{slug}/dashboard (counters, never a scan of the signatures).
import { call } from "./api.js";
import { barChart } from "./chart.js";
import { $, el, errorText, say } from "./dom.js";
import { lang, t } from "./i18n.js";

const q = encodeURIComponent;
const NUM = new Intl.NumberFormat(lang === "ko" ? "ko-KR" : "en-GB");
const PCT = new Intl.NumberFormat(lang === "ko" ? "ko-KR" : "en-GB", { style: "percent", maximumFractionDigits: 1 });
const signed = (b) => b.signed_organisation + b.signed_individual;
const confirmed = (b) => b.confirmed_organisation + b.confirmed_individual;

function label(at, unit) {
  // "2026-12-01T10" (UTC hour) or "2026-12-01": shown in the organiser's time zone for hours
  const d = unit === "hour" ? new Date(`${at}:00:00Z`) : new Date(`${at}T00:00:00Z`);
  const opts = unit === "hour" ? { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
  return new Intl.DateTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", opts).format(d);
}

function stat(name, value, extra) {
  return el("div", { className: "stat" }, el("dt", { text: name }), el("dd", { text: value }),
    extra ? el("p", { className: "hint", text: extra }) : null);
}

function seriesTable(id, caption, buckets, unit) {
  const head = el("tr", {}, ...[unit === "hour" ? t("Hour") : t("Day"), t("Sign-ons"),
    t("Confirmations"), t("Organisations signed"), t("Individuals signed")]
    .map((h) => el("th", { scope: "col", text: h })));
  const rows = buckets.map((b) => el("tr", {}, el("th", { scope: "row", text: label(b.at, unit) }),
    ...[signed(b), confirmed(b), b.signed_organisation, b.signed_individual]
      .map((v) => el("td", { text: NUM.format(v) }))));
  return el("details", { className: "numbers" }, el("summary", { text: t("The numbers as a table") }),
    el("div", { className: "table-wrap", attrs: { role: "region", "aria-labelledby": `${id}-cap`, tabindex: "0" } },
      el("table", { className: "data", id }, el("caption", { id: `${id}-cap`, text: caption }),
        el("thead", {}, head), el("tbody", {}, ...rows))));
}

function chartBlock(id, heading, buckets, unit) {
  const labels = buckets.map((b) => b.at);
  const every = Math.max(1, Math.ceil(labels.length / 6));
  const s = buckets.reduce((a, b) => a + signed(b), 0), c = buckets.reduce((a, b) => a + confirmed(b), 0);
  const chart = barChart({
    id, title: heading,
    desc: t("{0} sign-ons and {1} confirmations in {2} bars; the table below has every value.",
      NUM.format(s), NUM.format(c), NUM.format(labels.length)),
    labels,
    series: [{ key: "signed", name: t("Sign-ons"), values: buckets.map(signed), style: "solid" },
      { key: "confirmed", name: t("Confirmations"), values: buckets.map(confirmed), style: "hatched" }],
    tick: (at, i) => (i % every === 0 ? label(at, unit) : ""),
  });
  return el("figure", { className: "chart-block" },
    el("figcaption", { className: "chart-h", text: heading }), chart,
    seriesTable(`${id}-table`, heading, buckets, unit));
}

function legend() {
  return el("ul", { className: "legend" },
    el("li", {}, el("span", { className: "swatch swatch-solid", attrs: { "aria-hidden": "true" } }), t("Sign-ons (solid)")),
    el("li", {}, el("span", { className: "swatch swatch-hatched", attrs: { "aria-hidden": "true" } }), t("Confirmations (striped)")));
}

function bar(percent) {
  const node = el("span", { className: "hbar", attrs: { "aria-hidden": "true" } });
  node.style.width = `${percent}%`; // CSSOM: allowed under style-src 'self' (an attribute is not)
  return node;
}

function countries(list) {
  if (!list.length) return el("p", { className: "hint", text: t("No listed signatures yet.") });
  const max = Math.max(...list.map((c) => c.listed));
  const names = new Intl.DisplayNames([lang === "ko" ? "ko" : "en"], { type: "region" });
  return el("table", { className: "data country-bars" },
    el("caption", { text: t("Listed signatures by country") }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("Country") }),
      el("th", { scope: "col", text: t("Listed") }))),
    el("tbody", {}, ...list.slice(0, 20).map((c) => el("tr", {},
      el("th", { scope: "row", text: names.of(c.country) || c.country }),
      el("td", {}, bar(Math.max(2, (c.listed / max) * 100)),
        el("span", { className: "hbar-n", text: NUM.format(c.listed) }))))));
}

function kinds(totals) {
  const row = (name, s, c) => el("tr", {}, el("th", { scope: "row", text: name }),
    el("td", { text: NUM.format(s) }), el("td", { text: NUM.format(c) }));
  return el("table", { className: "data" }, el("caption", { text: t("By kind, since the letter began") }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("Kind") }),
      el("th", { scope: "col", text: t("Sign-ons") }), el("th", { scope: "col", text: t("Confirmations") }))),
    el("tbody", {}, row(t("Organisation"), totals.signed_organisation, totals.confirmed_organisation),
      row(t("Individual"), totals.signed_individual, totals.confirmed_individual)));
}

/** A table that scrolls on its own on a narrow screen (the page never scrolls sideways). */
function scroll(table) {
  if (table.tagName !== "TABLE") return table;
  return el("div", { className: "table-wrap", attrs: { role: "region", tabindex: "0",
    "aria-label": table.caption?.textContent || "" } }, table);
}

export function dashboardPanel(ctx) {
  const out = $("dash-body"), status = $("dash-status");
  let seq = 0;

  async function load() {
    const slug = ctx.slug();
    if (!slug) return;
    const mine = ++seq;
    say(status, t("Loading the dashboard…"));
    try {
      const d = await call("GET", `/admin/letters/${q(slug)}/dashboard`);
      if (mine !== seq) return;
      const rate = d.confirmation_rate === null ? "—" : PCT.format(d.confirmation_rate);
      const facts = el("dl", { className: "stats" },
        stat(t("Sign-ons"), NUM.format(signed(d.totals))),
        stat(t("Confirmed"), NUM.format(confirmed(d.totals))),
        stat(t("Confirmation rate"), rate),
        stat(t("Listed"), NUM.format(d.counts.total)),
        stat(t("Withdrawn"), NUM.format(d.totals.withdrawn_organisation + d.totals.withdrawn_individual)),
        stat(t("Awaiting approval"), NUM.format(d.queues.awaiting_approval) + (d.queues.capped ? "+" : "")),
        stat(t("Quarantined"), NUM.format(d.queues.quarantined) + (d.queues.capped ? "+" : "")),
        stat(t("Mail delay"), t("{0} s", NUM.format(d.queues.mail_lag_seconds))));
      const blocks = [chartBlock("dash-hours", t("The first three days, per hour"), d.hours, "hour")];
      if (d.unit === "day") blocks.unshift(chartBlock("dash-days", t("Per day"), d.days, "day"));
      out.replaceChildren(facts, legend(), ...blocks,
        el("div", { className: "dash-grid" }, scroll(kinds(d.totals)), scroll(countries(d.countries))));
      say(status, "");
    } catch (err) {
      if (mine === seq && !err.tokenRefused) say(status, errorText(err), "error");
    }
  }

  $("dash-refresh").addEventListener("click", load);
  return { load, clear() { seq++; out.replaceChildren(); say(status, ""); } };
}
