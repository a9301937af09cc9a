"""Survey responses keep the sum and count of their scores (issue 11)

The sessions dashboard summed satisfaction by unpacking every response's JSON on each
request (about 400 ms at 83,000 responses on either database). Responses never change,
so the sum and count are stored when a response is written; this backfills them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:50:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 2000


def _scores(answers) -> list[int]:
    if isinstance(answers, str):
        answers = json.loads(answers)
    if not isinstance(answers, dict):
        return []
    return [v for v in answers.values() if type(v) is int and 1 <= v <= 5]


def upgrade() -> None:
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answer_total", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("answer_count", sa.Integer(), server_default="0", nullable=False)
        )
    bind = op.get_bind()
    responses = sa.table(
        "survey_responses",
        sa.column("key", sa.String),
        sa.column("answers", sa.JSON),
        sa.column("answer_total", sa.Integer),
        sa.column("answer_count", sa.Integer),
    )
    last = ""
    while True:
        rows = bind.execute(
            sa.select(responses.c.key, responses.c.answers)
            .where(responses.c.key > last)
            .order_by(responses.c.key)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            responses.update()
            .where(responses.c.key == sa.bindparam("row_key"))
            .values(answer_total=sa.bindparam("total"), answer_count=sa.bindparam("count")),
            [
                {"row_key": key, "total": sum(_scores(answers)), "count": len(_scores(answers))}
                for key, answers in rows
            ],
        )
        last = rows[-1][0]
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_responses_session_scores",
            ["session_id", "answer_total", "answer_count"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_responses_session_scores")
        batch_op.drop_column("answer_count")
        batch_op.drop_column("answer_total")
