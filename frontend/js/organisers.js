// "Organised by …": who is behind a letter, as its organisers gave it (the API's `organisers`).
// A letter without them names no one: this draws nothing, never a made-up identity.
import { t } from "./i18n.js";

/** Fill `node` with the organisers' name, contact, privacy notice and data controller. */
export function showOrganisers(node, org) {
  node.replaceChildren();
  node.hidden = !org;
  if (!org) return;
  const strong = document.createElement("strong");
  strong.textContent = org.name;
  const mail = document.createElement("a");
  mail.href = `mailto:${org.contact_email}`;
  mail.textContent = org.contact_email;
  const privacy = document.createElement("a");
  privacy.href = org.privacy_url;
  privacy.rel = "noopener";
  privacy.textContent = t("orgPrivacy");
  node.append(`${t("orgBy")}: `, strong, ` · ${t("orgContact")}: `, mail, " · ", privacy,
    ` · ${t("orgController")}: ${org.controller}`);
}
