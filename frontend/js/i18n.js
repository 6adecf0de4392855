// UI strings (English, Korean). The language comes from localStorage ("lang"), else
// navigator.languages, else English. The letter itself keeps its own language.
const KEY = "undersigned.lang";
export const LANGS = { en: "English", ko: "한국어" };

const S = {
  en: {
    site: "Undersigned", skip: "Skip to the letter", langLabel: "Language",
    footer: "Sign-on letters, published with the consent of every signatory. Email addresses are never shown.",
    loading: "Loading the letter…", loadFailed: "The letter could not be loaded. Please reload the page.",
    notFound: "There is no such letter.", letters: "Open letters", noLetters: "No letters are open for signatures right now.",
    closed: "Closed", open: "Open for signatures",
    signatories: "Signatories", groups: "Groups", individuals: "Individuals", none: "No signatories yet.",
    showMore: "Show more signatories", loadingMore: "Loading…",
    listFailed: "The signatories could not be loaded.", newSignatories: "New signatories: show",
    tally: (o, i, c) => `${n(o)} ${pl(o, "organisation", "organisations")} and ${n(i)} ${pl(i, "individual", "individuals")} from ${n(c)} ${pl(c, "country", "countries")}`,
    tallyLead: "Signed so far:", signJump: "Sign this letter",
    delivered: (who, date, sigs) => `Delivered to ${who} on ${date} with ${n(sigs)} ${pl(sigs, "signature", "signatures")}.`,
    signHeading: "Add your name", closedNote: "This letter is closed and no longer takes signatures.",
    kindLegend: "I am signing as", kindOrg: "an organisation", kindInd: "an individual",
    nameOrg: "Name of the organisation", nameInd: "Your full name",
    affiliation: "Title or affiliation (optional)", affiliationHint: "For identification only, e.g. “Professor, Seoul National University”.",
    country: "Country (optional)", countrySearch: "Search countries", countryNone: "— No country —",
    countryMatches: (k) => (k ? `${n(k)} ${pl(k, "country matches", "countries match")}` : "No country matches"),
    email: "Email address", emailHint: "Private: used only to send you a confirmation link. It is never shown or shared.",
    publicNote: "What will be public: the name, the title or affiliation and the country you give, printed under the letter.",
    publicNoteOrg: "What will be public: the organisation's name and country, printed under the letter.",
    approvalNote: "Organisations are listed after the organisers have checked them.",
    consent: "I agree that the name, title or affiliation and country above are published under this letter.",
    authorised: "I am authorised to sign on behalf of this organisation.",
    submit: "Sign the letter", sending: "Sending…",
    checkTitle: "Check your email",
    checkBody: "An email is on its way to the address you gave. Open the link in it to confirm your signature: your name is added only then. The link works for 72 hours.",
    queueSlow: "Many people are signing right now, so the email may take a few minutes.",
    resend: "Send the link again",
    resentAsked: "A new link has been asked for. If your first email has not arrived, check your spam folder too.",
    resendWait: (s) => `You can ask for another link in ${n(s)} ${pl(s, "second", "seconds")}.`,
    resendReady: "You can ask for another link now.",
    fixFields: "Please correct the marked fields.",
    e: {
      missing: "Please fill this in.", too_long: (m) => `This is too long: at most ${n(m)} characters.`,
      forbidden_characters: "This contains invisible or control characters. Please retype it.",
      formula_prefix: "This may not start with =, +, - or @.",
      contains_url: "Please leave out web addresses.", invalid_email: "Please enter a valid email address, e.g. name@example.org.",
      invalid_country: "Please choose a country from the list.",
      kind_not_allowed: "This letter takes signatures of the other kind only.",
      consent_required: "Please tick this box to agree to be listed.",
      authorisation_required: "Only someone authorised by the organisation may sign for it.",
      unknown_letter_version: "The letter has changed since this page was loaded. Reload it, read it again, and sign.",
      unknown_consent_version: "The consent text has changed since this page was loaded. Reload the page, read it again, and sign.",
      captcha_wait: "Please wait until the anti-robot check has finished, then try again.",
      captcha_load: "The anti-robot check could not be loaded. Check your connection and reload the page.",
      captcha_failed: "The anti-robot check failed. Please complete it again and resend.",
      invalid: "This value is not accepted.",
      letter_closed: "This letter is closed and no longer takes signatures.",
      too_many: (s) => s ? `Too many requests. Please wait ${n(s)} ${pl(s, "second", "seconds")} and try again.` : "Too many requests. Please wait a little and try again.",
      too_large: "What you entered is too long to send.",
      server: "Something went wrong on our side. Please try again later.",
      network: "The server could not be reached. Check your connection and try again.",
      generic: "The form could not be sent. Please reload the page and try again.",
      reference: "Reference:",
    },
    reload: "Reload the letter",
    share: "Share", copy: "Copy link", copied: "Link copied.", copyFailed: "Copy the link from the box.",
    shareNative: "Share…", embed: "Embed the counter on your site",
    embedHint: "Paste this HTML into your page:",
    embedSigned: "have signed", embedOpen: "Read and sign",
    signedThrough: (p, k) => `Signed through ${p}: ${n(k)}`,
    confirmTitle: "Confirming your signature",
    confirming: "Confirming…", cListed: "Thank you. Your signature is confirmed and now listed under the letter.",
    cAwaiting: "Thank you. Your signature is confirmed. The organisers will check it before it is listed.",
    cAlready: "This signature was already confirmed. Nothing more to do.",
    cAlreadyAwaiting: "This signature was already confirmed and is waiting for the organisers to check it.",
    cExpired: "This link has expired. Sign again to get a new one.",
    cWithdrawn: "This signature was withdrawn. To add your name again, sign the letter again.",
    cInvalid: "This link is not valid. Check that you copied all of it.",
    cRetry: "Try again", toLetter: "Go to the letter", toIndex: "See the open letters",
    wTitle: "Remove your signature",
    wAsk: "This takes your name off the letter and deletes the details you gave. You can sign again later if you wish.",
    wButton: "Remove my name from this letter", wWorking: "Removing…",
    wDone: "Your name has been removed from the letter and your details deleted.",
    wAlready: "Your name was already removed from this letter. Nothing more to do.",
    wLetter: "Letter:",
    wAfterDelivery: (to, date, k) => `Your name was withdrawn after the letter was delivered to ${to} on ${date} with ${n(k)} ${pl(k, "signature", "signatures")}; it remains on that delivered copy, and on no later one.`,
    uTitle: "Stop updates",
    uAsk: "The organisers of this letter send occasional updates to the signers who asked for them. This stops them for this letter. Your signature stays.",
    uButton: "Stop these updates", uWorking: "Stopping…",
    uDone: "Done: you will get no more updates about this letter. Your signature stays on it.",
    uAlready: "You had already stopped these updates. Nothing more to do.",
    orgBy: "Organised by", orgContact: "Contact", orgPrivacy: "Privacy notice",
    orgController: "Data controller",
    readIn: "Read this letter in:", authoritative: "authoritative",
    translationNote: (main) => `This is a translation. The ${main} text is authoritative; signing here signs this translation of it.`,
  },
  ko: {
    site: "Undersigned", skip: "서한 본문으로 건너뛰기", langLabel: "언어",
    footer: "모든 서명자의 동의를 받아 공개하는 연대 서한입니다. 이메일 주소는 공개되지 않습니다.",
    loading: "서한을 불러오는 중…", loadFailed: "서한을 불러오지 못했습니다. 페이지를 새로 고쳐 주세요.",
    notFound: "해당 서한이 없습니다.", letters: "공개 서한", noLetters: "현재 서명을 받는 서한이 없습니다.",
    closed: "마감됨", open: "서명 받는 중",
    signatories: "서명자", groups: "단체", individuals: "개인", none: "아직 서명자가 없습니다.",
    showMore: "서명자 더 보기", loadingMore: "불러오는 중…",
    listFailed: "서명자 목록을 불러오지 못했습니다.", newSignatories: "새 서명자: 보기",
    tally: (o, i, c) => `${n(c)}개국의 단체 ${n(o)}곳과 개인 ${n(i)}명`,
    tallyLead: "현재까지 서명:", signJump: "이 서한에 서명하기",
    delivered: (who, date, sigs) => `${date}에 서명 ${n(sigs)}개와 함께 ${who}에게 전달되었습니다.`,
    signHeading: "서명하기", closedNote: "이 서한은 마감되어 더 이상 서명을 받지 않습니다.",
    kindLegend: "서명 주체", kindOrg: "단체", kindInd: "개인",
    nameOrg: "단체 이름", nameInd: "성명",
    affiliation: "직함 또는 소속 (선택)", affiliationHint: "신원 확인용입니다. 예: “서울대학교 교수”.",
    country: "국가 (선택)", countrySearch: "국가 검색", countryNone: "— 국가 선택 안 함 —",
    countryMatches: (k) => (k ? `일치하는 국가 ${n(k)}개` : "일치하는 국가가 없습니다"),
    email: "이메일 주소", emailHint: "비공개: 확인 링크를 보내는 데만 사용하며, 공개하거나 공유하지 않습니다.",
    publicNote: "공개되는 정보: 입력하신 이름, 직함 또는 소속, 국가가 서한 아래에 게재됩니다.",
    publicNoteOrg: "공개되는 정보: 단체 이름과 국가가 서한 아래에 게재됩니다.",
    approvalNote: "단체 서명은 주최 측 확인 후 게재됩니다.",
    consent: "위의 이름, 직함 또는 소속, 국가가 이 서한 아래에 게재되는 데 동의합니다.",
    authorised: "본인은 이 단체를 대표하여 서명할 권한이 있습니다.",
    submit: "서명하기", sending: "보내는 중…",
    checkTitle: "이메일을 확인해 주세요",
    checkBody: "입력하신 주소로 이메일을 보내는 중입니다. 메일의 링크를 열어 서명을 확인해 주세요. 확인해야 이름이 추가됩니다. 링크는 72시간 동안 유효합니다.",
    queueSlow: "지금 서명하는 분이 많아 이메일이 도착하기까지 몇 분 걸릴 수 있습니다.",
    resend: "링크 다시 보내기",
    resentAsked: "새 링크를 요청했습니다. 첫 이메일이 오지 않았다면 스팸 메일함도 확인해 주세요.",
    resendWait: (s) => `${n(s)}초 후에 링크를 다시 요청할 수 있습니다.`,
    resendReady: "이제 링크를 다시 요청할 수 있습니다.",
    fixFields: "표시된 항목을 고쳐 주세요.",
    e: {
      missing: "이 항목을 입력해 주세요.", too_long: (m) => `너무 깁니다. 최대 ${n(m)}자까지 입력할 수 있습니다.`,
      forbidden_characters: "보이지 않는 문자나 제어 문자가 들어 있습니다. 다시 입력해 주세요.",
      formula_prefix: "=, +, -, @ 로 시작할 수 없습니다.",
      contains_url: "웹 주소는 빼 주세요.", invalid_email: "올바른 이메일 주소를 입력해 주세요. 예: name@example.org",
      invalid_country: "목록에서 국가를 선택해 주세요.",
      kind_not_allowed: "이 서한은 다른 유형의 서명만 받습니다.",
      consent_required: "게재에 동의하시려면 이 칸을 선택해 주세요.",
      authorisation_required: "단체를 대표할 권한이 있는 분만 서명할 수 있습니다.",
      unknown_letter_version: "페이지를 연 뒤 서한 내용이 바뀌었습니다. 새로 고쳐 다시 읽은 뒤 서명해 주세요.",
      unknown_consent_version: "페이지를 연 뒤 동의 문구가 바뀌었습니다. 새로 고쳐 다시 읽은 뒤 서명해 주세요.",
      captcha_wait: "자동 입력 방지 확인이 끝날 때까지 기다린 뒤 다시 시도해 주세요.",
      captcha_load: "자동 입력 방지 확인을 불러오지 못했습니다. 인터넷 연결을 확인하고 페이지를 새로 고쳐 주세요.",
      captcha_failed: "자동 입력 방지 확인에 실패했습니다. 다시 확인한 뒤 보내 주세요.",
      invalid: "받아들일 수 없는 값입니다.",
      letter_closed: "이 서한은 마감되어 더 이상 서명을 받지 않습니다.",
      too_many: (s) => s ? `요청이 너무 많습니다. ${n(s)}초 후에 다시 시도해 주세요.` : "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
      too_large: "입력한 내용이 너무 길어 보낼 수 없습니다.",
      server: "서버에 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.",
      network: "서버에 연결할 수 없습니다. 인터넷 연결을 확인하고 다시 시도해 주세요.",
      generic: "양식을 보내지 못했습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.",
      reference: "참조 번호:",
    },
    reload: "서한 새로 고치기",
    share: "공유", copy: "링크 복사", copied: "링크를 복사했습니다.", copyFailed: "상자에서 링크를 복사해 주세요.",
    shareNative: "공유…", embed: "내 사이트에 서명 현황 넣기",
    embedHint: "다음 HTML을 페이지에 붙여 넣으세요:",
    embedSigned: "서명", embedOpen: "읽고 서명하기",
    signedThrough: (p, k) => `${p}을(를) 통해 서명: ${n(k)}`,
    confirmTitle: "서명 확인",
    confirming: "확인하는 중…", cListed: "감사합니다. 서명이 확인되어 서한 아래에 게재되었습니다.",
    cAwaiting: "감사합니다. 서명이 확인되었습니다. 주최 측 확인 후 게재됩니다.",
    cAlready: "이미 확인된 서명입니다. 더 하실 일은 없습니다.",
    cAlreadyAwaiting: "이미 확인된 서명이며, 주최 측 확인을 기다리고 있습니다.",
    cExpired: "링크가 만료되었습니다. 다시 서명하시면 새 링크를 받으실 수 있습니다.",
    cWithdrawn: "철회된 서명입니다. 다시 이름을 올리시려면 서한에 다시 서명해 주세요.",
    cInvalid: "유효하지 않은 링크입니다. 링크 전체를 복사했는지 확인해 주세요.",
    cRetry: "다시 시도", toLetter: "서한으로 가기", toIndex: "공개 서한 보기",
    wTitle: "서명 철회",
    wAsk: "서한에서 이름을 빼고 입력하신 정보를 삭제합니다. 원하시면 나중에 다시 서명할 수 있습니다.",
    wButton: "이 서한에서 내 이름 빼기", wWorking: "처리하는 중…",
    wDone: "서한에서 이름을 뺐으며 입력하신 정보를 삭제했습니다.",
    wAlready: "이미 서한에서 이름을 뺐습니다. 더 하실 일은 없습니다.",
    wLetter: "서한:",
    wAfterDelivery: (to, date, k) => `서한이 ${date}에 서명 ${n(k)}개와 함께 ${to}에게 전달된 뒤에 이름을 뺐습니다. 전달된 그 사본에는 이름이 남아 있으며, 이후의 사본에는 없습니다.`,
    uTitle: "소식 그만 받기",
    uAsk: "이 서한의 주최 측은 소식을 받겠다고 한 서명자에게 가끔 소식을 보냅니다. 이 서한의 소식을 그만 받습니다. 서명은 그대로 남습니다.",
    uButton: "소식 그만 받기", uWorking: "처리하는 중…",
    uDone: "이 서한에 관한 소식을 더 이상 보내지 않습니다. 서명은 그대로 남습니다.",
    uAlready: "이미 소식을 그만 받기로 하셨습니다. 더 하실 일은 없습니다.",
    orgBy: "주최", orgContact: "문의", orgPrivacy: "개인정보 처리방침",
    orgController: "개인정보 처리 책임자",
    readIn: "다른 언어로 읽기:", authoritative: "원문",
    translationNote: (main) => `번역본입니다. ${main} 원문이 공식 문안이며, 여기서 서명하면 이 번역본에 서명하게 됩니다.`,
  },
};

