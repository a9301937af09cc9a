"""Forms for coordinator session management. Times are entered in Asia/Seoul."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.clock import SEOUL
from portal.core.forms import PortalForm
from portal.scheduling import operations
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.scheduling.operations import SessionInput
from portal.scheduling.queries import SessionFilters, course_choices, instructor_choices

NO_INSTRUCTOR = 0
ANY = ""

STATUS_LABELS = {
    SessionStatus.SCHEDULED: _l("예정"),
    SessionStatus.CANCELLED: _l("취소됨"),
    SessionStatus.FINISHED: _l("종료"),
}
PERIOD_CHOICES = [
    SelectChoice(ANY, _l("전체")),
    SelectChoice("upcoming", _l("예정된 차수")),
    SelectChoice("past", _l("지난 차수")),
]


def seoul_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    """A date and wall-clock time in Seoul as an aware UTC datetime."""
    return dt.datetime.combine(day, time, tzinfo=SEOUL).astimezone(dt.UTC)


def _combined(day_field: DateField, time_field: TimeField) -> dt.datetime | None:
    if day_field.data is None or time_field.data is None:
        return None
    return seoul_to_utc(day_field.data, time_field.data)


def _fill(day_field: DateField, time_field: TimeField, value: dt.datetime | None) -> None:
    if value is None:
        return
    local = value.astimezone(SEOUL)
    day_field.data = local.date()
    time_field.data = local.time().replace(second=0, microsecond=0)


def _required(message):
    return [DataRequired(message)]


class SessionForm(PortalForm):
    course_id = SelectField(_l("교육과정"), coerce=int)
    round_number = IntegerField(
        _l("차수"),
        validators=[
            Optional(),
            NumberRange(1, 9999, _l("차수는 %(min)s에서 %(max)s 사이로 입력해 주세요.")),
        ],
    )
    starts_on = DateField(_l("시작 날짜"), validators=_required(_l("시작 날짜를 입력해 주세요.")))
    starts_time = TimeField(_l("시작 시각"), validators=_required(_l("시작 시각을 입력해 주세요.")))
    ends_on = DateField(_l("종료 날짜"), validators=_required(_l("종료 날짜를 입력해 주세요.")))
    ends_time = TimeField(_l("종료 시각"), validators=_required(_l("종료 시각을 입력해 주세요.")))
    place = StringField(_l("장소"), validators=[Optional(), Length(max=operations.MAX_PLACE)])
    online_url = StringField(
        _l("온라인 링크"), validators=[Optional(), Length(max=operations.MAX_URL)]
    )
    instructor_id = SelectField(_l("강사"), coerce=int)
    capacity = IntegerField(
        _l("정원"),
        validators=[
            InputRequired(_l("정원을 입력해 주세요.")),
            NumberRange(
                1,
                operations.MAX_CAPACITY,
                _l("정원은 %(min)s명에서 %(max)s명 사이로 입력해 주세요."),
            ),
        ],
    )
    enrol_opens_on = DateField(_l("신청 시작 날짜"), validators=[Optional()])
    enrol_opens_time = TimeField(_l("신청 시작 시각"), validators=[Optional()])
    enrol_closes_on = DateField(_l("신청 마감 날짜"), validators=[Optional()])
    enrol_closes_time = TimeField(_l("신청 마감 시각"), validators=[Optional()])
    cancel_deadline_on = DateField(_l("취소 마감 날짜"), validators=[Optional()])
    cancel_deadline_time = TimeField(_l("취소 마감 시각"), validators=[Optional()])
    notes = TextAreaField(_l("메모"), validators=[Optional(), Length(max=operations.MAX_NOTES)])

    # Optional moments: a date and a time that must come together.
    PAIRS = (
        ("enrol_opens_on", "enrol_opens_time"),
        ("enrol_closes_on", "enrol_closes_time"),
        ("cancel_deadline_on", "cancel_deadline_time"),
    )

    def set_choices(
        self, *, course_id: int | None = None, instructor_id: int | None = None
    ) -> None:
        """Active courses and instructors; a session's current ones stay selectable."""
        self.course_id.choices = [
            SelectChoice(str(i), title) for i, title in course_choices(include_id=course_id)
        ]
        self.instructor_id.choices = [
            SelectChoice(str(NO_INSTRUCTOR), _l("미정")),
            *(
                SelectChoice(str(i), label)
                for i, label in instructor_choices(include_id=instructor_id)
            ),
        ]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for day_name, time_name in self.PAIRS:
            day, time = getattr(self, day_name), getattr(self, time_name)
            if (day.data is None) != (time.data is None) and not (day.errors or time.errors):
                missing = time if day.data is not None else day
                missing.errors = [*missing.errors, _l("날짜와 시각을 함께 입력해 주세요.")]
                ok = False
        return ok

    def fill_from(self, session: TrainingSession) -> None:
        """Show a stored session in Seoul time."""
        self.course_id.data = session.course_id
        self.round_number.data = session.round_number
        _fill(self.starts_on, self.starts_time, session.starts_at)
        _fill(self.ends_on, self.ends_time, session.ends_at)
        self.place.data = session.place
        self.online_url.data = session.online_url
        self.instructor_id.data = session.instructor_id or NO_INSTRUCTOR
        self.capacity.data = session.capacity
        _fill(self.enrol_opens_on, self.enrol_opens_time, session.enrol_opens_at)
        _fill(self.enrol_closes_on, self.enrol_closes_time, session.enrol_closes_at)
        _fill(self.cancel_deadline_on, self.cancel_deadline_time, session.cancel_deadline_at)
        self.notes.data = session.notes

    def to_input(self) -> SessionInput:
        starts_at = _combined(self.starts_on, self.starts_time)
        ends_at = _combined(self.ends_on, self.ends_time)
        assert starts_at is not None and ends_at is not None  # required fields
        return SessionInput(
            course_id=self.course_id.data,
            round_number=self.round_number.data,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=self.capacity.data or 0,
            place=self.place.data or "",
            online_url=self.online_url.data or "",
            instructor_id=self.instructor_id.data or None,
            enrol_opens_at=_combined(self.enrol_opens_on, self.enrol_opens_time),
            enrol_closes_at=_combined(self.enrol_closes_on, self.enrol_closes_time),
            cancel_deadline_at=_combined(self.cancel_deadline_on, self.cancel_deadline_time),
            notes=self.notes.data or "",
        )


