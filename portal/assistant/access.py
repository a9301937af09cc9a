"""Access helpers shared by the sandbox's view modules.

Every draft, conversation and message is looked up together with its owner, so changing
an id in a URL reaches nobody else's work: someone else's id gives 404, the same as a
missing one.
"""

from __future__ import annotations

import functools

from flask import abort, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.assistant.models import AssistantMessage, Conversation, Draft
from portal.assistant.workspace.conversations import conversation_for
from portal.assistant.workspace.policy import has_accepted_policy
from portal.core import inputs
from portal.db import db
from portal.users.models import User


def page_number() -> int:
    """The ?page= of a paginated list, at least 1."""
    return inputs.query_page()


def me() -> User:
    """The caller as a User row of this request's session."""
    return db.session.get(User, current_user.id)


def policy_required(view):
    """Send users who have not accepted the current AI-use policy to it first."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not has_accepted_policy(current_user.id):
            if request.accept_mimetypes.best == "application/json" or request.is_json:
                return jsonify(message=_("먼저 AI 활용 수칙에 동의하세요.")), 403
            return redirect(url_for("assistant.policy", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def own_draft(draft_id: int) -> Draft:
    draft = db.session.scalar(
        select(Draft).where(Draft.id == draft_id, Draft.user_id == current_user.id)
    )
    return draft or abort(404)


def own_answer(message_id: int) -> tuple[AssistantMessage, Conversation]:
    row = db.session.execute(
        select(AssistantMessage, Conversation)
        .join(Conversation, Conversation.id == AssistantMessage.conversation_id)
        .where(
            AssistantMessage.id == message_id,
            AssistantMessage.role == "assistant",
            Conversation.user_id == current_user.id,
        )
    ).first()
    return row if row else abort(404)


def own_conversation(draft: Draft) -> Conversation:
    return conversation_for(draft) or abort(404)
