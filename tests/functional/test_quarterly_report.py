"""The quarter filter of the dashboards and the quarterly one-page PDF built on it.

The fixture organisation is the dashboards' own (tests/functional/test_dashboards.py): its
sessions start in April and May (Q2), its sandbox messages are from July and August
(Q3), and its exercises were submitted in September (Q3).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from portal.dashboards import queries
from portal.dashboards.filters import Filters
from portal.dashboards.quarterly import build, pct
from portal.db import db
from portal.users.models import Role
from tests.functional.test_dashboards import YEAR, build_org

REPORT = "/manage/dashboards/quarterly-report"


@pytest.fixture
def org(app):
    with app.app_context():
        built = build_org()
        db.session.commit()
    return built


def _pdf_text(body: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(body))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


# ----------------------------------------------------------------------- the period


@pytest.mark.parametrize(
    ("quarter", "first", "last"),
    [
        (None, dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        (1, dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
        (2, dt.date(2025, 4, 1), dt.date(2025, 6, 30)),
        (3, dt.date(2025, 7, 1), dt.date(2025, 9, 30)),
        (4, dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
    ],
)
def test_a_quarter_is_three_calendar_months_in_seoul(quarter, first, last):
    filters = Filters(2025, quarter=quarter)
    assert (filters.first_day, filters.last_day) == (first, last)
    # Midnight in Seoul is 15:00 UTC the day before.
    assert filters.starts_at == dt.datetime(
        first.year, first.month, first.day, tzinfo=dt.UTC
    ) - dt.timedelta(hours=9)
    after = last + dt.timedelta(days=1)
    assert filters.ends_at == dt.datetime(
        after.year, after.month, after.day, tzinfo=dt.UTC
    ) - dt.timedelta(hours=9)


def test_the_quarter_narrows_every_dashboard_to_its_months(org, ctx):
    year = queries.adoption(Filters(YEAR, org.b))
    second = queries.adoption(Filters(YEAR, org.b, quarter=2))
    third = queries.adoption(Filters(YEAR, org.b, quarter=3))
    # The sessions are in Q2, the sandbox and the submissions in Q3.
    assert (second.enrolled, second.completed) == (year.enrolled, year.completed) == (3, 2)
    assert (second.practised, second.submitted) == (0, 0)
    assert (third.enrolled, third.completed) == (0, 0)
    assert (third.practised, third.submitted) == (year.practised, year.submitted) == (2, 2)
    assert queries.sessions(Filters(YEAR, quarter=2)).total.sessions == 2
    assert queries.sessions(Filters(YEAR, quarter=1)).total.sessions == 0
    assert (
        queries.sandbox(Filters(YEAR, quarter=3)).messages
        == queries.sandbox(Filters(YEAR)).messages
    )
    assert queries.sandbox(Filters(YEAR, quarter=2)).messages == 0


def test_the_dashboards_offer_the_quarter_and_explain_a_bad_one(org, as_role, client):
    as_role(Role.COORDINATOR)
    page = client.get(f"/manage/dashboards/adoption?year={YEAR}&quarter=2").get_data(as_text=True)
    assert '<option value="2" selected>' in page and f"{YEAR}년 2분기" in page
    for bad in ("5", "0x1", "-1", "²"):
        response = client.get(f"/manage/dashboards/sessions?year={YEAR}&quarter={bad}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "분기는 1~4분기 가운데 골라 주세요" in html and f"{YEAR}년," in html


# ----------------------------------------------------------------------- the report


def test_the_report_is_one_page_with_the_dashboards_own_numbers(org, as_role, client, app):
    as_role(Role.COORDINATOR)
    query = f"year={YEAR}&quarter=2&department={org.b}"
    response = client.get(f"{REPORT}?{query}")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    pages, text = _pdf_text(response.data)
    assert pages == 1
    assert f"{YEAR}년 2분기 (4. 1. ~ 6. 30.)" in text
    assert "기획실" in text  # the chosen department is the report's scope

    # The same figures the dashboards show for the same filters.
    adoption = client.get(f"/manage/dashboards/adoption?{query}").get_data(as_text=True)
    departments = client.get(f"/manage/dashboards/departments?{query}").get_data(as_text=True)
    with app.app_context():
        filters = Filters(YEAR, org.b, quarter=2)
        funnel = queries.adoption(filters)
        total = queries.departments(filters).total
    assert (funnel.staff, funnel.enrolled, funnel.completed) == (4, 3, 2)
    for figure in ("4명 (100.0%)", "3명 (75.0%)", "2명 (50.0%)"):
        assert figure in text
    for rate in ("75.0%", "50.0%"):
        assert rate in adoption
    completion = pct(total.completion_rate)
    assert completion == "66.7%"
    assert completion in text and completion in departments


def test_the_report_names_no_person(org, as_role, client):
    as_role(Role.ADMIN)
    _pages, text = _pdf_text(client.get(f"{REPORT}?year={YEAR}&quarter=2").data)
    assert "직원u" not in text and "@" not in text


def test_a_report_without_a_quarter_or_with_a_bad_value_is_explained(org, as_role, client):
    as_role(Role.COORDINATOR)
    missing = client.get(f"{REPORT}?year={YEAR}")
    assert missing.status_code == 400
    assert "분기를 골라야" in missing.get_data(as_text=True)
    bad = client.get(f"{REPORT}?year={YEAR}&quarter=9")
    assert bad.status_code == 400
    assert "분기는 1~4분기" in bad.get_data(as_text=True)
    unknown = client.get(f"{REPORT}?year={YEAR}&quarter=1&department=999999")
    assert unknown.status_code == 400
    assert "부서를 찾을 수 없습니다" in unknown.get_data(as_text=True)


def test_a_scoped_coordinator_gets_no_report_of_another_department(org, app, as_role, client):
    app.config["COORDINATOR_DEPARTMENT_SCOPE"] = True
    try:
        as_role(Role.COORDINATOR, department_id=org.d1)
        other = client.get(f"{REPORT}?year={YEAR}&quarter=2&department={org.c}")
        own = client.get(f"{REPORT}?year={YEAR}&quarter=2")
    finally:
        app.config["COORDINATOR_DEPARTMENT_SCOPE"] = False
    assert other.status_code == 400
    assert "담당 부서(하위 부서 포함)의 현황만" in other.get_data(as_text=True)
    assert own.status_code == 200
    _pages, text = _pdf_text(own.data)
    assert "정책과" in text


def test_the_overview_links_each_quarter_of_the_chosen_year(org, as_role, client):
    as_role(Role.COORDINATOR)
    html = client.get(f"/manage/dashboards/?year={YEAR}&department={org.b}").get_data(as_text=True)
    for quarter in range(1, 5):
        assert f"{REPORT}?year={YEAR}&amp;quarter={quarter}&amp;department={org.b}" in html, quarter


def test_an_empty_quarter_still_makes_a_readable_page(ctx):
    report = build(Filters(2031, quarter=1), "전체 부서")
    from portal.reports.quarterly_pdf import render

    pages, text = _pdf_text(render(report))
    assert pages == 1
    assert "2031년 1분기" in text and "—" in text


def test_many_departments_stay_on_one_page_and_say_how_many_were_left_out(ctx):
    from portal.reports.quarterly_pdf import MAX_TABLE_ROWS, render

    report = build(Filters(2031, quarter=1), "전체 부서")
    rows = [[f"부서{i}", "10", "—", "—", "—", "—"] for i in range(40)]
    crowded = type(report)(
        **{
            **report.__dict__,
            "table": type(report.table)(
                report.table.title, report.table.headings, rows, "그 외 25개 부서"
            ),
        }
    )
    pages, text = _pdf_text(render(crowded))
    assert pages == 1
    assert f"부서{MAX_TABLE_ROWS - 1}" in text and f"부서{MAX_TABLE_ROWS}\n" not in text
    assert "그 외 25개 부서" in text
