"""Forms for the department admin screens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.core.forms import PortalForm
from portal.org.models import DepartmentKind
from portal.org.operations import DepartmentInput, department_choices

NO_PARENT = 0

KIND_LABELS = {
    DepartmentKind.BUREAU: _l("실·국 (최상위)"),
    DepartmentKind.DIVISION: _l("과·담당관 (실·국 아래)"),
    DepartmentKind.TEAM: _l("팀 (과 아래)"),
}


class DepartmentForm(PortalForm):
    code = StringField(
        _l("부서 코드"),
        validators=[DataRequired(_l("부서 코드를 입력해 주세요.")), Length(max=20)],
    )
    name = StringField(
        _l("부서명"), validators=[DataRequired(_l("부서명을 입력해 주세요.")), Length(max=100)]
    )
    kind = SelectField(
        _l("부서 단위"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
    )
    parent_id = SelectField(_l("상위 부서"), coerce=int)

    def set_parent_choices(self, *, current_parent_id: int | None = None) -> None:
        """Only 실·국 and 과 can hold others; a record's current parent stays selectable."""
        include = [current_parent_id] if current_parent_id else []
        parents = department_choices(
            kinds=(DepartmentKind.BUREAU, DepartmentKind.DIVISION), include_ids=include
        )
        self.parent_id.choices = [
            SelectChoice(str(NO_PARENT), _l("없음 (실·국은 상위 부서가 없습니다)")),
            *(SelectChoice(str(dept_id), label) for dept_id, label in parents),
        ]

    def wants_active(self) -> bool:
        return True

    def to_input(self) -> DepartmentInput:
        return DepartmentInput(
            code=self.code.data or "",
            name=self.name.data or "",
            kind=DepartmentKind(self.kind.data),
            parent_id=self.parent_id.data or None,
            is_active=self.wants_active(),
        )


class EditDepartmentForm(DepartmentForm):
    is_active = BooleanField(_l("사용 중인 부서"))

    def wants_active(self) -> bool:
        return bool(self.is_active.data)
