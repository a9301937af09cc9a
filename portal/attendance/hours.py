"""The learning-hours ledger (상시학습): outside learning people report, and its review.

Portal completions reach the ledger already approved (the completion code writes them);
this module handles the lines a person adds for learning done elsewhere (나라배움터, the
provincial institute…): the evidence file is checked by its content, never by its name or
the browser's content type; a coordinator approves or declines each one with a reason;
every change is audited and the person is notified. Operations flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal.attendance.models import (
    HoursEntry,
    HoursEvidence,
    HoursSource,
    HoursStatus,
)
from portal.audit.operations import record
from portal.core.clock import SEOUL, today_in_seoul, utcnow
from portal.core.templating import hours_text
from portal.db import db
from portal.notifications.operations import Message, notify
from portal.users.models import Role, User

LEDGER_PATH = "/hours/"
REVIEWERS = frozenset({Role.COORDINATOR, Role.ADMIN})

MAX_ENTRY_HOURS = Decimal("200")
MIN_ENTRY_HOURS = Decimal("0.5")
TITLE_MAX = 200
PROVIDER_MAX = 100
REASON_MAX = 500

# Where outside learning happens. The stored provider is the name itself (a proper noun).
PROVIDERS: dict[str, str] = {
    "narabaeumteo": "나라배움터",
    "provincial": "지방행정연수원",
    "sejong": "세종시 공무원교육원",
}
OTHER_PROVIDER = "other"

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
TYPE_LABELS = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG"}
# Images larger than this many pixels are not evidence anyone needs (and could be a bomb).
MAX_IMAGE_PIXELS = 60_000_000

STATUS_LABELS = {
    HoursStatus.PENDING: _l("승인 대기"),
    HoursStatus.APPROVED: _l("인정"),
    HoursStatus.DECLINED: _l("반려"),
}
SOURCE_LABELS = {
    HoursSource.PORTAL: _l("포털 교육 수료"),
    HoursSource.EXTERNAL: _l("외부 학습"),
}


class HoursError(ValueError):
    """A refused ledger change; the message is for the person, in their language."""


def seoul_year(moment: dt.datetime) -> int:
    """The ledger year of an instant: the calendar year in Asia/Seoul (31 Dec 23:30 KST is
    still that year, although it is already 14:30 UTC)."""
    return moment.astimezone(SEOUL).year


def earliest_completion_day(today: dt.date | None = None) -> dt.date:
    """Outside learning may be reported from 1 January of last year up to today."""
    today = today or today_in_seoul()
    return dt.date(today.year - 1, 1, 1)


# --- evidence files ---------------------------------------------------------------------


def detect_evidence_type(content: bytes) -> str | None:
    """PDF, PNG or JPEG judged by the bytes themselves, or None for anything else.

    A PDF must start with its header and carry an end-of-file marker near its end. An
    image must be decodable by Pillow as the format its signature claims, within a pixel
    budget, so a text or program file renamed .png is refused.
    """
    if content.startswith(b"%PDF-"):
        return PDF if b"%%EOF" in content[-2048:] else None
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG if _image_is(content, "PNG") else None
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG if _image_is(content, "JPEG") else None
    return None


def _image_is(content: bytes, expected: str) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[expected]) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > MAX_IMAGE_PIXELS:
                    return False
                image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        return False
    return True


_UNSAFE_NAME = re.compile(r"[^\w.\- ()\[\]가-힣]+")


def safe_filename(name: str | None, content_type: str) -> str:
    """A file name fit to show and to send back: no path, no odd characters, the extension
    of the detected type (whatever the uploaded name claimed)."""
    base = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE_NAME.sub("_", stem).strip(" ._") or "evidence"
    return f"{stem[:100]}.{EXTENSIONS[content_type]}"


# --- operations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntry:
    title: str
    provider: str
    completed_on: dt.date
    hours: Decimal
    filename: str
    content: bytes


def add_external(user: User, new: NewEntry, *, max_bytes: int) -> HoursEntry:
    """Record outside learning with its evidence, pending a coordinator's decision."""
    title = new.title.strip()
    provider = new.provider.strip()
    if not title or len(title) > TITLE_MAX:
        raise HoursError(_("교육명을 %(n)d자 이내로 입력해 주세요.", n=TITLE_MAX))
    if not provider or len(provider) > PROVIDER_MAX:
        raise HoursError(_("교육기관을 %(n)d자 이내로 입력해 주세요.", n=PROVIDER_MAX))
    check_completion_day(new.completed_on)
    check_hours(new.hours)
    if not new.content:
        raise HoursError(_("빈 파일입니다. 증빙 파일을 확인해 주세요."))
    if len(new.content) > max_bytes:
        raise HoursError(too_large_message(max_bytes))
    content_type = detect_evidence_type(new.content)
    if content_type is None:
        raise HoursError(
            _(
                "증빙 파일은 PDF, PNG, JPEG만 올릴 수 있습니다. 파일 이름의 확장자가 아니라 내용으로 확인하므로, 수료증을 PDF로 저장하거나 사진(PNG·JPEG)으로 찍어 올려 주세요."
            )
        )
    now = utcnow()
    entry = HoursEntry(
        user_id=user.id,
        year=new.completed_on.year,
        source=HoursSource.EXTERNAL,
        status=HoursStatus.PENDING,
        hours=new.hours,
        title=title,
        provider=provider,
        completed_on=new.completed_on,
        created_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    db.session.add(
        HoursEvidence(
            entry_id=entry.id,
            filename=safe_filename(new.filename, content_type),
            content_type=content_type,
            size=len(new.content),
            sha256=hashlib.sha256(new.content).hexdigest(),
            data=new.content,
            uploaded_at=now,
        )
    )
    db.session.flush()
    record(
        "hours.submitted",
        target_type="hours_entry",
        target_id=entry.id,
        details={"hours": str(entry.hours), "year": entry.year, "content_type": content_type},
    )
    return entry


def too_large_message(max_bytes: int) -> str:
    return _(
        "증빙 파일이 너무 큽니다. %(mb).1f MB 이하로 올려 주세요. 스캔한 파일이라면 해상도를 낮춰 다시 저장해 보세요.",
        mb=max_bytes / 1024 / 1024,
    )


def check_completion_day(day: dt.date) -> None:
    today = today_in_seoul()
    if day > today:
        raise HoursError(_("수료일은 오늘 이후일 수 없습니다."))
    earliest = earliest_completion_day(today)
    if day < earliest:
        raise HoursError(
            _(
                "%(first)s 이후에 마친 교육만 등록할 수 있습니다.",
                first=earliest.isoformat(),
            )
        )


def check_hours(hours: Decimal) -> None:
    if not hours.is_finite() or not MIN_ENTRY_HOURS <= hours <= MAX_ENTRY_HOURS:
        raise HoursError(
            _(
                "학습 시간은 %(low)s시간부터 %(high)s시간 사이로 입력해 주세요.",
                low=str(MIN_ENTRY_HOURS),
                high=str(MAX_ENTRY_HOURS),
            )
        )
    if hours != hours.quantize(Decimal("0.1")):
        raise HoursError(_("학습 시간은 소수점 한 자리까지 입력해 주세요."))


def _owned_entry(entry_id: int, user_id: int, *, lock: bool = False) -> HoursEntry | None:
    stmt = select(HoursEntry).where(HoursEntry.id == entry_id, HoursEntry.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def withdraw(entry_id: int, user: User) -> bool:
    """Delete the person's own pending outside entry; False if there is no such entry."""
    entry = _owned_entry(entry_id, user.id, lock=True)
    if entry is None:
        return False
    if entry.source is not HoursSource.EXTERNAL or entry.status is not HoursStatus.PENDING:
        raise HoursError(_("승인 대기 중인 외부 학습만 철회할 수 있습니다."))
    details = {"hours": str(entry.hours), "year": entry.year}
    db.session.execute(delete(HoursEvidence).where(HoursEvidence.entry_id == entry.id))
    db.session.delete(entry)
    db.session.flush()
    record("hours.withdrawn", target_type="hours_entry", target_id=entry_id, details=details)
    return True


def decide(entry_id: int, reviewer: User, *, approve: bool, reason: str) -> HoursEntry | None:
    """Approve or decline a pending outside entry; None if there is no such entry.

    Declining needs a reason; the person sees it. A reviewer does not decide their own entry.
    """
    entry = db.session.scalar(select(HoursEntry).where(HoursEntry.id == entry_id).with_for_update())
    if entry is None or entry.source is not HoursSource.EXTERNAL:
        return None
    reason = reason.strip()
    if entry.status is not HoursStatus.PENDING:
        raise HoursError(_("이미 처리된 신청입니다. 목록을 새로 고쳐 확인해 주세요."))
    if entry.user_id == reviewer.id:
        raise HoursError(_("본인의 신청은 다른 교육 담당자가 처리해야 합니다."))
    if not approve and not reason:
        raise HoursError(_("반려할 때는 사유를 입력해 주세요. 신청한 분에게 그대로 전달됩니다."))
    if len(reason) > REASON_MAX:
        raise HoursError(_("사유는 %(n)d자 이내로 입력해 주세요.", n=REASON_MAX))
    entry.status = HoursStatus.APPROVED if approve else HoursStatus.DECLINED
    entry.decided_by_id = reviewer.id
    entry.decided_at = utcnow()
    entry.decision_reason = reason
    db.session.flush()
    record(
        "hours.approved" if approve else "hours.declined",
        target_type="hours_entry",
        target_id=entry.id,
        details={
            "user_id": entry.user_id,
            "hours": str(entry.hours),
            "year": entry.year,
            "reason": reason,
        },
    )
    person = db.session.get(User, entry.user_id)
    if person is not None:
        notify(person, lambda: _decision_message(entry, approve))
    return entry


def _decision_message(entry: HoursEntry, approved: bool) -> Message:
    if approved:
        title = _("상시학습 시간이 인정되었습니다: %(title)s", title=entry.title)
        body = _(
            "%(year)d년 상시학습 시간에 %(hours)s시간이 더해졌습니다.",
            year=entry.year,
            hours=hours_text(entry.hours),
        )
    else:
        title = _("상시학습 시간 신청이 반려되었습니다: %(title)s", title=entry.title)
        body = _(
            "신청한 %(hours)s시간이 인정되지 않았습니다. 사유를 확인하고, 필요하면 증빙을 보완해 다시 신청해 주세요.",
            hours=hours_text(entry.hours),
        )
    if entry.decision_reason:
        body += "\n" + _("사유: %(reason)s", reason=entry.decision_reason)
    return Message(
        kind=f"hours.{'approved' if approved else 'declined'}",
        title=title,
        body=body,
        link=LEDGER_PATH,
    )


def open_evidence(entry_id: int, viewer: User) -> HoursEvidence | None:
    """The evidence of an entry, for its owner or a reviewer; None for anyone else.

    A reviewer opening someone's evidence is a view of personal data and is audited.
    """
    owner_id = db.session.scalar(select(HoursEntry.user_id).where(HoursEntry.id == entry_id))
    if owner_id is None:
        return None
    if owner_id != viewer.id and viewer.role not in REVIEWERS:
        return None
    evidence = db.session.scalar(select(HoursEvidence).where(HoursEvidence.entry_id == entry_id))
    if evidence is None:
        return None
    if owner_id != viewer.id:
        record(
            "hours.evidence_viewed",
            target_type="hours_entry",
            target_id=entry_id,
            details={"user_id": owner_id},
        )
    return evidence
