// Partners of a coalition letter: the lead organiser's panel (add a partner, each partner's
// link, embed, figures, export and staff token), and the page a partner's own token sees
// (its figures and export only). Every value from the API is written with textContent.
import { addPartner, exportPartner, getPartner, getPartnerExport, listPartners, partnerToken } from "./api.js";
import { follow, progressView } from "./jobs.js";
import { $, el, errorText, formatSize, say, srOnly } from "./dom.js";

function figuresText(f) {
  const days = Object.entries(f.by_day).map(([d, n]) => `${d}: ${n}`).join(", ");
  return `${f.signed} signed through the link, ${f.confirmed} confirmed; listed now: ${f.listed.organisations} organisations, ${f.listed.individuals} individuals, ${f.listed.countries} countries${days ? `. By day: ${days}` : ""}.`;
}

// The export is a job on the job worker (which alone opens addresses): its progress, then
// its link. `body`: include_email, consenting_only (the lead's; a partner's token always is).
async function download(out, slug, code, body, label) {
  const view = progressView(`Progress of the ${label}`);
  out.replaceChildren(view.node);
  try {
    const job = await exportPartner(slug, code, body);
    const r = (await follow(slug, job, view.update, { get: (id) => getPartnerExport(slug, code, id) })).result;
    const file = r.key.split("/").pop();
    const a = el("a", { href: r.url, download: file, target: "_blank", rel: "noopener noreferrer" },
      `Download the ${label}`, srOnly(" (opens in a new tab)"));
    out.replaceChildren(a, el("span", { className: "hint", text: ` ${file}, ${formatSize(r.size)}; the link expires in ${Math.round(r.expires_in / 60)} minutes` }));
    a.focus();
  } catch (err) {
    if (!err.tokenRefused) say(out, errorText(err), "error");
  }
}

function partnerCard(ctx, p) {
  const out = el("p", { className: "result", attrs: { role: "status", "aria-live": "polite" } });
  const token = el("p", { className: "result" });
  const button = (text, onClick, extra = {}) => {
    const b = el("button", { type: "button", className: "btn btn-small", text, ...extra });
    b.addEventListener("click", onClick);
    return b;
  };
  return el("li", { className: "card partner", dataset: { code: p.code } },
    el("h3", { text: `${p.name} (${p.code})${p.country ? ` · ${p.country}` : ""}`, attrs: { translate: "no" } }),
    el("p", { className: "figures", text: figuresText(p.figures) }),
    el("p", {}, "Link: ", el("code", { className: "share-link", text: p.share_link })),
    el("p", {}, "Embed: ", el("code", { className: "embed", text: p.embed })),
    el("p", { className: "hint", text: `${p.may_download ? "May" : "May not"} download names and emails of consenting referrals; count ${p.public_count ? "shown" : "not shown"} on its link.` }),
    el("div", { className: "actions" },
      button("Export CSV", () => download(out, ctx.slug(), p.code, {}, "CSV")),
      button("With emails", () => download(out, ctx.slug(), p.code, { include_email: true }, "CSV with emails")),
      button("As the partner gets it", () => download(out, ctx.slug(), p.code,
        { include_email: true, consenting_only: true }, "CSV of consenting referrals with emails")),
      button("Issue a token for its staff", async () => {
        try {
          const t = await partnerToken(ctx.slug(), p.code, `${p.name} staff`);
          token.replaceChildren("Token (shown once; it sees only this partner): ", el("code", { text: t.token }));
        } catch (err) { if (!err.tokenRefused) say(token, errorText(err), "error"); }
      })),
    out, token);
}

/** The lead organiser's panel. */
export function partnersPanel(ctx) {
  const list = $("partner-list"), form = $("partner-form"), out = $("partner-result");
  async function load() {
    const mine = ctx.slug();
    try {
      const r = await listPartners(mine);
      if (mine !== ctx.slug()) return;
      list.replaceChildren(...r.partners.map((p) => partnerCard(ctx, p)));
      if (!r.partners.length) list.append(el("li", { className: "hint", text: "No partners yet." }));
    } catch (err) { if (!err.tokenRefused) say(out, errorText(err), "error"); }
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const body = { name: f.name.value.trim(), code: f.code.value.trim().toLowerCase(),
      may_download: f.may_download.checked, public_count: f.public_count.checked };
    if (f.country.value.trim()) body.country = f.country.value.trim().toUpperCase();
    try {
      const p = await addPartner(ctx.slug(), body);
      say(out, `Added ${p.name}: its link is ${p.share_link}`, "ok");
      form.reset();
      load();
    } catch (err) { if (!err.tokenRefused) say(out, errorText(err), "error"); }
  });
  return { load, clear() { list.replaceChildren(); say(out, ""); } };
}

/** What a partner's own token sees: its figures and export, nothing else. */
export async function partnerView(me) {
  const [slug, code] = me.partner.split("/");
  $("signin-view").hidden = true;
  $("session-bar").hidden = false;
  $("workspace").hidden = true;
  const view = $("partner-view");
  view.hidden = false;
  const out = $("partner-view-result");
  try {
    const p = await getPartner(slug, code);
    $("partner-view-h").replaceChildren(el("span", { text: p.name, attrs: { translate: "no" } }), ": your referrals");
    $("partner-view-figures").textContent = figuresText(p.figures);
    $("partner-view-link").textContent = p.share_link;
    const b = $("partner-view-export");
    b.hidden = !p.may_download;
    // the names and emails of its referrals who ticked its consent (the job worker opens them)
    b.onclick = () => download(out, slug, code, { include_email: true }, "CSV of your consenting referrals");
  } catch (err) { if (!err.tokenRefused) say(out, errorText(err), "error"); }
  $("partner-view-h").focus();
}
