"""The practice sandbox in a real browser, as a member of staff meets it for the first time.

With the fake model (practice_server): the admin (D0001) enables the fake OpenAI-compatible
model; D0004 (staff, who has never accepted the AI-use policy) accepts it, starts the
기획보고서 exercise on the fake model, pastes a resident registration number and a mobile
number, sees them highlighted and explained, masks them, receives a streamed answer, inserts it
into the draft, adds their own lines (autosaved), submits, and gets rubric feedback from the
model: first an unusable answer (reported honestly), then on request a valid one. The
instructor (D0003) reviews the submission and D0004 sees the review. Neither the fake model,
the database nor the server log ever holds the unmasked numbers.

With the offline coach (coach_server, no model configured): the same path ends with the
feedback the coach computes, labelled as not coming from an AI model.

The fake-model run keeps the portal's real CSP, and any console error (a script or style the
CSP refuses, an uncaught exception) fails it. The coach run bypasses the CSP, as axe-core needs,
and checks the policy page, the workspace (with messages, then with the guard panel open too)
and the submission page for serious or critical violations.

The AI share (issue 9 §3), with the coach: an inserted outline holds only the document
part; one word rewritten by typing, and one through an IME, unmark those words and nothing
else; the submission page shows the share the server stored, close to the inserted one;
axe-core runs on the workspace and the submission at 1280 and 360 px. The editor's marking
rule itself is also run on a table of edits in Chromium.

Screenshots go to test-artifacts/:
practice-workspace.png (the panes after the streamed answer), practice-workspace-full.png,
practice-admin-models.png, practice-coach-workspace.png and practice-ai-share-workspace.png.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect

from tests.e2e.conftest import (
    FAKE_MODEL_LABEL,
    FAKE_REPLY_TEXT,
    ROOT,
    PortalServer,
    PracticeServer,
)
from tests.fakes.openai_server import FakeOpenAI, RecordedRequest, Reply

pytestmark = pytest.mark.e2e

AxeRun = Callable[[Page], list[dict]]
SAVED = re.compile(r"^저장됨 \S")  # then the browser's local time

BLOCKING = {"serious", "critical"}

EXERCISE_FILE = (
    ROOT / "courses" / "hyperscale-ai-report-drafting" / "exercises" / "ex-planning-public-bike.yml"
)
EXERCISE_TITLE = "기획보고서: 2027년 공공자전거 이용 활성화 계획"
COACH_LABEL = "연습 코치(오프라인, AI 모델 아님)"
# What an outline reply says around the outline; none of it may reach the draft.
COACH_CHATTER = ("[연습 코치 · AI 모델 아님]", "※ 점검 목록", "다 쓰면 '점검'이라고 보내 주세요.")

# A resident registration number with a valid check digit, and a mobile number.
RRN = "900101-1234568"
MOBILE = "010-2345-6789"
UNMASKED_FORMS = (RRN, RRN.replace("-", ""), MOBILE, MOBILE.replace("-", ""))
PASTED = (
    "공공자전거 고장 민원을 추진배경에 넣어 개조식으로 정리해 주세요.\n"
    f"민원인(주민등록번호 {RRN}, 연락처 {MOBILE})은 출퇴근 시간에 빈 대여소가 많다고 했습니다."
)
MASKED = (
    "공공자전거 고장 민원을 추진배경에 넣어 개조식으로 정리해 주세요.\n"
    "민원인(주민등록번호 [주민등록번호], 연락처 [휴대전화번호])은 출퇴근 시간에 빈 대여소가 "
    "많다고 했습니다."
)
OWN_LINES = (
    "□ 행정사항",
    " ○ 이 초안은 생성형 AI의 도움을 받아 작성했고 수치는 자료집과 대조함",
)
REVIEW_COMMENT = (
    "두괄식 요약을 제목 아래에 한 줄 더 넣으면 좋겠습니다. 수치 대조 표시는 잘했습니다."
)


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """new_page(bypass_csp=False) opens a page in its own browser context (one per person).

    Pages keep the portal's CSP unless ``bypass_csp`` (needed only to inject axe-core, whose
    own inline styles the CSP would refuse). Console errors and uncaught exceptions fail the
    test, so a script the CSP refuses, or one that throws, does not go unnoticed.
    """
    contexts = []

    def open_page(*, bypass_csp: bool = False) -> Page:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="ko-KR", bypass_csp=bypass_csp
        )
        context.set_default_timeout(15_000)
        context.set_default_navigation_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            # Refused responses (the guard's 422) are expected and logged by Chromium too.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                problems.append(f"console: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
        page_problems[page] = problems
        return page

    page_problems: dict[Page, list[str]] = {}
    try:
        yield open_page
        for page, problems in page_problems.items():
            assert not problems, f"errors on {page.url}:\n" + "\n".join(problems)
    finally:
        for context in contexts:
            context.close()


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}  {node['html'][:160]}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def _assert_accessible(axe_violations: AxeRun | None, page: Page, where: str) -> None:
    if axe_violations is None:
        return
    # Measured at rest: the pointer would otherwise leave the last clicked button in its
    # hover colours (KRDS's own hover styles are not what this test is about).
    page.mouse.move(0, 0)
    page.wait_for_function("document.getAnimations().length === 0")  # colour transitions
    violations = axe_violations(page)
    if violations:
        print(f"axe findings on {where}:\n{_describe(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"serious/critical axe violations on {where}:\n{_describe(blocking)}"


def _nav(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="주 메뉴").get_by_role(
        "link", name=label, exact=True
    ).click()


def _flash(page: Page) -> Locator:
    return page.locator(".portal-flashes .portal-alert")


def _no_horizontal_scroll_at_360(page: Page, where: str) -> None:
    page.set_viewport_size({"width": 360, "height": 780})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 361, f"{where} scrolls sideways at 360 px (scrollWidth {width})"
    page.set_viewport_size({"width": 1280, "height": 900})


def _assert_page_ends_at_footer(page: Page, where: str) -> None:
    """Nothing (an absolutely placed control, say) makes the page taller than its footer."""
    height, footer_bottom = page.evaluate(
        """() => {
            const footer = document.querySelector("footer");
            const box = footer.getBoundingClientRect();
            return [document.documentElement.scrollHeight, box.bottom + window.scrollY];
        }"""
    )
    assert height <= footer_bottom + 2, (
        f"{where}: page is {height}px, footer ends at {footer_bottom}"
    )


def _text(locator: Locator) -> str:
    """The exact textContent (Playwright's text assertions collapse the line breaks)."""
    return locator.evaluate("element => element.textContent")


def _database_rows(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(database)) as conn:
        return conn.execute(sql, params).fetchall()


def _database_dump(database: Path) -> str:
    with closing(sqlite3.connect(database)) as conn:
        return "\n".join(conn.iterdump())


def _rubric() -> list[dict[str, Any]]:
    return yaml.safe_load(EXERCISE_FILE.read_text(encoding="utf-8"))["rubric"]


def _new_requests(fake: FakeOpenAI, before: int) -> list[RecordedRequest]:
    return fake.chat_requests()[before:]


def _tick(box: Locator) -> None:
    """Tick a checkbox as a person does. KRDS hides the native input and draws the box with
    its label's ::before, so the label must exist and draw a box; then click the label."""
    expect(box).not_to_be_checked()
    box.page.wait_for_load_state("load")  # the stylesheets that draw the box
    drawn = box.evaluate(
        """input => {
            const label = input.labels && input.labels[0];
            if (!label) { return "no <label> for the checkbox"; }
            const box = getComputedStyle(label, "::before");
            if (box.content === "none" || parseFloat(box.width) < 8 || parseFloat(box.height) < 8) {
                return "its label draws no visible box (" + label.outerHTML.slice(0, 120) + ")";
            }
            return "";
        }"""
    )
    assert not drawn, f"a checkbox cannot be seen: {drawn}"
    label_id = box.get_attribute("id")
    box.page.locator(f'label[for="{label_id}"]').click()
    expect(box).to_be_checked()


def _accept_policy_and_open_exercise(
    page: Page, server: PortalServer, axe_violations: AxeRun | None
) -> None:
    """From the home page: AI 실습, the policy (both boxes), then the 기획보고서 exercise."""
    _nav(page, "AI 실습")
    expect(page.get_by_role("heading", level=1, name="AI 문서 작성 실습")).to_be_visible()
    # A first-time user is asked to accept the policy and cannot start an exercise yet.
    expect(page.get_by_role("heading", name="먼저 AI 활용 수칙에 동의하세요")).to_be_visible()
    expect(page.get_by_role("heading", name=EXERCISE_TITLE)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^이 과제 시작"))).to_have_count(0)
    page.get_by_role("link", name="AI 활용 수칙 읽고 동의하기").click()

    expect(page).to_have_url(server.url("/practice/policy"))
    expect(page.get_by_role("heading", level=1, name="AI 활용 수칙")).to_be_visible()
    _assert_accessible(axe_violations, page, "the policy page")
    # Accepting needs both boxes: one alone is refused with the reason next to the other.
    _tick(page.get_by_label("개인정보와 비공개·기밀 자료를 입력하지 않겠습니다."))
    page.get_by_role("button", name="동의하고 시작하기").click()
    expect(page.locator(".form-hint-invalid")).to_have_text(
        "이 항목에 동의해야 실습 공간을 쓸 수 있습니다."
    )
    expect(page.get_by_label("개인정보와 비공개·기밀 자료를 입력하지 않겠습니다.")).to_be_checked()
    _tick(
        page.get_by_label("AI가 만든 내용은 사실과 수치를 원 자료와 대조해 검증한 뒤 쓰겠습니다.")
    )
    page.get_by_role("button", name="동의하고 시작하기").click()
    expect(_flash(page)).to_have_text(
        "AI 활용 수칙에 동의했습니다. 이제 실습 공간을 쓸 수 있습니다."
    )
    expect(page).to_have_url(server.url("/practice/"))

    page.get_by_role("link", name=f"이 과제 시작 — {EXERCISE_TITLE}").click()
    expect(page.get_by_role("heading", level=1, name="새 작업")).to_be_visible()
    expect(page.get_by_label("문서 제목")).to_have_value(EXERCISE_TITLE)
    expect(page.get_by_label("문서 유형")).to_have_value("planning-report")
    expect(page.get_by_label(re.compile("^공개: "))).to_be_checked()


def _start_workspace(page: Page) -> None:
    page.get_by_role("button", name="작업 시작").click()
    expect(page).to_have_url(re.compile(r"/practice/w/\d+$"))
    expect(page.get_by_role("heading", level=1, name=EXERCISE_TITLE)).to_be_visible()


def _check_live_regions(page: Page) -> None:
    """The streamed answer is announced: the conversation is a polite live log."""
    expect(_log(page)).to_have_attribute("aria-live", "polite")
    expect(page.locator("#chat-status")).to_have_attribute("role", "status")
    expect(page.locator("#chat-status")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#draft-status")).to_have_attribute("role", "status")


def _send(page: Page) -> None:
    page.get_by_role("button", name="보내기", exact=True).click()


def _log(page: Page) -> Locator:
    return page.get_by_role("log", name="대화 기록")


def _wait_for_complete_answer(page: Page) -> Locator:
    answer = _log(page).locator(".practice-msg-answer").last
    expect(page.locator("#chat-status")).to_have_text("답변을 다 받았습니다.")
    expect(_log(page)).to_have_attribute("aria-busy", "false")
    expect(answer.locator(".practice-msg-actions")).to_be_visible()
    return answer


def _insert_into_draft(page: Page, answer: Locator) -> str:
    """Insert the answer's document part (what the button carries); returns that text."""
    button = answer.get_by_role("button", name="초안에 넣기")
    text = button.get_attribute("data-insert")
    assert text, "the answer has nothing to insert"
    assert text in _text(answer.locator(".practice-msg-text"))
    button.click()
    editor = page.get_by_role("textbox", name="초안")
    marks = editor.locator("mark.practice-ai")
    expect(marks).to_have_count(1)
    assert _text(marks.first) == text
    expect(page.locator("#chat-status")).to_have_text("답변을 초안 끝에 넣었습니다.")
    expect(page.locator("#draft-status")).to_have_text(SAVED)
    return text


def _type_own_lines(page: Page, draft_id: str) -> None:
    """Go to the end of the draft, start a new line, type; wait for the autosave."""
    editor = page.get_by_role("textbox", name="초안")
    save_url = f"/practice/w/{draft_id}/draft"
    with page.expect_response(
        lambda r: r.url.endswith(save_url) and r.request.method == "POST" and r.ok,
        timeout=15_000,
    ) as saved:
        # Into the editor, then to the very end, where the caret sits at the end of the AI
        # mark (the page may scroll smoothly, so a click by coordinates is not reliable).
        editor.click(position={"x": 24, "y": 12})
        page.keyboard.press("Control+End")
        for line in OWN_LINES:
            page.keyboard.press("Enter")
            page.keyboard.type(line)
    body = saved.value.request.post_data_json
    assert body["reason"] == "autosave"
    expect(page.locator("#draft-status")).to_have_text(SAVED)


def _assert_draft(editor: Locator, inserted: str) -> None:
    """The inserted answer is still one AI mark; the user's own lines follow it, unmarked."""
    marks = editor.locator("mark.practice-ai")
    expect(marks).to_have_count(1)
    assert _text(marks.first) == inserted
    # innerText, not textContent: Chromium may wrap a typed line in a <div>, a line of its own.
    text = editor.evaluate("element => element.innerText")
    assert text.startswith(inserted), text
    lines = text[len(inserted) :].split("\n")
    for line in OWN_LINES:
        assert line in lines, f"{line!r} is not a line of its own after the answer: {lines}"


def _submit(page: Page, server: PortalServer) -> None:
    page.get_by_role("link", name="과제 제출").click()
    expect(page.get_by_role("heading", level=1, name="과제 제출")).to_be_visible()
    _tick(
        page.get_by_label(
            "제출하면 초안을 더 고칠 수 없고, 강사가 제출한 초안을 읽는다는 것을 이해했습니다."
        )
    )
    page.get_by_role("button", name="제출", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(server.url("/practice/submissions/")) + r"\d+$"))
    expect(page.get_by_role("heading", level=1, name="제출 결과")).to_be_visible()


# -- with the fake model --------------------------------------------------------------------


def test_staff_masks_personal_data_drafts_with_a_streamed_answer_submits_and_is_reviewed(
    new_page, practice_server: PracticeServer, log_in, artifacts_dir
):
    fake = practice_server.fake
    assert fake is not None
    requests_before = len(fake.chat_requests())

    # 1. The admin enables the configured fake model; until then nobody can choose it.
    admin = new_page()
    log_in(admin, practice_server, "D0001")
    expect(admin).to_have_url(practice_server.url("/"))
    # The admin's tools sit in the main menu's 시스템 관리 drop-down.
    admin.get_by_role("navigation", name="주 메뉴").get_by_role(
        "button", name="시스템 관리"
    ).click()
    _nav(admin, "AI 모델·한도")
    expect(admin).to_have_url(practice_server.url("/practice/manage/models"))
    row = admin.locator("tbody tr").filter(has_text=FAKE_MODEL_LABEL)
    expect(row).to_contain_text("openai · fake")
    expect(row.get_by_label("사용", exact=True)).not_to_be_checked()
    admin.screenshot(path=artifacts_dir / "practice-admin-models.png", full_page=True)
    _tick(row.get_by_label("사용", exact=True))
    row.get_by_role("button", name=f"저장 — {FAKE_MODEL_LABEL}").click()
    expect(_flash(admin)).to_have_text("모델 설정을 저장했습니다.")
    row = admin.locator("tbody tr").filter(has_text=FAKE_MODEL_LABEL)
    expect(row.get_by_label("사용", exact=True)).to_be_checked()
    # Internal or not is the configuration's to say; the screen only shows it.
    expect(row).to_contain_text("외부 모델 · 허용 안 함")
    expect(row.get_by_role("checkbox")).to_have_count(1)

    # 2. D0004 accepts the policy, opens the exercise and chooses the fake model (공개).
    staff = new_page()
    log_in(staff, practice_server, "D0004")
    expect(staff).to_have_url(practice_server.url("/"))
    _accept_policy_and_open_exercise(staff, practice_server, None)
    helper = staff.get_by_label("도우미")
    expect(helper.locator("option")).to_have_text([COACH_LABEL, FAKE_MODEL_LABEL])
    expect(staff.locator(".portal-list")).to_contain_text(
        f"{FAKE_MODEL_LABEL}: 외부 모델 · 공개 자료만"
    )
    helper.select_option(label=FAKE_MODEL_LABEL)
    _start_workspace(staff)
    draft_id = staff.url.rsplit("/", 1)[1]
    workspace_url = staff.url
    expect(staff.locator(".practice-head")).to_contain_text(FAKE_MODEL_LABEL)
    expect(staff.locator(".practice-head")).to_contain_text("자료 등급: 공개")
    _check_live_regions(staff)

    # 3. The pasted text holds a resident registration number and a mobile number: sending
    #    is refused, and the guard shows both, highlighted and explained.
    composer = staff.get_by_label("도우미에게 보낼 글")
    composer.click()
    staff.keyboard.insert_text(PASTED)
    expect(staff.locator("#composer-count")).to_have_text(re.compile(rf"^{len(PASTED)} / "))
    _send(staff)
    panel = staff.locator("#guard-panel")
    expect(panel).to_be_visible()
    expect(panel).to_be_focused()
    expect(staff.locator("#guard-summary")).to_have_text(
        "2개 항목을 찾았습니다. 가린 뒤에 보낼 수 있습니다."
    )
    marks = staff.locator("#guard-preview mark.practice-finding")
    expect(marks).to_have_text([f"{RRN} (주민등록번호)", f"{MOBILE} (휴대전화번호)"])
    expect(staff.locator("#guard-preview")).to_have_text(
        PASTED.replace(RRN, f"{RRN} (주민등록번호)").replace(MOBILE, f"{MOBILE} (휴대전화번호)")
    )
    findings = staff.locator("#guard-findings li")
    expect(findings).to_have_count(2)
    expect(findings.nth(0)).to_have_text(
        "주민등록번호: 주민등록번호는 한 사람을 평생 식별하는 고유식별정보입니다. "
        "외부 AI 모델에 보내면 회수할 수 없으므로 반드시 가려야 합니다."
    )
    expect(findings.nth(1)).to_have_text(
        "휴대전화번호: 전화번호는 특정 개인에게 연락할 수 있는 개인정보입니다. "
        "문서 작성에 필요하지 않으므로 가린 뒤 보내세요."
    )
    expect(_log(staff).locator(".practice-msg")).to_have_count(0)
    assert _new_requests(fake, requests_before) == [], "the guard let a request reach the model"

    # 4. One click masks both; the composer keeps the text with tokens instead of numbers.
    staff.get_by_role("button", name="찾은 개인정보 모두 가리기").click()
    expect(composer).to_have_value(MASKED)
    expect(panel).to_be_hidden()
    expect(composer).to_be_focused()
    expect(staff.locator("#chat-status")).to_have_text(
        "개인정보를 가렸습니다. 가린 글을 확인한 뒤 보내세요."
    )

    # 5. Sent, but the model server is busy (429): the answer says so, with nothing received,
    #    and offers 다시 보내기. One click sends the same question again.
    fake.script(Reply.error(429, retry_after=3))
    _send(staff)
    failed = _log(staff).locator(".practice-msg-answer").last
    expect(failed.locator(".practice-msg-note")).to_contain_text("(429)")
    expect(failed.locator(".practice-msg-actions")).to_be_hidden()
    failed.get_by_role("button", name="다시 보내기").click()
    question = _log(staff).locator(".practice-msg-question")
    expect(question).to_have_count(2)
    assert _text(question.last.locator(".practice-msg-text")) == MASKED
    expect(failed.get_by_role("button", name="다시 보내기")).to_be_hidden()
    # This time the answer arrives in pieces (seen half-written), then completes.
    answer_text = _log(staff).locator(".practice-msg-answer .practice-msg-text").last
    staff.wait_for_function(
        """([element, full]) => element.textContent.length > 0
            && element.textContent.length < full.length
            && element.closest('[role=log]').getAttribute('aria-busy') === 'true'""",
        arg=[answer_text.element_handle(), FAKE_REPLY_TEXT],
        polling="raf",
    )
    answer = _wait_for_complete_answer(staff)
    assert _text(answer.locator(".practice-msg-text")) == FAKE_REPLY_TEXT
    expect(answer.locator(".practice-msg-who")).to_have_text(FAKE_MODEL_LABEL)
    expect(answer.locator(".practice-msg-note")).to_be_hidden()  # the fake sent its usage
    staff.locator(".practice-layout").screenshot(path=artifacts_dir / "practice-workspace.png")
    staff.screenshot(path=artifacts_dir / "practice-workspace-full.png", full_page=True)
    _no_horizontal_scroll_at_360(staff, "the workspace")

    # The answer can be rated: a score and a quick reason.
    answer.get_by_label("이 답변 평점").select_option("5")
    _tick(answer.get_by_label("정확함", exact=True))
    answer.get_by_role("button", name="평가 저장").click()
    expect(staff.locator("#chat-status")).to_have_text("평가를 저장했습니다.")

    sent = _new_requests(fake, requests_before)
    assert len(sent) == 2  # the refused one, then the one sent again
    assert (sent[0].body or {})["messages"][-1] == {"role": "user", "content": MASKED}
    body = sent[1].body or {}
    assert body["model"] == "fake"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"][0]["role"] == "system"
    assert body["messages"][-1] == {"role": "user", "content": MASKED}
    # The unanswered first try is not in the history: the model reads the question once.
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert sent[1].headers["authorization"] == "Bearer test"

    # 6. Into the draft, marked as AI text; the user's own lines are autosaved unmarked.
    inserted = _insert_into_draft(staff, answer)
    assert inserted == FAKE_REPLY_TEXT  # no lead-in or closing offer to leave out
    _type_own_lines(staff, draft_id)
    _assert_draft(staff.get_by_role("textbox", name="초안"), inserted)
    staff.reload()  # what the server stored
    editor = staff.get_by_role("textbox", name="초안")
    _assert_draft(editor, inserted)
    draft_text = _text(editor)
    # The answers stay in the conversation after the reload, as stored: the refused one says
    # what happened and that nothing arrived.
    answers = _log(staff).locator(".practice-msg-answer")
    expect(answers.first.locator(".practice-msg-note")).to_have_text(
        "모델 서버가 요청이 많다며 거절했습니다(429). 받은 내용은 없습니다."
    )
    assert _text(answers.last.locator(".practice-msg-text")) == inserted

    # 7. Submitted; the model's first scoring answers are not JSON: reported honestly.
    _submit(staff, practice_server)
    feedback = staff.get_by_role("region", name="채점 기준 피드백")
    expect(feedback).to_contain_text("모델 채점을 아직 받지 않았습니다.")
    fake.script(
        Reply.text("채점 결과: 전반적으로 잘 썼습니다."),
        Reply.text("구성 5점, 두괄식 3점입니다."),
    )
    before_scoring = len(fake.chat_requests())
    staff.get_by_role("button", name="모델 채점 요청").click()
    expect(feedback.get_by_role("alert")).to_have_text(
        re.compile(
            r"^모델 채점을 받지 못했습니다: 모델의 채점 결과가 정해진 JSON 형식에 맞지 "
            r"않았습니다\(재시도 1회 포함\)\. 마지막 문제: 답변이 JSON 형식이 아닙니다"
        )
    )
    scoring = _new_requests(fake, before_scoring)
    assert len(scoring) == 2, "an unusable scoring answer is retried exactly once"
    for request in scoring:
        assert request.body is not None
        assert request.body["response_format"] == {"type": "json_object"}
        assert not request.body.get("stream")
        assert OWN_LINES[1].strip() in request.body["messages"][1]["content"]
    # The retry names the problem to the model.
    assert "JSON" in scoring[1].body["messages"][-1]["content"]

    # 8. Asked again, the model answers valid JSON: the rubric table appears.
    rubric = _rubric()
    scores = {item["id"]: max(0, item["max_score"] - 1) for item in rubric}
    fake.script(
        Reply.text(
            json.dumps(
                {
                    "criteria": [
                        {"id": key, "score": value, "comment": f"{key} 기준 의견입니다."}
                        for key, value in scores.items()
                    ],
                    "summary": "전체 구성이 좋고 수치 대조 표시가 분명합니다.",
                    "untraced_figures": [],
                },
                ensure_ascii=False,
            )
        )
    )
    staff.get_by_role("button", name="모델 채점 다시 요청").click()
    table = staff.get_by_role("region", name="채점 결과 표")
    expect(table.locator("caption")).to_have_text("모델 채점 결과")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(rubric))
    for row_locator, item in zip(rows.all(), rubric, strict=True):
        expect(row_locator.locator("th")).to_have_text(item["title"])
        expect(row_locator.locator("td").nth(0)).to_have_text(
            f"{scores[item['id']]} / {item['max_score']}"
        )
        expect(row_locator.locator("td").nth(1)).to_have_text(f"{item['id']} 기준 의견입니다.")
    total, max_total = sum(scores.values()), sum(item["max_score"] for item in rubric)
    expect(feedback).to_contain_text(f"합계: {total} / {max_total}점")
    expect(feedback).to_contain_text("전체 구성이 좋고 수치 대조 표시가 분명합니다.")
    expect(staff.get_by_role("button", name=re.compile("^모델 채점"))).to_have_count(0)
    submission_url = staff.url

    # 9. The instructor reviews it; the conversation itself stays out of reach.
    instructor = new_page()
    log_in(instructor, practice_server, "D0003")
    expect(instructor).to_have_url(practice_server.url("/"))
    # Even after accepting the policy, changing the id in the URL reaches nobody's work.
    instructor.goto(practice_server.url("/practice/policy"))
    _tick(instructor.get_by_label("개인정보와 비공개·기밀 자료를 입력하지 않겠습니다."))
    _tick(
        instructor.get_by_label(
            "AI가 만든 내용은 사실과 수치를 원 자료와 대조해 검증한 뒤 쓰겠습니다."
        )
    )
    instructor.get_by_role("button", name="동의하고 시작하기").click()
    expect(_flash(instructor)).to_contain_text("AI 활용 수칙에 동의했습니다.")
    assert instructor.request.get(workspace_url).status == 404
    _nav(instructor, "과제 검토")
    expect(instructor.get_by_role("heading", level=1, name="실습 과제 검토")).to_be_visible()
    staff_name = _database_rows(
        practice_server.database, "SELECT name FROM users WHERE employee_number = 'D0004'"
    )[0][0]
    queue = instructor.locator("table tbody tr").filter(has_text=staff_name)
    expect(queue).to_have_count(1)  # the newest submission, first on the first page
    expect(queue.locator(".krds-badge")).to_have_text("검토 대기")
    queue.get_by_role("link", name=EXERCISE_TITLE).click()
    expect(instructor.get_by_role("heading", level=1)).to_have_text(f"과제 검토: {EXERCISE_TITLE}")
    assert _text(instructor.locator(".practice-version-body").first) == draft_text
    expect(instructor.get_by_role("region", name="채점 결과 표").locator("caption")).to_have_text(
        "모델 채점 결과"
    )
    # One score per rubric criterion (22 points in all): 19/22 is 86 out of 100.
    scores = dict(zip([c["title"] for c in _rubric()], (5, 3, 3, 3, 3, 2), strict=True))
    for title, score in scores.items():
        instructor.get_by_label(re.compile(f"^{re.escape(title)} \\(")).fill(str(score))
    instructor.get_by_label("검토 의견").fill(REVIEW_COMMENT)
    _tick(instructor.get_by_label("과정의 실습 과제 요건을 충족함"))
    instructor.get_by_role("button", name="검토 저장").click()
    expect(_flash(instructor)).to_have_text(
        "검토를 저장하고 제출자에게 알렸습니다: 86점(100점 환산), 실습 요건 충족."
    )
    # Saved, the review reads as saved: changing it takes an explicit "검토 수정".
    expect(instructor.get_by_label("과정의 실습 과제 요건을 충족함")).to_have_count(0)
    expect(instructor.get_by_role("link", name="검토 수정")).to_be_visible()
    instructor.get_by_role("link", name="목록으로").click()
    expect(instructor.locator("table tbody tr").filter(has_text=staff_name)).to_have_count(0)
    instructor.get_by_role("link", name="검토한 것도 보기").click()
    reviewed = instructor.locator("table tbody tr").filter(has_text=staff_name)
    expect(reviewed.locator(".krds-badge")).to_have_text("검토함 (86점)")

    # 10. D0004 sees the review on the submission page.
    staff.goto(submission_url)
    review = staff.get_by_role("region", name="강사 검토")
    expect(review.locator("dd").nth(0)).to_have_text("86점 (100점 환산)")
    expect(review.get_by_role("region", name="기준별 검토 점수")).to_contain_text("2 / 2")
    expect(review.locator("dd").nth(1)).to_have_text("충족")
    expect(review).to_contain_text(REVIEW_COMMENT)

    # 11. The unmasked numbers were never sent, stored or logged; the guard kept its record.
    everything_sent = json.dumps(
        [r.body for r in fake.chat_requests()[requests_before:]], ensure_ascii=False
    )
    dump = _database_dump(practice_server.database)
    server_log = practice_server.log_path.read_text(errors="replace")
    for number in UNMASKED_FORMS:
        assert number not in everything_sent, f"{number} reached the model"
        assert number not in dump, f"{number} is stored in the database"
        assert number not in server_log, f"{number} is in the server log"
    conversation = _database_rows(
        practice_server.database,
        "SELECT id FROM assistant_conversations WHERE draft_id = ?",
        int(draft_id),
    )[0][0]
    events = _database_rows(
        practice_server.database,
        "SELECT decision, kinds, masked_excerpt FROM assistant_guard_events "
        "WHERE conversation_id = ? ORDER BY id",
        conversation,
    )
    assert [(decision, sorted(json.loads(kinds))) for decision, kinds, _ in events] == [
        ("blocked", ["phone", "rrn"]),
        ("masked", ["phone", "rrn"]),
    ]
    for _decision, _kinds, excerpt in events:
        assert "[주민등록번호]" in excerpt and "[휴대전화번호]" in excerpt
    stored = _database_rows(
        practice_server.database,
        "SELECT role, content FROM assistant_messages WHERE conversation_id = ? ORDER BY id",
        conversation,
    )
    assert stored == [
        ("user", MASKED),
        ("assistant", ""),  # refused with 429
        ("user", MASKED),  # sent again
        ("assistant", FAKE_REPLY_TEXT),
    ]
    ratings = _database_rows(
        practice_server.database,
        "SELECT r.score, r.reasons FROM assistant_message_ratings r "
        "JOIN assistant_messages m ON m.id = r.message_id "
        "WHERE m.conversation_id = ?",
        conversation,
    )
    assert [(score, json.loads(reasons)) for score, reasons in ratings] == [(5, ["accurate"])]


# -- with the offline coach -----------------------------------------------------------------


def test_staff_drafts_with_the_offline_coach_and_gets_the_feedback_it_computes(
    new_page, coach_server: PracticeServer, log_in, axe_violations, artifacts_dir
):
    staff = new_page(bypass_csp=True)  # for axe-core
    log_in(staff, coach_server, "D0004")
    expect(staff).to_have_url(coach_server.url("/"))
    _accept_policy_and_open_exercise(staff, coach_server, axe_violations)
    # Nothing configured: the coach is the only helper, chosen already.
    helper = staff.get_by_label("도우미")
    expect(helper.locator("option")).to_have_text([COACH_LABEL])
    expect(helper).to_have_value("offline")
    expect(staff.locator(".portal-list")).to_contain_text(f"{COACH_LABEL}: AI 모델 아님 · 내부")
    _start_workspace(staff)
    draft_id = staff.url.rsplit("/", 1)[1]
    expect(staff.locator(".practice-head")).to_contain_text(COACH_LABEL)  # "AI 모델 아님"
    expect(staff.get_by_role("region", name="대화", exact=True)).to_contain_text(
        "연습 코치는 AI 모델이 아닙니다."
    )
    _check_live_regions(staff)

    composer = staff.get_by_label("도우미에게 보낼 글")
    composer.fill("개요: 스마트 버스정류장 확대")
    _send(staff)
    answer = _wait_for_complete_answer(staff)
    text = _text(answer.locator(".practice-msg-text"))
    assert text.startswith("[연습 코치 · AI 모델 아님]"), text[:80]
    # The outline shows as a document block of its own, without the ```문서 fence lines.
    expect(answer.locator(".practice-msg-doc")).to_have_count(1)
    assert "```" not in text
    assert "스마트 버스정류장 확대" in text
    assert "□" in text and "추진배경" in text, text
    expect(answer.locator(".practice-msg-who")).to_have_text(COACH_LABEL)
    staff.screenshot(path=artifacts_dir / "practice-coach-workspace.png", full_page=True)
    _assert_accessible(axe_violations, staff, "the workspace with the coach's answer")
    _no_horizontal_scroll_at_360(staff, "the workspace with the coach")

    # The guard also checks on request; its panel closes as soon as the text changes.
    composer.fill(f"담당자 연락처는 {MOBILE}입니다.")
    staff.get_by_role("button", name="개인정보 점검").click()
    expect(staff.locator("#guard-preview mark")).to_have_text([f"{MOBILE} (휴대전화번호)"])
    _assert_accessible(axe_violations, staff, "the workspace with messages and the guard panel")
    composer.fill("")
    expect(staff.locator("#guard-panel")).to_be_hidden()

    inserted = _insert_into_draft(staff, answer)
    # Only the outline itself: not the coach's label, checklist or closing words.
    assert inserted.startswith("[기획보고서] 스마트 버스정류장 확대\n"), inserted[:80]
    for chatter in COACH_CHATTER:
        assert chatter in text and chatter not in inserted, chatter
    _type_own_lines(staff, draft_id)
    _assert_draft(staff.get_by_role("textbox", name="초안"), inserted)

    # More answers stay inside the conversation's scroll box: the page ends at its footer.
    for count, question in enumerate(("점검", "개요: 정류장 유지관리 계획"), start=2):
        composer.fill(question)
        _send(staff)
        expect(_log(staff).locator(".practice-msg-answer")).to_have_count(count)
        _wait_for_complete_answer(staff)
    staff.reload()
    expect(_log(staff).locator(".practice-msg-answer")).to_have_count(3)
    expect(_log(staff).locator(".practice-msg-doc")).to_have_count(2)  # as stored, reloaded
    assert "```" not in _text(_log(staff))
    _assert_page_ends_at_footer(staff, "the workspace with three answers")
    # The brief opened on the first visit; now it is a one-line summary, closed.
    brief = staff.locator("details.practice-brief")
    expect(brief).not_to_have_attribute("open", "")
    expect(brief.locator("summary")).to_contain_text("원 자료")
    staff.set_viewport_size({"width": 360, "height": 800})
    _assert_page_ends_at_footer(staff, "the workspace with three answers at 360 px")
    staff.screenshot(path=artifacts_dir / "practice-coach-workspace-360.png", full_page=True)
    staff.set_viewport_size({"width": 1280, "height": 900})
    _submit(staff, coach_server)
    table = staff.get_by_role("region", name="채점 결과 표")
    expect(table.locator("caption")).to_have_text("연습 코치가 계산한 피드백 (AI 모델 아님)")
    expect(table.locator("tbody tr")).to_have_count(len(_rubric()))
    expect(staff.get_by_role("region", name="채점 기준 피드백")).to_contain_text(
        "(계산할 수 있는 기준만 더했습니다)"
    )
    expect(staff.get_by_role("button", name=re.compile("^모델 채점"))).to_have_count(0)
    _assert_accessible(axe_violations, staff, "the submission page with the coach's feedback")
    submission_id = staff.url.rsplit("/", 1)[1]

    # The instructor's review form, then the saved review, pass axe-core at 1280 and 360 px.
    instructor = new_page(bypass_csp=True)
    log_in(instructor, coach_server, "D0003")
    instructor.goto(coach_server.url(f"/practice/manage/reviews/{submission_id}"))
    expect(instructor.get_by_role("heading", level=1)).to_have_text(f"과제 검토: {EXERCISE_TITLE}")
    _assert_accessible(axe_violations, instructor, "the review form")
    instructor.set_viewport_size({"width": 360, "height": 800})
    _assert_accessible(axe_violations, instructor, "the review form at 360 px")
    instructor.screenshot(path=artifacts_dir / "practice-review-360.png", full_page=True)
    _no_horizontal_scroll_at_360(instructor, "the review form")
    staff.set_viewport_size({"width": 360, "height": 800})
    _assert_accessible(axe_violations, staff, "the submission page at 360 px")


# -- the AI share: insert, rewrite one word, submit ------------------------------------------


def _accept_policy_if_asked(page: Page, server: PortalServer) -> None:
    """D0004 may have accepted already (the coach test above runs first on this server)."""
    page.goto(server.url("/practice/policy"))
    accept = page.get_by_role("button", name="동의하고 시작하기")
    if accept.count():
        _tick(page.get_by_label("개인정보와 비공개·기밀 자료를 입력하지 않겠습니다."))
        _tick(
            page.get_by_label(
                "AI가 만든 내용은 사실과 수치를 원 자료와 대조해 검증한 뒤 쓰겠습니다."
            )
        )
        accept.click()
        expect(_flash(page)).to_contain_text("AI 활용 수칙에 동의했습니다.")


def _select_in_editor(page: Page, word: str) -> None:
    """Select the first occurrence of ``word`` inside the draft's AI marks, as a mouse would."""
    found = page.evaluate(
        """word => {
            const editor = document.getElementById("draft-editor");
            editor.focus();
            for (const mark of editor.querySelectorAll("mark.practice-ai")) {
                const node = mark.firstChild;
                const at = node ? node.nodeValue.indexOf(word) : -1;
                if (at < 0) { continue; }
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + word.length);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                return true;
            }
            return false;
        }""",
        word,
    )
    assert found, f"{word!r} is not in an AI mark"


def _stored_segments(server: PracticeServer, draft_id: str) -> str:
    ((segments,),) = _database_rows(
        server.database, "SELECT segments FROM assistant_drafts WHERE id = ?", int(draft_id)
    )
    return segments


def _assert_accessible_at_both_widths(axe_violations: AxeRun, page: Page, where: str) -> None:
    _assert_accessible(axe_violations, page, f"{where} at 1280 px")
    page.set_viewport_size({"width": 360, "height": 780})
    _assert_accessible(axe_violations, page, f"{where} at 360 px")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_rewriting_one_inserted_word_unmarks_only_that_word_and_the_share_stays_close(
    new_page, coach_server: PracticeServer, log_in, axe_violations, artifacts_dir
):
    from portal.assistant.workspace.drafts import ai_share_percent

    staff = new_page(bypass_csp=True)  # for axe-core
    log_in(staff, coach_server, "D0004")
    expect(staff).to_have_url(coach_server.url("/"))
    _accept_policy_if_asked(staff, coach_server)
    staff.goto(coach_server.url("/practice/new?exercise=ex-planning-public-bike"))
    _start_workspace(staff)
    draft_id = staff.url.rsplit("/", 1)[1]
    save_url = f"/practice/w/{draft_id}/draft"
    editor = staff.get_by_role("textbox", name="초안")
    expect(editor).to_have_accessible_description(re.compile("직접 고친 낱말은 표시가 사라지고"))

    staff.get_by_label("도우미에게 보낼 글").fill("개요: 스마트 버스정류장 확대")
    _send(staff)
    answer = _wait_for_complete_answer(staff)
    inserted = _insert_into_draft(staff, answer)
    for chatter in COACH_CHATTER:
        assert chatter not in inserted, chatter
    inserted_share = ai_share_percent(json.loads(_stored_segments(coach_server, draft_id)))
    assert inserted_share == 100

    # One word of the inserted outline rewritten: only that word loses its mark.
    with staff.expect_response(
        lambda r: r.url.endswith(save_url) and r.request.method == "POST" and r.ok,
        timeout=15_000,
    ) as saved:
        _select_in_editor(staff, "확대")
        staff.keyboard.type("확충")
    segments = saved.value.request.post_data_json["segments"]
    expect(staff.locator("#draft-status")).to_have_text(SAVED)
    start = inserted.index("확대")
    expected = [
        {"text": inserted[:start], "ai": True},
        {"text": "확충", "ai": False},
        {"text": inserted[start + 2 :], "ai": True},
    ]
    assert segments[: len(expected)] == expected, segments[:4]
    assert all(not s["ai"] and not s["text"].strip() for s in segments[len(expected) :])
    marks = editor.locator("mark.practice-ai")
    expect(marks).to_have_count(2)
    assert _text(marks.nth(0)) == inserted[:start]
    assert _text(marks.nth(1)) == inserted[start + 2 :]
    # Typing on carries on in the user's own text; the rest of the block stays marked.
    with staff.expect_response(
        lambda r: r.url.endswith(save_url) and r.request.method == "POST" and r.ok,
        timeout=15_000,
    ) as saved:
        staff.keyboard.type(" 방안")
    segments = saved.value.request.post_data_json["segments"]
    assert segments[1] == {"text": "확충 방안", "ai": False}
    assert segments[2] == expected[2]
    expect(marks).to_have_count(2)

    # Korean typed through an IME (composition events) over part of a word: the whole
    # word becomes the user's once the syllables are committed, and nothing more.
    word = "결론·건의를"
    word_at = inserted.index(word)
    with staff.expect_response(
        lambda r: r.url.endswith(save_url) and r.request.method == "POST" and r.ok,
        timeout=15_000,
    ) as saved:
        _select_in_editor(staff, "결론")
        cdp = staff.context.new_cdp_session(staff)
        for syllable, jamo in (("요", ("ㅇ", "요")), ("약", ("ㅇ", "야", "약"))):
            for partial in jamo:
                cdp.send(
                    "Input.imeSetComposition",
                    {"text": partial, "selectionStart": 1, "selectionEnd": 1},
                )
            cdp.send("Input.insertText", {"text": syllable})
    segments = saved.value.request.post_data_json["segments"]
    assert segments[3] == {"text": "요약·건의를", "ai": False}, segments[:6]
    assert segments[2] == {"text": inserted[start + 2 : word_at], "ai": True}
    assert segments[4] == {"text": inserted[word_at + len(word) :], "ai": True}
    expect(marks).to_have_count(3)

    staff.reload()  # as stored
    expect(marks).to_have_count(3)
    assert _text(marks.nth(0)) == inserted[:start]
    assert _text(marks.nth(1)) == inserted[start + 2 : word_at]
    share = ai_share_percent(json.loads(_stored_segments(coach_server, draft_id)))
    # Ten letters of the user's in an outline of hundreds: close to the inserted share.
    assert inserted_share - 3 <= share < inserted_share
    staff.screenshot(path=artifacts_dir / "practice-ai-share-workspace.png", full_page=True)
    _assert_accessible_at_both_widths(axe_violations, staff, "the workspace with an edited block")

    _submit(staff, coach_server)
    expect(staff.locator(".portal-lead")).to_contain_text(f"AI가 넣은 글 비율 {share}%")
    stored = _database_rows(
        coach_server.database,
        "SELECT ai_share_percent FROM assistant_submissions WHERE draft_id = ?",
        int(draft_id),
    )
    assert stored == [(share,)]
    _assert_accessible_at_both_widths(axe_violations, staff, "the submission page")


# The editor's marking rule, run in Chromium on its own: [AI text kept at the start, the
# user's text, AI text kept at the end] after one edit of a mark.
SPLIT_CASES = [
    ("약 412개소 설치", "약 999개소 설치", ["약 ", "999개소", " 설치"]),  # a figure rewritten
    ("이용율 증가", "이용률 증가", ["", "이용률", " 증가"]),  # one letter: its word
    ("가 나 다", "가 다", ["가 ", "", "다"]),  # a word deleted: nothing of the user's
    ("확대\n끝", "확대 방안\n끝", ["확대", " 방안", "\n끝"]),  # words added between words
    ("확대\n끝", "확대를\n끝", ["", "확대를", "\n끝"]),  # a word extended: the user's
    ("끝.", "끝. 이상", ["끝.", " 이상", ""]),  # typed after the end of the mark
    ("끝.", "첨언 끝.", ["", "첨언 ", "끝."]),  # typed before its start
    ("보고했다.", "보고했다", ["", "보고했다", ""]),  # a changed word, even by one letter
    ("가 나 다", "", ["", "", ""]),  # all deleted
    ("가 나 다", "가 나 다", ["가 나 다", "", ""]),  # unchanged
]


def test_the_editors_marking_rule(browser: Browser):
    source = (ROOT / "portal" / "static" / "js" / "assistant.js").read_text(encoding="utf-8")
    start = source.index("  function splitEdit(")
    end = source.index("\n  function ", start + 1)
    page = browser.new_page()
    try:
        results = page.evaluate(
            "([source, cases]) => { const SPACE = /\\s/; "
            "const splitEdit = new Function('SPACE', source + '; return splitEdit;')(SPACE); "
            "return cases.map(([before, after]) => splitEdit(before, after)); }",
            [source[start:end], [[before, after] for before, after, _ in SPLIT_CASES]],
        )
    finally:
        page.close()
    for (before, after, expected), got in zip(SPLIT_CASES, results, strict=True):
        assert got == expected, (before, after, got)
        assert "".join(got) == after
