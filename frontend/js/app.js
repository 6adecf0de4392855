// The public page. "/" lists the open letters (or shows the only one); "/l/{slug}" shows
// one letter: text, live tally, signatories, sign-on form and share. Only body_html (the
// API's sanitised rendering of the letter's Markdown) is inserted as HTML.
import { getLetter, listLetters, ApiError } from "./api.js";
import { apply, mountSwitch, onChange, t } from "./i18n.js";
import { liveTally, tallyText } from "./tally.js";
import { signatoryList } from "./list.js";
import { signForm } from "./form.js";
import { shareWidget } from "./share.js";

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

function showLetter(letter) {
  document.title = `${letter.title} · Undersigned`;
  const lang = letter.language || "en";
  const title = $("l-title");
  title.lang = lang;
  title.textContent = letter.title;
  const article = $("letter");
  article.lang = lang;
  const date = document.createElement("time"); // made here: the served page has no empty <time>
  date.dateTime = letter.date;
  date.textContent = letterDate(letter.date, lang);
  $("l-date").replaceChildren(date);
  $("l-addressee").textContent = letter.addressee;
  $("l-subject").textContent = letter.subject || "";
  $("l-subject").hidden = !letter.subject;
  $("l-salutation").textContent = letter.salutation;
  $("l-body").innerHTML = letter.body_html; // sanitised by the API; the only HTML we insert
  $("l-closing").textContent = letter.closing;
  status(null);
  $("letter-view").hidden = false;

  const list = signatoryList($("signatories"), letter.slug, lang, letter.counts);
  let shown = letter.counts.total, body = letter.body_html;
  // A refresh must not disturb the reader: the text is replaced only when it changed (the
  // tally inside it moves), and the list is never reloaded under them, only offered anew.
  const tally = liveTally($("tally"), letter.slug, letter.counts, {
    onLetter: (fresh) => {
      if (fresh.body_html !== body) { body = fresh.body_html; $("l-body").innerHTML = body; }
      if (fresh.counts.total !== shown) { shown = fresh.counts.total; list.stale(); }
    },
  });
  signForm(letter);
  shareWidget(letter);
  const delivered = () => {
    const d = letter.delivered, note = $("delivered-note");
    note.hidden = !d;
    if (d) note.textContent = t("delivered", d.addressee, letterDate(d.date, lang), d.signatures);
  };
  delivered();
  onChange(() => { tally.render(); list.relabel(); delivered(); });
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
