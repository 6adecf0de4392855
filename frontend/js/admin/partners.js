// Partners of a coalition letter: the lead organiser's panel (add a partner, each partner's
// link, embed, figures, export and staff token), and the page a partner's own token sees
// (its figures and export only). Every value from the API is written with textContent.
import { addPartner, exportPartner, getPartner, listPartners, partnerToken } from "./api.js";
import { $, el, errorText, say } from "./dom.js";

function figuresText(f) {
  const days = Object.entries(f.by_day).map(([d, n]) => `${d}: ${n}`).join(", ");
  return `${f.signed} signed through the link, ${f.confirmed} confirmed; listed now: ${f.listed.organisations} organisations, ${f.listed.individuals} individuals, ${f.listed.countries} countries${days ? `. By day: ${days}` : ""}.`;
}

async function download(out, slug, code, includeEmail) {
  say(out, "Writing the export…");
  try {
    const r = await exportPartner(slug, code, includeEmail);
    const a = el("a", { href: r.url, text: "Download the CSV", attrs: { rel: "noreferrer" } });
    out.replaceChildren(a, ` (${r.size} bytes; the link expires in ${Math.round(r.expires_in / 60)} minutes)`);
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
    el("h3", { text: `${p.name} (${p.code})${p.country ? ` · ${p.country}` : ""}` }),
    el("p", { className: "figures", text: figuresText(p.figures) }),
    el("p", {}, "Link: ", el("code", { className: "share-link", text: p.share_link })),
    el("p", {}, "Embed: ", el("code", { className: "embed", text: p.embed })),
    el("p", { className: "hint", text: `${p.may_download ? "May" : "May not"} download names and emails of consenting referrals; count ${p.public_count ? "shown" : "not shown"} on its link.` }),
    el("div", { className: "actions" },
      button("Export CSV", () => download(out, ctx.slug(), p.code, false)),
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
    $("partner-view-h").textContent = `${p.name}: your referrals`;
    $("partner-view-figures").textContent = figuresText(p.figures);
    $("partner-view-link").textContent = p.share_link;
    const b = $("partner-view-export");
    b.hidden = !p.may_download;
    b.onclick = () => download(out, slug, code, false); // names: emails only by the export job
  } catch (err) { if (!err.tokenRefused) say(out, errorText(err), "error"); }
  $("partner-view-h").focus();
}