let lang = pick();
const listeners = [];

function n(x) { return new Intl.NumberFormat(lang).format(x); }
function pl(x, one, many) { return new Intl.PluralRules("en").select(x) === "one" ? one : many; }

function pick() {
  let saved = null;
  try { saved = localStorage.getItem(KEY); } catch { /* storage may be disabled */ }
  if (saved && S[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const base = String(l).toLowerCase().split("-")[0];
    if (S[base]) return base;
  }
  return "en";
}

export function getLang() { return lang; }

/** A UI string; functions are called with the extra arguments. */
export function t(key, ...args) {
  const path = key.split(".");
  let v = S[lang], fb = S.en;
  for (const p of path) { v = v && v[p]; fb = fb && fb[p]; }
  if (v === undefined) v = fb;
  return typeof v === "function" ? v(...args) : v;
}

/** A string in a given language (the letter's), falling back to English. */
export function tIn(language, key, ...args) {
  const saved = lang;
  lang = S[language] ? language : "en";
  try { return t(key, ...args); } finally { lang = saved; }
}

export function onChange(fn) { listeners.push(fn); }

export function setLang(l) {
  if (!S[l]) return;
  lang = l;
  try { localStorage.setItem(KEY, l); } catch { /* ignore */ }
  apply();
  listeners.forEach((fn) => fn(l));
}

/** Fill every [data-i18n] element, and <html lang>. */
export function apply(root = document) {
  document.documentElement.lang = lang;
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-label]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.i18nLabel)); });
  root.querySelectorAll("[data-i18n-ph]").forEach((el) => { el.placeholder = t(el.dataset.i18nPh); });
}

/** The visible language switch: one button per language, aria-pressed marks the current one. */
export function mountSwitch(container) {
  container.replaceChildren();
  for (const [code, label] of Object.entries(LANGS)) {
    const b = document.createElement("button");
    b.type = "button";
    b.lang = code;
    b.textContent = label;
    b.className = "lang-btn";
    b.setAttribute("aria-pressed", String(code === lang));
    b.addEventListener("click", () => setLang(code));
    container.append(b);
  }
  onChange((l) => container.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.lang === l))));
}
