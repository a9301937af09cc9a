"""An admin prices a model on the models screen (practice_manage.models), with axe-core.

A wrong price comes back with its message tied to the field and what was typed kept;
a right one is saved and shown in the table. Screenshots at 1280 and 360 px.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import FAKE_MODEL_KEY, FAKE_MODEL_LABEL

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def test_an_admin_prices_a_model_and_a_wrong_price_is_explained(
    axe_page, practice_server, log_in, axe_violations, artifacts_dir
):
    page = axe_page
    log_in(page, practice_server, "D0001")
    expect(page).to_have_url(practice_server.url("/"))
    page.goto(practice_server.url("/practice/manage/models"))
    form = page.get_by_role("form", name=f"{FAKE_MODEL_LABEL} ({FAKE_MODEL_KEY})")
    input_price = form.get_by_label("입력 토큰 가격 (원/100만 토큰)")
    output_price = form.get_by_label("출력 토큰 가격 (원/100만 토큰)")

    input_price.fill("1,500")
    output_price.fill("1.234")
    form.get_by_role("button", name="가격 저장").click()
    expect(output_price).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".form-hint-invalid")).to_have_text(
        "가격은 소수점 아래 둘째 자리까지만 입력할 수 있습니다."
    )
    expect(input_price).to_have_value("1,500")
    found = _blocking(axe_violations(page))
    assert not found, "models page with a refused price:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / "model-prices-error-1280.png", full_page=True)

    output_price.fill("6000")
    form.get_by_role("button", name="가격 저장").click()
    expect(page.locator(".portal-flashes")).to_contain_text("모델 가격을 저장했습니다")
    row = page.locator("tbody tr").filter(has_text=FAKE_MODEL_LABEL)
    expect(row).to_contain_text("입력 1,500 · 출력 6,000")
    found = _blocking(axe_violations(page))
    assert not found, "models page after saving prices:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / "model-prices-saved-1280.png", full_page=True)

    page.set_viewport_size({"width": 360, "height": 780})
    page.screenshot(path=artifacts_dir / "model-prices-saved-360.png", full_page=True)
    found = _blocking(axe_violations(page))
    assert not found, "models page at 360 px:\n" + "\n".join(found)
