import pytest
from tests.e2e.test_accessibility import _assert_accessible

pytestmark = pytest.mark.e2e


def test_session_pages(axe_page, portal_server, log_in, axe_violations):
    log_in(axe_page, portal_server, "D0002")
    axe_page.goto(portal_server.url("/manage/sessions/new"))
    print("courses", axe_page.locator("#course_id option").count())
    axe_page.fill("#starts_on", "2027-12-10")
    axe_page.fill("#starts_time", "09:00")
    axe_page.fill("#ends_on", "2027-12-11")
    axe_page.fill("#ends_time", "18:00")
    axe_page.fill("#place", "세종시청 4층 교육장")
    axe_page.fill("#online_url", "https://meet.sejong.example.kr/ai")
    axe_page.fill("#capacity", "20")
    axe_page.get_by_role("button", name="저장").click()
    print(axe_page.url)
    for width in (1280, 360):
        axe_page.set_viewport_size({"width": width, "height": 780})
        _assert_accessible(axe_violations(axe_page), f"detail {width}")
        print("detail overflow", width, axe_page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))
    axe_page.screenshot(path="/tmp/sched_detail_360.png", full_page=True)
    axe_page.once("dialog", lambda d: d.dismiss())
    axe_page.goto(axe_page.url + "/edit")
    _assert_accessible(axe_violations(axe_page), "edit 360")
    print("edit overflow", axe_page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))
    axe_page.goto(portal_server.url("/manage/sessions/"))
    _assert_accessible(axe_violations(axe_page), "list 360")
    print("list overflow", axe_page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))
    axe_page.screenshot(path="/tmp/sched_list_360.png", full_page=True)
