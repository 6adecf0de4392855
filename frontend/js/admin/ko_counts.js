// The organisers' page in Korean, continued (ko.js holds the rest): checking the counts
// (recount.js) and the progress of a job that only reads (jobs.js).
import { KO, KO_PATTERNS } from "./ko.js";

Object.assign(KO, {
  "Check the counts": "집계 확인", "Counts": "집계", "Recount": "다시 세기",
  "Repair the counts": "집계 바로잡기", "Recounting…": "다시 세는 중…",
  "Repairing the counts…": "집계를 바로잡는 중…", "Progress of the recount": "다시 세기 진행 상황",
  "The counts on the public page are kept up to date as people sign. A recount reads every signature (a large letter takes minutes) and compares; if a count has drifted, you can repair it.":
    "공개 페이지의 집계는 서명이 들어올 때마다 갱신됩니다. 다시 세기는 모든 서명을 읽어 비교합니다 (큰 서한은 몇 분 걸립니다). 집계가 어긋났으면 바로잡을 수 있습니다.",
  "{0} listed — organisations {1}, individuals {2}, countries {3}": "게재 {0}건 — 단체 {1}, 개인 {2}, 나라 {3}",
  "Repaired: the counts now match the signatures, {0}.": "바로잡았습니다. 이제 집계가 서명과 일치합니다: {0}.",
  "The counts have drifted from the signatures: {0}. Recounted: {1}.": "집계가 서명과 어긋났습니다: {0}. 다시 센 결과: {1}.",
  "The counts match the signatures: {0}.": "집계가 서명과 일치합니다: {0}.",
  "organisations": "단체", "individuals": "개인", "per-shard counters": "샤드별 집계", "partners": "파트너",
  "country {0}": "국가 {0}",
});
KO_PATTERNS.push(
  [/^(?:(Reading the signatures|Done): )?([\d,]+)(?: of ([\d,]+))? signatures read(?:; (\d+) of (\d+) parts done)?$/,
    (tr, phase, read, total, done, parts) => `${phase ? `${tr(phase)}: ` : ""}${total ? `서명 ${total}건 중 ${read}건 읽음` : `서명 ${read}건 읽음`}${parts ? `. ${parts}개 부분 중 ${done}개 완료` : ""}`],
);
