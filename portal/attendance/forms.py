"""The 수료 판정 button's form (CSRF-checked like every form)."""

from __future__ import annotations

from wtforms import HiddenField

from portal.core.forms import PortalForm

# Where the button sits, so the answer returns there.
BACK_ROSTER = "roster"
BACK_TEACHING = "teaching"


class JudgeForm(PortalForm):
    back = HiddenField(default=BACK_ROSTER)
