"""Routes of the coordinators' dashboards (교육 현황): coordinators and admins only.

The figures themselves and the department scoping are tested in
tests/functional/test_dashboards.py.
"""

from tests.access import COORDINATION, Expect

ROUTES = {
    "dashboards.index": Expect(COORDINATION, "/manage/dashboards/"),
    "dashboards.adoption": Expect(COORDINATION, "/manage/dashboards/adoption"),
    "dashboards.departments": Expect(COORDINATION, "/manage/dashboards/departments"),
    "dashboards.sessions": Expect(COORDINATION, "/manage/dashboards/sessions"),
    "dashboards.sandbox": Expect(COORDINATION, "/manage/dashboards/sandbox"),
}