class CancelSessionForm(PortalForm):
    reason = TextAreaField(
        _l("취소 사유"),
        validators=[
            DataRequired(_l("취소 사유를 입력해 주세요. 신청자에게 안내됩니다.")),
            Length(max=operations.MAX_REASON),
        ],
    )


class SessionFilterForm(PortalForm):
    """The list's search toolbar (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    course = SelectField(_l("교육과정"), coerce=str, validators=[Optional()])
    status = SelectField(
        _l("상태"),
        choices=[
            SelectChoice(ANY, _l("전체")),
            *(SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()),
        ],
        validators=[Optional()],
    )
    period = SelectField(_l("기간 구분"), choices=PERIOD_CHOICES, validators=[Optional()])
    from_on = DateField(_l("시작일부터"), validators=[Optional()])
    to_on = DateField(_l("시작일까지"), validators=[Optional()])

    def set_course_choices(self) -> None:
        self.course.choices = [
            SelectChoice(ANY, _l("전체")),
            *(SelectChoice(str(i), title) for i, title in course_choices(active_only=False)),
        ]

    def cleaned(self) -> tuple[SessionFilters, dict[str, str]]:
        """The filters that passed validation, and the same as query arguments for paging.

        A tampered or malformed value is simply ignored.
        """
        self.validate()
        good = {
            name: getattr(self, name)
            for name in ("course", "status", "period", "from_on", "to_on")
            if not getattr(self, name).errors and getattr(self, name).data
        }
        from_on = good["from_on"].data if "from_on" in good else None
        to_on = good["to_on"].data if "to_on" in good else None
        filters = SessionFilters(
            course_id=int(good["course"].data) if "course" in good else None,
            status=SessionStatus(good["status"].data) if "status" in good else None,
            period=good["period"].data if "period" in good else "",
            from_on=from_on,
            to_on=to_on,
        )
        args = {
            name: f.data.isoformat() if isinstance(f.data, dt.date) else str(f.data)
            for name, f in good.items()
        }
        return filters, args
