"""Korean labels of the idea enums (lazy strings, shown in the user's language)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.ideas.models import IdeaDataGrade, IdeaStatus, NextStep

STATUS_LABELS = {
    IdeaStatus.RECEIVED: _l("접수"),
    IdeaStatus.REVIEWING: _l("검토 중"),
    IdeaStatus.CONSULTING: _l("컨설팅 배정"),
    IdeaStatus.DONE: _l("완료"),
    IdeaStatus.ON_HOLD: _l("보류"),
}
GRADE_LABELS = {
    IdeaDataGrade.PUBLIC: _l("공개"),
    IdeaDataGrade.SENSITIVE: _l("민감"),
    IdeaDataGrade.CONFIDENTIAL: _l("기밀"),
}
NEXT_STEP_LABELS = {
    NextStep.PILOT: _l("시범 운영"),
    NextStep.DATA_PREPARATION: _l("데이터 준비"),
    NextStep.NOT_FEASIBLE: _l("추진 어려움"),
}
