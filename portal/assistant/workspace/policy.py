"""The AI-use policy: staff accept each version once before using the sandbox."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.assistant.models import (
    PolicyAcceptance,
)
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db


def policy_version() -> str:
    return current_app.config["ASSISTANT_POLICY_VERSION"]


def has_accepted_policy(user_id: int) -> bool:
    return (
        db.session.scalar(
            select(PolicyAcceptance.id).where(
                PolicyAcceptance.user_id == user_id,
                PolicyAcceptance.policy_version == policy_version(),
            )
        )
        is not None
    )


def accept_policy(user_id: int) -> None:
    if has_accepted_policy(user_id):
        return
    acceptance = PolicyAcceptance(
        user_id=user_id, policy_version=policy_version(), accepted_at=utcnow()
    )
    try:
        with db.session.begin_nested():  # a double click in two tabs: the first one counts
            db.session.add(acceptance)
    except IntegrityError:
        return
    record(
        "assistant.policy_accepted",
        target_type="user",
        target_id=user_id,
        details={"policy_version": acceptance.policy_version},
    )
