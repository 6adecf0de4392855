// The organisers' page in Korean: each English string of admin.html and the admin modules,
// and patterns for the messages that carry a number or a name (i18n.js looks them up).
export const KO = {
  // page and sign-in
  "Organisers · Undersigned": "주최자 · Undersigned",
  "Organisers": "주최자",
  "Skip to the content": "본문으로 건너뛰기",
  "Language": "언어",
  "Signed in (this tab only)": "로그인됨 (이 탭에서만)",
  "Role:": "역할:",
  "Sign out": "로그아웃",
  "The organisers' page needs JavaScript.": "주최자 페이지는 JavaScript가 필요합니다.",
  "Organiser sign-in": "주최자 로그인",
  "Organiser token": "주최자 토큰",
  "Paste the token you were given (it starts with": "받은 토큰을 붙여 넣으세요 (다음으로 시작합니다:",
  "). It is kept only in this browser tab and forgotten when you sign out or close the tab.": "). 이 브라우저 탭에만 보관되며 로그아웃하거나 탭을 닫으면 지워집니다.",
  "Sign in": "로그인",
  "Organiser workspace": "주최자 작업 공간",
  "Checking your session…": "세션을 확인하는 중…",
  "Signing in…": "로그인하는 중…",
  "Signed in.": "로그인되었습니다.",
  "Signed out. The token was removed from this tab.": "로그아웃되었습니다. 이 탭에서 토큰을 지웠습니다.",
  "Paste your organiser token.": "주최자 토큰을 붙여 넣으세요.",
  "This token may not act on any letter.": "이 토큰으로는 어떤 서한도 다룰 수 없습니다.",
  "This token may not act on this letter.": "이 토큰으로는 이 서한을 다룰 수 없습니다.",
  "This token's role may not do that.": "이 토큰의 역할로는 할 수 없는 일입니다.",
  "The server could not be reached. Check your connection and try again.": "서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.",
  "Read only": "읽기 전용", "Moderate": "검토", "Manage": "관리",
  // letter panel
  "Letter": "서한", "Letter to work on": "작업할 서한", "Status": "상태", "Closes": "마감",
  "Organisations": "단체", "Individuals": "개인", "Total listed": "게재 합계", "Countries": "국가 수", "Reminders sent": "보낸 알림 메일",
  "Open or close the letter": "서한 열기 또는 닫기",
  "Close automatically at (your local time, optional)": "자동 마감 시각 (현지 시각, 선택)",
  "Used with \"Open\". Leave empty to keep the letter open until you close it.": "\"열기\"와 함께 사용합니다. 비워 두면 직접 닫을 때까지 열려 있습니다.",
  "Open (with this closing time)": "열기 (이 마감 시각으로)",
  "Close now": "지금 닫기",
  "Open": "열림", "Closed": "닫힘", "open": "열림", "closed": "닫힘", "draft": "초안",
  "Close this letter?": "이 서한을 닫을까요?",
  "It takes no more signatures from now on. You can open it again later.": "지금부터 더 이상 서명을 받지 않습니다. 나중에 다시 열 수 있습니다.",
  "Close the letter": "서한 닫기",
  "The letter is closed: it takes no more signatures.": "서한이 닫혔습니다. 더 이상 서명을 받지 않습니다.",
  "The letter is open.": "서한이 열렸습니다.",
  "Give a closing time in the future, or leave it empty.": "미래의 마감 시각을 입력하거나 비워 두세요.",
  "Sections": "구역",
  // dashboard
  "Dashboard": "현황판",
  "Counted as it happens: every sign-on, confirmation and withdrawal. Times are in your time zone.": "서명, 확인, 철회가 일어날 때마다 집계합니다. 시각은 현지 시간대입니다.",
  "Refresh": "새로 고침",
  "Loading the dashboard…": "현황판을 불러오는 중…",
  "Sign-ons": "서명", "Confirmations": "확인", "Confirmed": "확인됨", "Confirmation rate": "확인율",
  "Withdrawn": "철회", "Mail delay": "메일 지연",
  "Sign-ons (solid)": "서명 (채운 막대)", "Confirmations (striped)": "확인 (빗금 막대)",
  "The first three days, per hour": "처음 사흘, 시간별", "Per day": "일별",
  "The numbers as a table": "숫자를 표로 보기",
  "Hour": "시간", "Day": "날짜",
  "Organisations signed": "단체 서명", "Individuals signed": "개인 서명",
  "No listed signatures yet.": "아직 게재된 서명이 없습니다.",
  "Listed signatures by country": "국가별 게재 서명", "By kind, since the letter began": "유형별 (서한 시작 이후)",
  // queue
  "Moderation queue": "검토 대기열", "Filter": "필터", "State": "상태", "Kind": "유형",
  "Any kind": "모든 유형", "Any state": "모든 상태", "Organisation": "단체", "Individual": "개인",
  "Name contains": "이름에 포함", "Country (2-letter code)": "국가 (2자리 코드)", "Email domain": "이메일 도메인",
  "Created from (local time)": "생성 시작 (현지 시각)", "Created before (local time)": "생성 종료 (현지 시각)",
  "Search": "검색", "Reset filters": "필터 초기화", "With the checked rows:": "선택한 행에 대해:",
  "Approve": "승인", "Reject…": "거부…", "Reject": "거부", "Hide": "숨기기", "Unhide": "숨김 해제", "Rename": "이름 수정",
  "Approved": "승인됨", "Rejected": "거부됨", "Hidden": "숨김", "Unhidden": "숨김 해제됨", "Renamed": "이름 수정됨",
  "Awaiting approval": "승인 대기", "Quarantined": "격리", "Pending (unconfirmed)": "대기 (미확인)", "Listed": "게재",
  "Signatures": "서명", "Select every row shown": "보이는 모든 행 선택",
  "Name": "이름", "Affiliation": "직함 또는 소속", "Country": "국가", "Email": "이메일", "Created": "생성",
  "Reason": "사유", "Actions": "작업", "No signatures match these filters.": "필터에 맞는 서명이 없습니다.",
  "Load more": "더 불러오기", "No more signatures to load.": "더 불러올 서명이 없습니다.",
  "Reject this signature": "이 서명 거부", "Correct the name": "이름 수정", "Corrected name": "수정한 이름",
  "Give a reason: it is recorded with every rejected signature.": "사유를 입력하세요. 거부된 모든 서명과 함께 기록됩니다.",
  "Cancelled. Nothing was changed.": "취소했습니다. 아무것도 바뀌지 않았습니다.",
  "Signatures: none shown (the list could not be loaded)": "서명: 표시 없음 (목록을 불러오지 못했습니다)",
  // invalidation
  "Invalidate by filter": "필터로 무효화",
  "Rejects every signature matching the filter that is pending, awaiting approval, quarantined, listed or hidden, with one reason. Give at least one filter. \"Dry run\" only counts; \"Apply\" asks you to confirm the count first.": "필터에 맞는 대기, 승인 대기, 격리, 게재, 숨김 상태의 서명을 하나의 사유로 모두 거부합니다. 필터를 하나 이상 입력하세요. \"모의 실행\"은 세기만 하고, \"적용\"은 먼저 개수를 확인받습니다.",
  "Signatures to reject": "거부할 서명", "Reason (recorded in the audit trail)": "사유 (감사 기록에 남습니다)",
  "Dry run": "모의 실행", "Apply…": "적용…", "Apply": "적용", "Cancel": "취소",
  "Give at least one filter: email domain, country, name or a time window.": "필터를 하나 이상 입력하세요: 이메일 도메인, 국가, 이름 또는 기간.",
  "Country: give a two-letter code such as KR or GB.": "국가: KR이나 GB 같은 두 글자 코드를 입력하세요.",
  "Give a valid date and time.": "올바른 날짜와 시각을 입력하세요.",
  "No signature matches these filters. Nothing to apply.": "필터에 맞는 서명이 없습니다. 적용할 것이 없습니다.",
  // exports and snapshots
  "Exports": "내보내기",
  "Each export is written now and offered as a download link that expires after a while. The list exports contain the listed signatures, in the letter's order, unless you tick other states below; \"with emails\" adds the signers' private email addresses: handle that file with care.": "내보내기는 지금 만들어지며 잠시 후 만료되는 다운로드 링크로 제공됩니다. 목록 내보내기에는 아래에서 다른 상태를 고르지 않으면 게재된 서명이 서한 순서대로 들어갑니다. \"이메일 포함\"은 서명자의 비공개 이메일 주소를 더하므로 파일을 조심해서 다루세요.",
  "Signatures in the lists (CSV, XLSX, JSON)": "목록에 넣을 서명 (CSV, XLSX, JSON)",
  "Withdrawn (no names)": "철회 (이름 없음)", "Each row says its state.": "각 행에 상태가 적힙니다.",
  "List export formats": "목록 내보내기 형식", "CSV with emails": "CSV (이메일 포함)",
  "Spreadsheet (XLSX)": "스프레드시트 (XLSX)", "XLSX with emails": "XLSX (이메일 포함)",
  "Date printed on the letter (optional)": "서한에 인쇄할 날짜 (선택)",
  "For example the day it is delivered; empty: the letter's own date.": "예: 전달하는 날. 비워 두면 서한의 날짜.",
  "Delivery letter formats": "전달용 서한 형식", "Delivery letter (HTML)": "전달용 서한 (HTML)", "Delivery letter (DOCX)": "전달용 서한 (DOCX)",
  "Tick at least one state for the list exports.": "목록 내보내기에 넣을 상태를 하나 이상 고르세요.",
  "The date printed on the letter is not a valid date.": "서한에 인쇄할 날짜가 올바르지 않습니다.",
  "Snapshots": "스냅숏",
  "The list is copied to storage every night, one set of files a day; cut one now before a delivery. Cutting again the same day replaces that day's files with the list as it is then.": "목록은 매일 밤 하루 한 벌씩 저장소에 복사됩니다. 전달 전에 지금 하나를 만드세요. 같은 날 다시 만들면 그날의 파일이 그때의 목록으로 바뀝니다.",
  "Cut a snapshot now": "지금 스냅숏 만들기", "Cut today's snapshot again": "오늘 스냅숏 다시 만들기",
  "Cut today's snapshot again?": "오늘 스냅숏을 다시 만들까요?", "Replace today's snapshot": "오늘 스냅숏 바꾸기",
  "Cutting a snapshot…": "스냅숏을 만드는 중…", "Cutting today's snapshot again…": "오늘 스냅숏을 다시 만드는 중…",
  "No snapshots yet.": "아직 스냅숏이 없습니다.", "The snapshot failed. Try again later.": "스냅숏을 만들지 못했습니다. 나중에 다시 시도하세요.",
  "Another snapshot is being written right now; try again in a minute.": "다른 스냅숏을 쓰는 중입니다. 잠시 후 다시 시도하세요.",
  // audit
  "Audit trail": "감사 기록", "Changes, newest first": "변경 내역, 최신순", "When": "시각", "Who": "누가",
  "Action": "작업", "Signature": "서명", "Change": "변경", "Nothing yet.": "아직 없습니다.",
  // dialog
  "Are you sure?": "계속할까요?", "Please fill this in.": "입력해 주세요.",
  // editor
  "Write the letter": "서한 쓰기", "A new letter": "새 서한", "Start a new letter": "새 서한 시작",
  "Edit the letter chosen above": "위에서 고른 서한 편집", "Web address name": "웹 주소 이름",
  "Lower-case letters, digits and hyphens, e.g.": "영문 소문자, 숫자, 하이픈. 예:",
  ". It cannot change later.": ". 나중에 바꿀 수 없습니다.",
  "Title": "제목", "Date of the letter": "서한 날짜", "Language of the letter": "서한 언어",
  "Addressee": "수신인", "Who the letter is to, one line each, as printed above the letter.": "서한을 받는 이. 한 줄에 하나씩, 서한 위에 인쇄되는 대로.",
  "Subject (optional)": "제목줄 (선택)", "Salutation": "인사말", "Closing": "맺음말",
  "The letter (Markdown)": "서한 본문 (Markdown)",
  "Markdown: a blank line between paragraphs,": "Markdown: 문단 사이에 빈 줄,",
  "for a list,": "목록,", "for a link. HTML is shown as text, never run.": "링크. HTML은 실행되지 않고 글자로 보입니다.",
  "Placeholders are replaced by the live count on the public page:": "자리 표시자는 공개 페이지에서 실시간 숫자로 바뀝니다:",
  "every listed signatory,": "게재된 모든 서명자,", "the number of countries.": "국가 수.",
  "Organisations are listed only after an organiser approves them": "단체는 주최자가 승인한 뒤에만 게재됩니다",
  "Who may sign: organisations and individuals. Open or close the letter, and set its closing time, in the Letter panel above.": "서명할 수 있는 이: 단체와 개인. 서한을 열고 닫거나 마감 시각을 정하는 일은 위의 서한 패널에서 합니다.",
  "Preview": "미리 보기", "As the public page shows it, with today's counts.": "공개 페이지에 보이는 그대로, 오늘의 숫자로.",
  "Save the letter": "서한 저장",
  "Saving a changed text makes a new version. People who signed an earlier version keep it; exports say which version each one signed.": "바뀐 본문을 저장하면 새 판이 됩니다. 이전 판에 서명한 사람은 그 판을 유지하며, 내보내기에 각자 서명한 판이 적힙니다.",
  "Saving…": "저장하는 중…", "Nothing changed: the text is the same.": "바뀐 것이 없습니다. 본문이 같습니다.",
  "Saved as a draft: it is not public until you open it.": "초안으로 저장됩니다. 열기 전에는 공개되지 않습니다.",
  "Dear members of the Council,": "이사회 여러분께,", "Yours sincerely,": "삼가 드림,",
  // team
  "Team": "팀",
  "Invite a co-organiser with a token of their own. Send it to them privately; it is shown here only once.": "공동 주최자에게 전용 토큰을 발급해 초대하세요. 따로 안전하게 전달하세요. 토큰은 여기서 한 번만 보입니다.",
  "Co-organiser's name": "공동 주최자 이름", "Role": "역할",
  "Read only: sees the letter, queue and dashboard. Moderate: also approves, rejects, hides and exports. Manage: also writes, opens and closes letters.": "읽기 전용: 서한, 대기열, 현황판을 봅니다. 검토: 승인, 거부, 숨기기, 내보내기도 합니다. 관리: 서한을 쓰고 열고 닫는 일도 합니다.",
  "Letters": "서한", "Only the letter chosen above": "위에서 고른 서한만", "Every letter": "모든 서한",
  "Create the token": "토큰 만들기", "The new token (shown once)": "새 토큰 (한 번만 표시)",
  "Copy the token": "토큰 복사", "Done: hide it": "완료: 숨기기", "Copied.": "복사했습니다.",
  "Copy it from the box (Ctrl+C).": "상자에서 복사하세요 (Ctrl+C).",
  "Tokens": "토큰", "Last used": "마지막 사용", "Revoke": "폐기", "Revoke…": "폐기…", "Revoked": "폐기됨",
  "Never": "없음", "Revoke this token?": "이 토큰을 폐기할까요?",
  "Give the co-organiser's name.": "공동 주최자 이름을 입력하세요.",
  // updates to signers (updates.js)
  "Updates to signers": "서명자에게 보내는 소식",
  "Write to the signers who ticked \"keep me updated\": confirmed, not withdrawn, not unsubscribed, their address not bounced. Each mail carries a one-click unsubscribe. Save it, preview it as a signer gets it, count how many it reaches, then send: the mails go out at the send rate.": "\"소식 받기\"를 선택한 서명자(확인됨, 철회하지 않음, 수신 거부하지 않음, 주소가 반송되지 않음)에게 씁니다. 모든 메일에 한 번에 수신 거부하는 링크가 들어갑니다. 저장하고, 서명자가 받는 모습으로 미리 보고, 받을 사람 수를 센 다음 보내세요. 메일은 발송 속도에 맞춰 나갑니다.",
  "Save and preview": "저장하고 미리 보기", "Count its reach": "받을 사람 수 세기",
  "Send this update": "이 소식 보내기", "New update": "새 소식", "Updates": "소식",
  "No updates yet.": "아직 소식이 없습니다.", "Subject": "제목", "Message (Markdown)": "내용 (Markdown)",
  "Send this update?": "이 소식을 보낼까요?", "Send it": "보내기",
  "Counting the signers it reaches…": "받을 서명자 수를 세는 중…", "Queueing the mails…": "메일을 대기열에 넣는 중…",
};

