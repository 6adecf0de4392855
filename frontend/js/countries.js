// ISO 3166-1 alpha-2 codes (as the API accepts them); names come from Intl.DisplayNames.
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

/** Fill `select` with the countries matching `query` (name or code), sorted by name in `lang`;
 * returns the matching codes. Filtering never changes the choice: only the user picks a country,
 * so a chosen country that no longer matches stays listed (first) and chosen. */
export function fillCountries(select, lang, query, noneLabel) {
  const keep = select.value;
  const f = fold(query.trim());
  const coll = new Intl.Collator(lang);
  const rows = CODES.map((c) => [c, countryName(c, lang)])
    .filter(([c, name]) => !f || fold(name).includes(f) || c.toLowerCase() === f)
    .sort((a, b) => coll.compare(a[1], b[1]));
  const options = rows.map(([c, name]) => new Option(name, c));
  if (keep && !rows.some(([c]) => c === keep)) options.unshift(new Option(countryName(keep, lang), keep));
  select.replaceChildren(new Option(noneLabel, ""), ...options);
  select.value = keep;
  return rows.map(([c]) => c);
}
