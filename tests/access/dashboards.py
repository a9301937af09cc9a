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
    "dashboards.quarterly_report": Expect(
        COORDINATION, "/manage/dashboards/quarterly-report?year=2026&quarter=4"
    ),
}