// An export's label (files.js, partners.js): "XLSX with emails (Listed, Hidden)", "Delivery
// letter (PDF) dated 2026-12-01", "CSV of your consenting referrals".
function label(tr, s) {
  let m = s.match(/^(.+) dated (\S+)$/);
  if (m) return `${label(tr, m[1])} (${m[2]}자)`;
  m = s.match(/^(CSV|XLSX|JSON)( with emails)?(?: \((.+)\))?$/);
  if (m) return `${m[1]}${m[2] ? " (이메일 포함)" : ""}${m[3] ? ` (${m[3].split(", ").map(tr).join(", ")})` : ""}`;
  return tr(s);
}

export const KO_PATTERNS = [
  [/^Text in (\S+) \(the letter's language\)$/, "$1 본문 (서한의 언어)"],
  [/^Text in (\S+) \(optional\)$/, "$1 본문 (선택)"],
  [/^It reaches ([\d,]+) signers \(counted just now\)\.$/, "서명자 $1명에게 갑니다 (방금 셈)."],
  [/^Send to ([\d,]+) signers$/, "서명자 $1명에게 보내기"],
  [/^Update (\d+) saved as a draft\. Nothing was sent\. Count its reach, then send it\.$/, "소식 $1을(를) 초안으로 저장했습니다. 아무것도 보내지 않았습니다. 받을 사람 수를 센 다음 보내세요."],
  [/^(\d+) selected$/, "$1개 선택됨"],
  [/^Editing “(.+)”$/, "“$1” 편집 중"],
  [/^Current text version: (\w+) \((\d+) versions so far\)$/, "현재 본문 판: $1 (지금까지 $2개 판)"],
  [/^Saved as a new text version \((\w+)\)\. People who signed before keep the version they signed\.$/, "새 본문 판($1)으로 저장했습니다. 전에 서명한 사람은 서명한 판을 유지합니다."],
  [/^The letter “(.+)” is saved as a draft\. Open it when it is ready\.$/, "서한 “$1”을(를) 초안으로 저장했습니다. 준비되면 여세요."],
  [/^The letter is open and closes automatically on (.+)\.$/, "서한이 열렸으며 $1에 자동으로 마감됩니다."],
  [/^Token created for “(.+)”\. Copy it now: it is shown only once\.$/, "“$1”의 토큰을 만들었습니다. 지금 복사하세요. 한 번만 보입니다."],
  [/^The token “(.+)” is revoked\.$/, "토큰 “$1”을(를) 폐기했습니다."],
  [/^“(.+)” will no longer be able to sign in\. This cannot be undone\.$/, "“$1”은(는) 더 이상 로그인할 수 없습니다. 되돌릴 수 없습니다."],
  [/^([\d,]+) sign-ons and ([\d,]+) confirmations in ([\d,]+) bars; the table below has every value\.$/, "막대 $3개에 서명 $1건, 확인 $2건. 아래 표에 모든 값이 있습니다."],
  [/^([\d,]+) s$/, "$1초"],
  [/^Signatures: (.+?)(, .+)? \((\d+) shown(, more to load)?\)$/,
    (tr, what, extra, n, more) => `서명: ${tr(what)}${extra ? ", 필터 적용" : ""} (${n}건 표시${more ? ", 더 있음" : ""})`],
  [/^Select (.+)$/, "선택: $1"],
  [/^Too many requests\. Wait (.+) seconds and try again\.$/, "요청이 너무 많습니다. $1초 기다린 뒤 다시 시도하세요."],
  [/^Something went wrong on the server\.(.*)$/, "서버에서 문제가 생겼습니다.$1"],
  [/^Download (?:the )?(.+)$/, (tr, x) => `${label(tr, x)} 내려받기`],
  [/^Preparing the (.+) export…$/, (tr, x) => `${label(tr, x)} 내보내기를 준비하는 중…`],
  [/^The (.+) export is ready: use the download link below\.$/, (tr, x) => `${label(tr, x)} 내보내기가 준비되었습니다. 아래 다운로드 링크를 쓰세요.`],
  [/^Progress of the (.+?)( export)?$/, (tr, x, e) => `${label(tr, x)}${e ? " 내보내기" : ""} 진행 상황`],
  [/^Reject (\d+)$/, "$1건 거부"],
  [/^Yes, reject (\d+)$/, "예, $1건 거부"],
];

Object.assign(KO, {
  "Who is behind the letter": "서한을 주최하는 이",
  "Shown on the public page, in every email (the From name and Reply-To) and on the withdrawal page. Give all four, or none: a letter without them names no one.": "공개 페이지, 모든 메일(보낸 사람 이름과 회신 주소), 서명 철회 페이지에 표시됩니다. 네 가지를 모두 입력하거나 모두 비워 두세요. 비워 두면 누구의 이름도 표시하지 않습니다.",
  "Coalition or organisation": "연대체 또는 단체",
  "Published contact address": "공개 연락처 이메일",
  "Privacy notice (link)": "개인정보 처리방침 (링크)",
  "Data controller (name and address)": "개인정보 처리 책임자 (이름과 주소)",
  "This letter names no organisers: the public page, the emails and the withdrawal page say no one is behind it. Add them under “Write the letter”.": "이 서한에는 주최자가 없습니다. 공개 페이지, 메일, 철회 페이지에 주최자가 표시되지 않습니다. “서한 쓰기”에서 추가하세요.",
  "This deployment's MAIL_FROM is the placeholder address: mail is sent from no-reply@undersigned.invalid. Set MAIL_FROM to your verified sender.": "이 배포의 MAIL_FROM이 임시 주소입니다. 메일이 no-reply@undersigned.invalid에서 발송됩니다. MAIL_FROM을 인증된 발신 주소로 설정하세요.",
});

Object.assign(KO, {
  "Translations": "번역",
  "Who may sign": "서명할 수 있는 이",
  "Organisations and individuals": "단체와 개인",
  "Organisations only": "단체만",
  "Individuals only": "개인만",
  "Open or close the letter, and set its closing time, in the Letter panel above.": "서한을 열고 닫거나 마감 시각을 정하는 일은 위의 서한 패널에서 합니다.",
  "Each translation is a text of its own: a visitor reading in its language sees it, and signs it. The letter's own language stays the authoritative text, and the delivery letter's.": "번역은 각각 독립된 문안입니다. 그 언어로 읽는 방문자는 번역본을 보고 번역본에 서명합니다. 서한 본래 언어의 문안이 공식 문안이며 전달용 서한에도 쓰입니다.",
  "Language of the translation": "번역 언어",
  "The translated letter (Markdown)": "번역한 본문 (Markdown)",
  "Preview of the translation": "번역 미리 보기",
  "Save the translation": "번역 저장",
  "No translations yet.": "아직 번역이 없습니다.",
  "This translation was made from an earlier version of the letter's text: check it.": "이 번역은 서한의 이전 판을 바탕으로 만들어졌습니다. 확인하세요.",
});
KO_PATTERNS.push(
  [/^Translated into: (.+)\.$/, "번역된 언어: $1."],
  [/^Translation saved \((.+)\): its own text version (\w+)\.$/, "번역을 저장했습니다 ($1): 고유한 본문 판 $2."],
);

KO["Undersigned · organisers' page. Signers' email addresses shown here are private: never share them."] =
  "Undersigned · 주최자 페이지. 여기 보이는 서명자의 이메일 주소는 비공개입니다. 절대 공유하지 마세요.";

// exports and jobs (files.js, jobs.js)
Object.assign(KO, {
  "Each export is written in the background (a bar shows how far it got) and then offered as a download link that expires after a while. The list exports contain the listed signatures, in the letter's order, unless you tick other states below; \"with emails\" adds the signers' private email addresses: handle that file with care.": "내보내기는 백그라운드에서 만들어지며(막대에 진행 정도가 보입니다) 잠시 후 만료되는 다운로드 링크로 제공됩니다. 목록 내보내기에는 아래에서 다른 상태를 고르지 않으면 게재된 서명이 서한 순서대로 들어갑니다. \"이메일 포함\"은 서명자의 비공개 이메일 주소를 더하므로 파일을 조심해서 다루세요.",
  "Delivery letter (PDF)": "전달용 서한 (PDF)", "(opens in a new tab)": "(새 탭에서 열림)",
  "incomplete": "미완성", "Waiting for a worker…": "작업자를 기다리는 중…",
  "Reading the signatures": "서명을 읽는 중", "Writing the file": "파일을 쓰는 중", "Uploading the file": "파일을 올리는 중",
  "Done": "완료", "Progress of the snapshot": "스냅숏 진행 상황",
  "Skipped: this letter is not snapshotted (closed too long ago?).": "건너뜀: 이 서한은 스냅숏을 만들지 않습니다 (닫힌 지 너무 오래되었나요?).",
  "Today's files (lists, letter, manifest) are replaced by the list as it is now. Earlier links to today's files will fetch the new ones; the replaced files are kept in the bucket's history for a while.": "오늘의 파일(목록, 서한, 매니페스트)이 지금의 목록으로 바뀝니다. 전에 준 오늘 파일 링크는 새 파일을 받게 되며, 바뀐 파일은 한동안 버킷 기록에 남습니다.",
});
KO_PATTERNS.push(
  [/^(?:(Reading the signatures|Writing the file|Uploading the file|Done): )?([\d,]+)(?: of ([\d,]+))? rows written(?:, ([\d,]+) read)?(?:; (\d+) of (\d+) parts done)?$/,
    (tr, phase, written, total, read, done, parts) => `${phase ? `${tr(phase)}: ` : ""}${total ? `${total}행 중 ${written}행 씀` : `${written}행 씀`}${read ? `, ${read}행 읽음` : ""}${parts ? `. ${parts}개 부분 중 ${done}개 완료` : ""}`],
  [/^The job stopped without finishing( \(.+\))?\. Try again\.$/, (tr, why) => `작업이 끝나지 않고 멈췄습니다${why || ""}. 다시 시도하세요.`],
  [/^(.+), (.+); link valid for (\d+) (minutes|seconds)$/, (tr, file, size, k, unit) => `${file}, ${size}. 링크 유효 시간 ${k}${unit === "minutes" ? "분" : "초"}`],
  [/^(.+), (.+); the link expires in (\d+) minutes$/, "$1, $2. 링크는 $3분 뒤 만료됩니다"],
);

// partners (partners.js) and a partner's own view
Object.assign(KO, {
  "Your referrals": "링크로 온 서명자", "Your link:": "우리 링크:",
  "Export your consenting referrals' names and emails (CSV)": "연락에 동의한 서명자의 이름과 이메일 내보내기 (CSV)",
  ": your referrals": ": 링크로 온 서명자", "Partners": "협력 단체",
  "Organisations that bring their own supporters. Each gets a link and an embed carrying its code; its figures count the sign-ons that came by them. A partner's own token sees only its figures and, if you allow it, the names and emails of its referrals who ticked its consent.": "자기 지지자를 모아 오는 단체입니다. 단체마다 고유 코드가 담긴 링크와 삽입 코드를 받고, 그 현황에는 이 링크로 들어온 서명이 집계됩니다. 협력 단체 전용 토큰으로는 그 단체의 현황만 볼 수 있으며, 허용하면 그 단체의 연락에 동의한, 링크로 온 서명자의 이름과 이메일도 받을 수 있습니다.",
  "Add a partner": "협력 단체 추가", "Short code (2-16 of a-z, 0-9)": "짧은 코드 (a-z, 0-9 중 2~16자)",
  "May download its consenting referrals' names": "연락에 동의한, 링크로 온 서명자의 이름을 내려받을 수 있음",
  "Show “Signed through …: N” on its link": "링크에 “…을(를) 통해 서명: N” 표시",
  "Add the partner": "추가", "Link:": "링크:", "Embed:": "삽입 코드:",
  "Export CSV": "CSV 내보내기", "With emails": "이메일 포함", "As the partner gets it": "협력 단체가 받는 그대로",
  "Issue a token for its staff": "실무자용 토큰 발급",
  "CSV of consenting referrals with emails": "연락에 동의한 서명자 CSV (이메일 포함)",
  "CSV of your consenting referrals": "연락에 동의한 서명자 CSV",
  "Token (shown once; it sees only this partner):": "토큰 (한 번만 표시, 이 협력 단체만 볼 수 있음):",
  "No partners yet.": "아직 협력 단체가 없습니다.",
});
KO_PATTERNS.push(
  [/^([\d,]+) signed through the link, ([\d,]+) confirmed; listed now: ([\d,]+) organisations, ([\d,]+) individuals, ([\d,]+) countries(?:\. By day: (.+))?\.$/,
    (tr, s, c, o, i, n, days) => `링크로 서명 ${s}건, 확인 ${c}건. 현재 게재: 단체 ${o}, 개인 ${i}, ${n}개국${days ? `. 일별: ${days}` : ""}.`],
  [/^(May|May not) download names and emails of consenting referrals; count (shown|not shown) on its link\.$/,
    (tr, may, shown) => `연락에 동의한 서명자의 이름과 이메일을 내려받을 수 ${may === "May" ? "있음" : "없음"}. 링크에 숫자 ${shown === "shown" ? "표시" : "표시 안 함"}.`],
  [/^Added (.+): its link is (\S+)$/, "$1을(를) 추가했습니다. 링크: $2"],
);

// imports (imports.js)
Object.assign(KO, {
  "Import sign-ons": "서명 가져오기",
  "Sign-ons collected elsewhere (by email, on paper), from a CSV (UTF-8) or XLSX file of at most 1 MB and 2,000 rows, the first row naming the columns. \"Check the file\" stores nothing: it reports each row that would be listed, held (it looks like an organisation already there), a duplicate, or not acceptable. Then \"Import\" stores that file; importing it again adds nothing.": "다른 곳에서(이메일로, 종이로) 받은 서명을 CSV(UTF-8)나 XLSX 파일에서 가져옵니다. 파일은 1 MB, 2,000행 이하이고 첫 행에 열 이름이 있어야 합니다. \"파일 확인\"은 아무것도 저장하지 않고, 각 행이 게재될지, 보류될지(이미 있는 단체와 비슷해 보임), 중복인지, 받을 수 없는지 알려 줍니다. 그다음 \"가져오기\"로 그 파일을 저장합니다. 같은 파일을 다시 가져와도 더해지는 것은 없습니다.",
  "File": "파일", "Columns (the header of each; leave empty if the file has none)": "열 (각 열의 머리글. 파일에 없는 열은 비워 두세요)",
  "Kind (organisation or individual)": "유형 (단체 또는 개인)",
  "Kind of every row, if no column says": "유형 열이 없을 때 모든 행의 유형",
  "(from the column)": "(열에서)",
  "Where they were collected (kept on each row)": "받은 곳 (각 행에 기록됩니다)",
  "email, 2020-02-20": "이메일, 2020-02-20",
  "Email each row with an address: “you were added; withdraw here”": "주소가 있는 행마다 메일 보내기: “서명자로 추가되었습니다. 여기서 철회할 수 있습니다”",
  "Check the file": "파일 확인", "Import": "가져오기",
  "Checking the file…": "파일을 확인하는 중…", "Importing…": "가져오는 중…",
  "Choose a CSV or XLSX file.": "CSV 또는 XLSX 파일을 고르세요.",
  "Name the column of the names.": "이름이 든 열을 입력하세요.",
  "Say where these sign-ons were collected (e.g. “email, 2020-02-20” or “paper”).": "이 서명을 받은 곳을 입력하세요 (예: “이메일, 2020-02-20” 또는 “종이”).",
  "The affiliation is not acceptable.": "직함 또는 소속을 받을 수 없습니다.",
  "Looks like an organisation already there: stored in the moderation queue with the match, for an organiser to decide.": "이미 있는 단체와 비슷해 보입니다. 주최자가 결정하도록 비슷한 서명과 함께 검토 대기열에 저장합니다.",
});
KO_PATTERNS.push(
  [/^(Not imported|Duplicates \(not imported\)|Formula signs removed|Held as lookalikes):$/,
    (tr, g) => `${{ "Not imported": "가져오지 않음", "Duplicates (not imported)": "중복 (가져오지 않음)",
      "Formula signs removed": "수식 기호 제거", "Held as lookalikes": "비슷한 이름으로 보류" }[g]}:`],
  [/^Row (\d+)(?:, column (.+))?:$/, (tr, row, col) => `${row}행${col ? `, 열 ${col}` : ""}:`],
  [/^Dry run: (\d+) rows? read; (\d+) would be listed, (\d+) held for review\. Nothing was stored\.$/,
    "모의 실행: $1행 읽음. 게재 예정 $2건, 검토 보류 $3건. 아무것도 저장하지 않았습니다."],
  [/^Imported: (\d+) stored \((\d+) listed, (\d+) held for review\)(?:; (\d+) will be told by email)?\.$/,
    (tr, a, l, h, n) => `가져오기 완료: ${a}건 저장 (게재 ${l}건, 검토 보류 ${h}건)${n ? `. ${n}명에게 메일로 알립니다` : ""}.`],
  [/^Import (\d+) rows?$/, "$1행 가져오기"],
  [/^Row (\d+) repeats row (\d+)\.$/, "$1행은 $2행과 같습니다."],
  [/^The (name|kind|affiliation|country|email) began with a formula sign; it was removed\.$/,
    (tr, f) => `${{ name: "이름이", kind: "유형이", affiliation: "직함 또는 소속이", country: "국가가", email: "이메일이" }[f]} 수식 기호로 시작해 그 기호를 지웠습니다.`],
  [/^(“.*”) is not a kind: organisation or individual\.$/, "$1은(는) 유형이 아닙니다: 단체 또는 개인."],
  [/^(“.*”) is not an ISO 3166-1 two-letter country code\.$/, "$1은(는) ISO 3166-1 두 글자 국가 코드가 아닙니다."],
  [/^The name is missing or not acceptable \((.+)\)\.$/, "이름이 없거나 받을 수 없습니다 ($1)."],
);

// lookalikes (lookalike.js)
Object.assign(KO, {
  "Same organisation: keep the first": "같은 단체: 먼저 온 서명 유지",
  "Different: approve": "다른 단체: 승인",
  "Looks like an organisation already on the letter": "서한에 이미 있는 단체와 비슷함",
  "This signature": "이 서명", "Looks like, already on the letter": "비슷한 기존 서명",
});
KO_PATTERNS.push(
  [/^(Organisation|Individual)(?: · ([A-Z]{2}))?(?: · (.+))?$/, (tr, kind, country, state) =>
    [tr(kind), country, state && tr(state)].filter(Boolean).join(" · ")],
  [/^(Approved|Rejected|Hidden|Unhidden): (“.+”)\.$/, (tr, done, who) => `${tr(done)}: ${who}.`],
);

// delivery (delivery.js)
Object.assign(KO, {
  "Deliver the letter": "서한 전달", "Snapshot": "스냅숏",
  "Sends one snapshot's PDF (the list as it was cut) to the addressee's offices, with your cover message, and records it: the snapshot, the sha256 of its manifest and of the PDF, SES's message id, and what each recipient's mail server answered. Preview first; the public page then says \"Delivered to … on … with N signatures\".": "스냅숏 하나의 PDF(만든 시점의 목록)를 안내 메시지와 함께 수신인의 사무실로 보내고, 스냅숏, 매니페스트와 PDF의 sha256, SES 메시지 ID, 받는 메일 서버마다의 응답을 기록합니다. 먼저 미리 보세요. 보내면 공개 페이지에 \"…에 서명 N개와 함께 …에게 전달되었습니다\"라고 표시됩니다.",
  "Complete snapshots with a PDF, newest first. Cut one above to deliver today's list.": "PDF가 있는 완성된 스냅숏, 최신순. 오늘의 목록을 전달하려면 위에서 하나 만드세요.",
  "Recipients (one address a line)": "받는 사람 (한 줄에 주소 하나)",
  "Empty: the letter's subject.": "비워 두면 서한의 제목줄.", "Cover message (Markdown)": "안내 메시지 (Markdown)",
  "Attach the DOCX too": "DOCX도 첨부",
  "Send this delivery": "이대로 보내기", "Refresh deliveries": "전달 내역 새로 고침", "Deliveries": "전달 내역",
  "To": "받는 사람", "From": "보내는 사람", "Attached": "첨부",
  "There is no complete snapshot with a PDF yet: cut one first.": "아직 PDF가 있는 완성된 스냅숏이 없습니다. 먼저 하나 만드세요.",
  "Name at least one recipient.": "받는 사람을 한 명 이상 입력하세요.",
  "Write the cover message.": "안내 메시지를 쓰세요.",
  "Preparing the preview…": "미리 보기를 준비하는 중…",
  "Nothing was sent. Check the preview, then send it.": "아무것도 보내지 않았습니다. 미리 보기를 확인한 뒤 보내세요.",
  "Send this delivery?": "이대로 보낼까요?", "Send it": "보내기",
  "Send it again?": "다시 보낼까요?", "Send it again": "다시 보내기", "Not sent again.": "다시 보내지 않았습니다.",
  "Sending…": "보내는 중…", "Not delivered yet.": "아직 전달하지 않았습니다.",
  "sending": "보내는 중", "sent": "보냄", "failed": "실패", "· to": "· 수신인:",
  "sent, no answer yet": "보냄, 아직 응답 없음", "delivered to the mail server": "메일 서버에 전달됨",
  "bounced": "반송됨", "marked as spam": "스팸으로 표시됨", "delayed": "지연됨",
});
KO_PATTERNS.push(
  [/^(\S+): (\d+) signatures; manifest sha256 (\w+)$/, "$1: 서명 $2개, 매니페스트 sha256 $3"],
  [/^The PDF of the (\S+) snapshot \((\d+) signatures\) goes to (.+) now\. It cannot be called back\.$/,
    "$1 스냅숏의 PDF(서명 $2개)를 지금 $3(으)로 보냅니다. 보낸 뒤에는 되돌릴 수 없습니다."],
  [/^Sent to (\d+) recipient\(s\)\. SES message id (\S+?)\.(?: Update (\d+) tells the signers who opted in \(see Updates to signers\)\.)?$/,
    (tr, k, id, u) => `받는 사람 ${k}명에게 보냈습니다. SES 메시지 ID ${id}.${u ? ` 소식 ${u}이(가) 소식 받기를 선택한 서명자에게 알립니다 (서명자에게 보내는 소식 참고).` : ""}`],
  [/^· announced in update (\d+)$/, "· 소식 $1(으)로 알림"],
  [/^· snapshot (\S+), (\d+) signatures · by$/, "· 스냅숏 $1, 서명 $2개 · 보낸 이:"],
  [/^letter\.pdf sha256 (\w+) · manifest sha256 (.+)$/, "letter.pdf sha256 $1 · 매니페스트 sha256 $2"],
);
KO_PATTERNS.push(
  [/^row (\d+)$/, "$1행"],
  [/^Snapshot written( \(\S+\))?: the list as at (.+)\.$/, (tr, day, at) => `스냅숏을 만들었습니다${day || ""}: ${tr(at)} 기준 목록.`],
  [/^Today's snapshot( \(\S+\))? was cut again: its files now hold the list as at (.+), replacing the cut of (.+)\. Links to today's files given out before now fetch the new files\.$/,
    (tr, day, at, was) => `오늘 스냅숏${day || ""}을 다시 만들었습니다. 파일에는 이제 ${tr(at)} 기준 목록이 들어 있으며 ${tr(was)}에 만든 것을 대신합니다. 전에 준 오늘 파일 링크는 이제 새 파일을 받습니다.`],
  [/^Today's snapshot( \(\S+\))? was cut at (.+); nothing was written\. To include what changed since, cut it again: today's files are replaced by the list as it is now\.$/,
    (tr, day, at) => `오늘 스냅숏${day || ""}은 ${tr(at)}에 만들어졌으며 아무것도 쓰지 않았습니다. 그 뒤 바뀐 내용을 넣으려면 다시 만드세요. 오늘의 파일이 지금의 목록으로 바뀝니다.`],
);

// leftovers of the older panels (main.js, queue.js, invalidate.js)
Object.assign(KO, {
  "The token was not accepted. Check it and sign in again. (After many failed sign-ins every token is refused until the minute ends.)": "토큰이 받아들여지지 않았습니다. 확인하고 다시 로그인하세요. (로그인에 여러 번 실패하면 그 1분이 끝날 때까지 모든 토큰이 거부됩니다.)",
  "“Created from” must be before “Created before”.": "“생성 시작”은 “생성 종료”보다 앞서야 합니다.",
  "its mail bounced: it cannot confirm": "메일이 반송되어 확인할 수 없습니다",
  "Rename…": "이름 수정…", "earlier today": "오늘 앞선 시각",
});
KO_PATTERNS.push(
  [/^Dry run: (\d+) signatures? would be rejected\. Nothing was changed\.$/, "모의 실행: 서명 $1건이 거부됩니다. 아무것도 바뀌지 않았습니다."],
  [/^This will reject (\d+) signatures? with the reason (“[\s\S]*”)\. Reject them\?$/, "서명 $1건을 사유 $2(으)로 거부합니다. 거부할까요?"],
  [/^Rejected (\d+) signatures?(?: \((\d+) matched now; (\d+) at the dry run\))?\.$/,
    (tr, n, now, dry) => `서명 ${n}건을 거부했습니다${now ? ` (지금 일치 ${now}건, 모의 실행 때 ${dry}건)` : ""}.`],
  [/^(Approved|Rejected|Hidden|Unhidden): (\d+)\.(?: Skipped: (\d+) \(not found, or not in a state “\w+” applies to\)\.)?$/,
    (tr, done, n, skipped) => `${tr(done)}: ${n}건.${skipped ? ` 건너뜀: ${skipped}건 (없거나 이 작업을 할 수 없는 상태).` : ""}`],
);
KO_PATTERNS.push(
  [/^Renamed (“.+”) to (“.+”)\.$/, "$1의 이름을 $2(으)로 수정했습니다."],
  [/^Now: (.+)$/, "현재: $1"],
);

// updates to signers (updates.js), what the first pass left, and the delivery's announce
Object.assign(KO, {
  "Tell the signers who opted in to updates (\"The letter was delivered to … on … with N signatures\")": "소식 받기를 선택한 서명자에게 알리기 (\"서한이 …에 서명 N개와 함께 …에게 전달되었습니다\")",
  "Counting the reach": "받을 사람 수 세기", "Queueing the mails": "메일을 대기열에 넣기",
  "written by": "작성:", "· sent by": "· 발송:", "· sent with the delivery": "· 전달과 함께 보냄",
  "· reach not counted": "· 받을 사람 수를 세지 않음",
});
KO_PATTERNS.push(
  [/^The update in (\S+), as HTML$/, "HTML로 본 $1 소식"],
  [/^Write a subject and a message in (\S+), the letter's language\.$/, "서한의 언어인 $1(으)로 제목과 내용을 쓰세요."],
  [/^Update (\d+) goes to the ([\d,]+) signers who opted in, at the send rate\. It cannot be called back\.$/,
    "소식 $1은(는) 소식 받기를 선택한 서명자 $2명에게 발송 속도에 맞춰 갑니다. 보낸 뒤에는 되돌릴 수 없습니다."],
  [/^Update (\d+): ([\d,]+) mails queued; they go out at the send rate\.$/, "소식 $1: 메일 $2통을 대기열에 넣었습니다. 발송 속도에 맞춰 나갑니다."],
  [/^(\d+) · (draft|sending|sent|failed) ·$/, (tr, seq, state) =>
    `${seq} · ${{ draft: "초안", sending: "보내는 중", sent: "보냄", failed: "실패" }[state]} ·`],
  [/^· reaches ([\d,]+) \(counted$/, "· 받을 사람 $1명 (센 시각:"],
  [/^· ([\d,]+) queued · ([\d,]+) sent · ([\d,]+) failed · ([\d,]+) suppressed · ([\d,]+) skipped$/,
    "· 대기 $1 · 보냄 $2 · 실패 $3 · 수신 차단 $4 · 건너뜀 $5"],
);
