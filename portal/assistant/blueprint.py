"""The sandbox's blueprints.

View modules register their routes on these, so that no view module imports another:
``workspace/views.py`` and ``review/views.py`` share ``bp`` (``assistant.*``, under
/practice), ``review/views.py`` and ``manage/views.py`` share ``manage_bp``
(``practice_manage.*``, under /practice/manage). The app factory imports the view modules
and then registers these.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assistant", __name__, url_prefix="/practice")
manage_bp = Blueprint("practice_manage", __name__, url_prefix="/practice/manage")
