// A partner's link (/l/{slug}?via={code}): the code goes with the sign-on, the partner's own
// consent ("{partner} may contact me about this letter", optional) is offered beside the main
// one, and "Signed through {partner}: N" is shown when the lead organiser made it public.
// An unknown code changes nothing on the page. Text from the API is set with textContent.
import { getPartner } from "./api.js";
import { getLang, onChange, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
export const CODE = /^[a-z0-9]{2,16}$/; // models.PARTNER_CODE

/** The partner code of this page's address, or null. */
export function viaCode() {
  const code = new URLSearchParams(location.search).get("via");
  return code && CODE.test(code) ? code : null;
}

/**
 * Look the partner up and show its consent and count; returns extra() for the sign-on
 * body ({} until the partner is known).
 */
export function partnerLink(letter) {
  const code = viaCode();
  let partner = null;
  const render = () => {
    if (!partner) return;
    const row = $("row-partner");
    $("f-partner-label").textContent = partner.consent[getLang()] || partner.consent.en;
    row.hidden = false;
    $("f-partner").disabled = false;
    const note = $("partner-note");
    note.hidden = partner.signed_through === null || partner.signed_through === undefined;
    if (!note.hidden) note.textContent = t("signedThrough", partner.name, partner.signed_through);
  };
  if (code) {
    getPartner(letter.slug, code).then((p) => { partner = p; render(); }, () => { /* unknown: the plain page */ });
    onChange(render);
  }
  return () => (partner ? { via: partner.code, partner_consent: $("f-partner").checked } : code ? { via: code } : {});
}
