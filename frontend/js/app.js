// The public page. "/" lists the open letters (or shows the only one); "/l/{slug}" shows
// one letter: text, live tally, signatories, sign-on form and share. Only body_html (the
// API's sanitised rendering of the letter's Markdown) is inserted as HTML.
import { getLetter, listLetters, ApiError } from "./api.js";
import { apply, getLang, LANGS, mountSwitch, onChange, t } from "./i18n.js";
import { liveTally, tallyText } from "./tally.js";
import { signatoryList } from "./list.js";
import { signForm } from "./form.js";
import { shareWidget } from "./share.js";
import { showOrganisers } from "./organisers.js";
import { partnerLink } from "./partner.js";

const $ = (id) => document.getElementById(id);
let statusKey = "loading";

function status(key) {
  statusKey = key;
  $("status").hidden = !key;
  if (key) $("status").textContent = t(key);
  $("skeleton").hidden = key !== "loading";
}

function letterDate(iso, language) {
  const lang = language === "en" ? "en-GB" : language;
  try {
    return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "UTC" }).format(new Date(`${iso}T00:00:00Z`));
  } catch { return iso; }
}

/** The text to show: the translation in `lang` when there is one, else the letter's own. */
const versionIn = (letter, lang) => (letter.translations || []).find((x) => x.language === lang && lang !== letter.language) || letter;

function showText(letter, text) {
  document.title = `${text.title} · Undersigned`;
  const lang = text.language || "en";
  const title = $("l-title");
  title.lang = lang;
  title.textContent = text.title;
  const article = $("letter");
  article.lang = lang;
  const date = document.createElement("time"); // made here: the served page has no empty <time>
  date.dateTime = letter.date;
  date.textContent = letterDate(letter.date, lang);
  $("l-date").replaceChildren(date);
  $("l-addressee").textContent = text.addressee;
  $("l-subject").textContent = text.subject || "";
  $("l-subject").hidden = !text.subject;
  $("l-salutation").textContent = text.salutation;
  $("l-body").innerHTML = text.body_html; // sanitised by the API; the only HTML we insert
  $("l-closing").textContent = text.closing;
}

/** "Read this letter in: English (authoritative) · 한국어", and what a translation is. */
function showSwitch(letter, text, pick) {
  const node = $("l-translations");
  node.replaceChildren();
  node.hidden = !(letter.translations || []).length;
  if (node.hidden) return;
  node.append(`${t("readIn")} `);
  [letter, ...letter.translations].forEach((v, i) => {
    if (i) node.append(" · ");
    const name = `${LANGS[v.language] || v.language}${v === letter ? ` (${t("authoritative")})` : ""}`;
    if (v === text) {
      const cur = document.createElement("strong");
      cur.textContent = name;
      cur.setAttribute("aria-current", "true");
      node.append(cur);
    } else {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "link-btn";
      b.lang = v.language;
      b.textContent = name;
      b.addEventListener("click", () => pick(v));
      node.append(b);
    }
  });
  if (text !== letter) {
    const note = document.createElement("span");
    note.className = "translation-note";
    note.textContent = ` ${t("translationNote", LANGS[letter.language] || letter.language)}`;
    node.append(note);
  }
}

function showLetter(letter) {
  const lang = letter.language || "en";
  // What the form signs is the text on the screen: its hash follows the switch.
  const reading = { ...letter };
  let text = versionIn(letter, getLang());
  const pick = (v) => {
    text = v;
    reading.text_sha256 = v.text_sha256;
    showText(letter, v);
    showSwitch(letter, v, pick);
  };
  pick(text);
  showOrganisers($("l-organisers"), letter.organisers);
  status(null);
  $("letter-view").hidden = false;

  const list = signatoryList($("signatories"), letter.slug, lang, letter.counts);
  let shown = letter.counts.total;
  // A refresh must not disturb the reader: the text is replaced only when it changed (the
  // tally inside it moves), and the list is never reloaded under them, only offered anew.
  const tally = liveTally($("tally"), letter.slug, letter.counts, {
    onLetter: (fresh) => {
      const now = text === letter ? fresh : (fresh.translations || []).find((x) => x.language === text.language);
      if (now && now.body_html !== text.body_html) { text.body_html = now.body_html; $("l-body").innerHTML = now.body_html; }
      if (fresh.counts.total !== shown) { shown = fresh.counts.total; list.stale(); }
    },
  });
  signForm(reading, { extra: partnerLink(letter) });
  shareWidget(letter);
  const delivered = () => {
    const d = letter.delivered, note = $("delivered-note");
    note.hidden = !d;
    if (d) note.textContent = t("delivered", d.addressee, letterDate(d.date, lang), d.signatures);
  };
  delivered();
  onChange((l) => {
    tally.render(); list.relabel(); showOrganisers($("l-organisers"), letter.organisers);
    pick(versionIn(letter, l)); delivered();
  });
  if (location.hash === "#sign") requestAnimationFrame(() => $("sign").scrollIntoView());
}

function showIndex(letters) {
  status(null);
  const ul = $("letter-list");
  const render = () => {
    ul.replaceChildren();
    if (!letters.length) {
      const li = document.createElement("li");
      li.textContent = t("noLetters");
      ul.append(li);
    }
    for (const l of letters) {
      const li = document.createElement("li");
      li.className = "card";
      const a = document.createElement("a");
      a.href = `/l/${encodeURIComponent(l.slug)}`;
      a.lang = l.language;
      a.textContent = l.title;
      const h = document.createElement("h2");
      h.append(a);
      const meta = document.createElement("p");
      meta.className = "hint";
      meta.textContent = `${l.status === "open" ? t("open") : t("closed")} · ${tallyText(l.counts)}`;
      li.append(h, meta);
      ul.append(li);
    }
  };
  render();
  onChange(render);
  $("index").hidden = false;
}

async function main() {
  mountSwitch($("lang-switch"));
  apply();
  onChange(() => { if (statusKey) status(statusKey); });
  const m = location.pathname.match(/^\/l\/([a-z0-9-]+)\/?$/);
  try {
    if (m) {
      showLetter(await getLetter(m[1]));
      return;
    }
    const { letters } = await listLetters();
    const open = letters.filter((l) => l.status === "open");
    if (open.length === 1 || letters.length === 1) {
      showLetter(await getLetter((open[0] || letters[0]).slug));
    } else {
      showIndex(open.length ? open : letters);
    }
  } catch (err) {
    status(err instanceof ApiError && err.status === 404 ? "notFound" : "loadFailed");
  }
}

main();
