"""The words of the emails, in the signer's page language (English or Korean)."""
from __future__ import annotations

from typing import Optional

TEXT = {
    "en": {
        "subject": "Confirm your signature: {title}",
        "body": ("Thank you for signing \"{title}\" as {name}.\n\n"
                 "To confirm your signature, open this link:\n\n{confirm}\n\n"
                 "The link works for {hours} hours. Your name is listed only after you confirm. "
                 "Your email address is never shown.\n\n"
                 "If you did not sign, ignore this message: nothing will be published.\n"),
        "already_subject": "You have already signed: {title}",
        "already": ("This email address has already signed \"{title}\" as {name}. There is "
                    "nothing more to do.\n\n"
                    "If you did not sign, or want your name taken off, open this link:\n\n"
                    "{withdraw}\n"),
        "already_nolink": ("This email address has already signed \"{title}\" as {name}. There is "
                           "nothing more to do. To take your name off, use the link in the first "
                           "email you received.\n"),
        "footer": ("\n--\nSent for {name}, who organise this letter. Questions: {contact}\n"
                   "Data controller: {controller}. Privacy notice: {privacy}\n"),
        "withdraw": ("\nChanged your mind later? This link takes your name off the letter and "
                     "deletes your details:\n\n{withdraw}\n"),
        "added_subject": "You were added to: {title}",
        "added": ("The organisers of \"{title}\" have added you as {name}, from the sign-ons "
                  "they collected before the online form. There is nothing to do.\n\n"
                  "If you did not agree to sign, or want your name taken off, open this link: "
                  "it takes your name off the letter and deletes your details.\n\n{withdraw}\n"),
        "reminder_subject": "Reminder: confirm your signature: {title}",
        "reminder": ("This is a reminder. You signed \"{title}\" as {name}, but your signature "
                     "is not confirmed yet, so your name is not listed.\n\n"
                     "To confirm it, open this link:\n\n{confirm}\n\n"
                     "The link works until {until} UTC. Your email address is never shown.\n\n"
                     "If you did not sign, or have changed your mind, ignore this message: "
                     "nothing will be published.\n"),
    },
    "ko": {
        "subject": "서명을 확인해 주세요: {title}",
        "body": ("\"{title}\"에 {name}(으)로 서명해 주셔서 감사합니다.\n\n"
                 "서명을 확인하려면 다음 링크를 여세요:\n\n{confirm}\n\n"
                 "링크는 {hours}시간 동안 유효합니다. 확인한 뒤에만 이름이 게재됩니다. "
                 "이메일 주소는 공개되지 않습니다.\n\n"
                 "서명하지 않으셨다면 이 메일을 무시하세요. 아무것도 게재되지 않습니다.\n"),
        "already_subject": "이미 서명하셨습니다: {title}",
        "already": ("이 이메일 주소로 \"{title}\"에 이미 {name}(으)로 서명하셨습니다. 다시 서명할 "
                    "필요는 없습니다.\n\n"
                    "직접 서명하지 않으셨거나 이름을 빼고 싶으시면 이 링크를 여세요:\n\n{withdraw}\n"),
        "already_nolink": ("이 이메일 주소로 \"{title}\"에 이미 {name}(으)로 서명하셨습니다. 다시 "
                           "서명할 필요는 없습니다. 이름을 빼려면 처음 받은 메일의 링크를 쓰세요.\n"),
        "footer": ("\n--\n이 메일은 서한을 주최하는 {name}을(를) 대신해 보냈습니다. 문의: {contact}\n"
                   "개인정보 처리 책임자: {controller}. 개인정보 처리방침: {privacy}\n"),
        "withdraw": ("\n나중에 마음이 바뀌면 이 링크로 서한에서 이름을 빼고 정보를 삭제할 수 "
                     "있습니다:\n\n{withdraw}\n"),
        "added_subject": "서명자로 추가되었습니다: {title}",
        "added": ("\"{title}\"의 주최 측이 온라인 양식 이전에 모은 서명에 따라 {name}(으)로 "
                  "추가했습니다. 하실 일은 없습니다.\n\n"
                  "서명에 동의하지 않으셨거나 이름을 빼고 싶으시면 이 링크를 여세요. 서한에서 이름을 "
                  "빼고 정보를 삭제합니다:\n\n{withdraw}\n"),
        "reminder_subject": "다시 알려 드립니다. 서명을 확인해 주세요: {title}",
        "reminder": ("다시 알려 드리는 메일입니다. \"{title}\"에 {name}(으)로 서명하셨지만 아직 "
                     "확인되지 않아 이름이 게재되지 않았습니다.\n\n"
                     "서명을 확인하려면 다음 링크를 여세요:\n\n{confirm}\n\n"
                     "링크는 {until}(UTC)까지 유효합니다. 이메일 주소는 공개되지 않습니다.\n\n"
                     "서명하지 않으셨거나 마음이 바뀌셨다면 이 메일을 무시하세요. 아무것도 "
                     "게재되지 않습니다.\n"),
    },
}


def confirmation(letter: dict, language: str, site: str, confirm_token: str,
                 withdraw_token: Optional[str], hours: int, name: str) -> tuple[str, str]:
    """(subject, body) of the confirmation email; links carry their token in the fragment."""
    t = TEXT.get(language, TEXT["en"])
    title = letter["title"][:120]
    body = t["body"].format(title=letter["title"], hours=hours, name=name,
                            confirm=f"{site}/confirm.html#token={confirm_token}")
    if withdraw_token:
        body += t["withdraw"].format(withdraw=f"{site}/withdraw.html#token={withdraw_token}")
    return t["subject"].format(title=title), body


def already_signed(letter: dict, language: str, site: str, name: str,
                   withdraw_token: Optional[str]) -> tuple[str, str]:
    """(subject, body) of the mail to an address that signs a letter it has signed already."""
    t = TEXT.get(language, TEXT["en"])
    if withdraw_token:
        body = t["already"].format(title=letter["title"], name=name,
                                   withdraw=f"{site}/withdraw.html#token={withdraw_token}")
    else:
        body = t["already_nolink"].format(title=letter["title"], name=name)
    return t["already_subject"].format(title=letter["title"][:120]), body


def organisers_footer(organisers: dict, language: str) -> str:
    """Who sends the mail, for its reader: empty when the letter names no organisers (the
    mail then claims no one)."""
    if not organisers:
        return ""
    t = TEXT.get(language, TEXT["en"])
    return t["footer"].format(name=organisers["name"], contact=organisers["contact_email"],
                              controller=organisers["controller"],
                              privacy=organisers["privacy_url"])


def added(letter: dict, language: str, site: str, name: str,
          withdraw_token: Optional[str]) -> tuple[str, str]:
    """(subject, body) of the mail to an imported signer: added, and how to withdraw."""
    t = TEXT.get(language, TEXT["en"])
    body = t["added"].format(title=letter["title"], name=name,
                             withdraw=f"{site}/withdraw.html#token={withdraw_token}")
    return t["added_subject"].format(title=letter["title"][:120]), body


def reminder(letter: dict, language: str, site: str, confirm_token: str, expires_at: str,
             name: str) -> tuple[str, str]:
    """(subject, body) of the reminder to a signer who has not confirmed: their link again,
    and when it expires (`expires_at`: ISO, UTC)."""
    t = TEXT.get(language, TEXT["en"])
    body = t["reminder"].format(title=letter["title"], name=name,
                                until=expires_at[:16].replace("T", " "),
                                confirm=f"{site}/confirm.html#token={confirm_token}")
    return t["reminder_subject"].format(title=letter["title"][:120]), body
