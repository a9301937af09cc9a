"""Reading certificates: a person's own, a session's list, and a number's public record."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, select

from portal.attendance.models import Completion, CompletionStatus
from portal.certificates.models import Certificate
from portal.db import db
from portal.users.models import User


def certificates_for(user_id: int, session_ids: Iterable[int]) -> dict[int, Certificate]:
    """The person's certificates (revoked ones included) of these sessions, by session id.

    For "my learning": one query for a page of rows. A revoked certificate is returned so
    the row can say so; ``_my_learning_cell.html`` offers a download only for valid ones.
    """
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    rows = db.session.scalars(_certificates_statement(), {"user_id": user_id, "session_ids": ids})
    return {row.session_id: row for row in rows}


@functools.cache
def _certificates_statement() -> Select:
    # Built once ("나의 학습" runs it on every visit), the sessions as an expanding parameter.
    return select(Certificate).where(
        Certificate.user_id == bindparam("user_id"),
        Certificate.session_id.in_(bindparam("session_ids", expanding=True)),
    )


def own_certificate(user_id: int, certificate_id: int) -> Certificate | None:
    """The person's own valid certificate; None for anyone else's, or a revoked one."""
    return db.session.scalar(
        select(Certificate).where(
            Certificate.id == certificate_id,
            Certificate.user_id == user_id,
            Certificate.revoked_at.is_(None),
        )
    )


def by_number(number: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.number == number))


@dataclass(frozen=True)
class SessionCertificates:
    certificates: list[Certificate]
    # Completed people without a (valid or revoked) certificate yet: (completion, user).
    missing: list[tuple[Completion, User]]

    @property
    def valid_count(self) -> int:
        return sum(1 for c in self.certificates if c.revoked_at is None)


def session_certificates(session_id: int) -> SessionCertificates:
    certificates = list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.session_id == session_id)
            .order_by(Certificate.number)
        )
    )
    have = {c.user_id for c in certificates}
    missing = [
        (completion, user)
        for completion, user in db.session.execute(
            select(Completion, User)
            .join(User, User.id == Completion.user_id)
            .where(
                Completion.session_id == session_id,
                Completion.status == CompletionStatus.COMPLETED,
            )
            .order_by(User.name, User.id)
        )
        if user.id not in have
    ]
    return SessionCertificates(certificates=certificates, missing=missing)
