// ISO 3166-1 alpha-2 codes (as the API accepts them); names come from Intl.DisplayNames (CLDR).
import { LANGS } from "./i18n.js";

const CODES = ("AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW").split(" ");

export const isCountry = (code) => CODES.includes(code);

const cache = {};
export function countryName(code, lang) {
  if (!code) return "";
  try {
    cache[lang] = cache[lang] || new Intl.DisplayNames([lang, "en"], { type: "region" });
    return cache[lang].of(code) || code;
  } catch { return code; }
}

const fold = (s) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();

// Names people search by that CLDR's do not contain, in English and Korean: CLDR says
// "South Korea" / "대한민국" and "North Korea" / "북한", but Koreans say "한국" and "조선" too,
// and the UN letters this serves say "DPRK". Matching is by substring, so a short form that is
// already inside the CLDR name (e.g. "Macedonia") needs no entry.
const ALIASES = {
  KR: ["한국", "남한", "Republic of Korea", "ROK"],
  KP: ["조선", "북조선", "조선민주주의인민공화국", "Democratic People's Republic of Korea", "DPRK", "DPR Korea"],
  GB: ["UK", "Great Britain", "Britain"],
  US: ["USA", "America", "미합중국"],
  CZ: ["Czech Republic", "체코 공화국"],
  TR: ["Turkey", "터키"],
  CI: ["Ivory Coast"],
  SZ: ["Swaziland", "스와질란드"],
  MM: ["버마"],
  VA: ["Holy See", "교황청"],
};

// What a query is matched against: the name in every UI language (a Korean page finds
// "Korea", an English one "대한민국"), the aliases, and the code itself (exactly).
let haystacks = null;
function haystack(code) {
  haystacks = haystacks || new Map(CODES.map((c) => [c,
    fold([...Object.keys(LANGS).map((l) => countryName(c, l)), ...(ALIASES[c] || [])].join("\n"))]));
  return haystacks.get(code);
}

/** Fill `select` with the countries matching `query` (name or code), sorted by name in `lang`;
 * returns the matching codes. Filtering never changes the choice: only the user picks a country,
 * so a chosen country that no longer matches stays listed (first) and chosen. */
export function fillCountries(select, lang, query, noneLabel) {
  const keep = select.value;
  const f = fold(query.trim());
  const coll = new Intl.Collator(lang);
  const rows = CODES.map((c) => [c, countryName(c, lang)])
    .filter(([c]) => !f || haystack(c).includes(f) || c.toLowerCase() === f)
    .sort((a, b) => coll.compare(a[1], b[1]));
  const options = rows.map(([c, name]) => new Option(name, c));
  if (keep && !rows.some(([c]) => c === keep)) options.unshift(new Option(countryName(keep, lang), keep));
  select.replaceChildren(new Option(noneLabel, ""), ...options);
  select.value = keep;
  return rows.map(([c]) => c);
}
