"""Admins set model prices (won per million tokens) on the models screen, audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.assistant.backends.specs import ModelSpec
from portal.assistant.errors import SandboxError
from portal.assistant.manage import operations
from portal.assistant.models import ModelSetting
from portal.audit.models import AuditEntry
from portal.db import db
from portal.users.models import Role
from tests.conftest import Auth

URL = "/practice/manage/models"


@pytest.fixture
def priced_model(app):
    """A configured external model "paid-llm" with no settings row yet."""
    specs = app.extensions["assistant_models"]
    saved = dict(specs)
    specs["paid-llm"] = ModelSpec(
        key="paid-llm",
        backend="openai",
        label="유료 모델",
        model="paid-model",
        base_url="http://127.0.0.1:9/v1",
        api_key="test-key",
    )
    yield "paid-llm"
    specs.clear()
    specs.update(saved)


def _post_prices(client, key: str, input_price: str, output_price: str, **extra):
    data = {
        "csrf_token": Auth(client).csrf(URL),
        "action": "prices",
        "key": key,
        "input_price": input_price,
        "output_price": output_price,
        **extra,
    }
    return client.post(URL, data=data)


def _setting(app, key: str) -> ModelSetting | None:
    with app.app_context():
        return db.session.get(ModelSetting, key)


def _price_audits(app) -> list[dict]:
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "assistant.model_price_changed")
                .order_by(AuditEntry.id)
            )
        ]


def test_an_admin_sets_changes_and_clears_prices_with_audit(app, client, as_role, priced_model):
    as_role(Role.ADMIN)
    page = client.get(URL).get_data(as_text=True)
    assert "모델 가격" in page and 'id="input_price-paid-llm"' in page
    assert "입력 미설정 · 출력 미설정" in page
    assert 'id="input_price-offline"' not in page  # the coach costs nothing

    saved = _post_prices(client, priced_model, "1,500", "6000.5")
    assert saved.status_code == 302
    setting = _setting(app, priced_model)
    assert setting.input_price_per_million == Decimal("1500.00")
    assert setting.output_price_per_million == Decimal("6000.50")
    assert not setting.is_enabled  # setting a price does not enable the model
    page = client.get(URL).get_data(as_text=True)
    assert "모델 가격을 저장했습니다" in page
    assert "입력 1,500 · 출력 6,000.5" in page
    assert 'value="1500"' in page and 'value="6000.5"' in page

    # The same values again change nothing and leave no second entry.
    _post_prices(client, priced_model, "1500", "6000.50")
    assert len(_price_audits(app)) == 1

    # Blank clears a price: unknown, not zero. Zero itself is a real price.
    _post_prices(client, priced_model, "", "0")
    setting = _setting(app, priced_model)
    assert setting.input_price_per_million is None
    assert setting.output_price_per_million == Decimal("0")
    assert _price_audits(app) == [
        {
            "before": {"input_price_per_million": None, "output_price_per_million": None},
            "after": {"input_price_per_million": "1500", "output_price_per_million": "6000.5"},
        },
        {
            "before": {"input_price_per_million": "1500", "output_price_per_million": "6000.5"},
            "after": {"input_price_per_million": None, "output_price_per_million": "0"},
        },
    ]
    # The readable audit log names the action and the fields.
    log = client.get("/admin/audit/").get_data(as_text=True)
    assert "AI 모델 가격 변경" in log and "입력 가격(원/100만 토큰)" in log


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "숫자로 입력해 주세요"),
        ("1e3", "숫자로 입력해 주세요"),
        ("NaN", "숫자로 입력해 주세요"),
        ("12.3.4", "숫자로 입력해 주세요"),
        ("1,50", "숫자로 입력해 주세요"),
        ("١٥٠٠", "숫자로 입력해 주세요"),  # digits, but not ones a price is written in
        ("9" * 40, "숫자로 입력해 주세요"),
        ("-1", "0원 이상"),
        ("10000000.01", "10,000,000원 이하"),
        ("1.234", "둘째 자리까지"),
        ("12\x00", "숫자로 입력해 주세요"),
    ],
)
def test_a_bad_price_is_refused_with_a_message_and_changes_nothing(
    app, client, as_role, priced_model, typed, message
):
    as_role(Role.ADMIN)
    _post_prices(client, priced_model, "100", "200")
    response = _post_prices(client, priced_model, "300", typed)
    body = response.get_data(as_text=True)
    if "\x00" in typed:
        # NUL bytes are refused for the whole request before the view runs.
        assert response.status_code == 400
    else:
        assert response.status_code == 400
        assert message in body and "가격을 저장하지 않았습니다" in body
        assert 'aria-invalid="true"' in body and 'id="output_price-paid-llm-error"' in body
        assert 'value="300"' in body  # what the admin typed is kept for correction
    setting = _setting(app, priced_model)
    assert setting.input_price_per_million == Decimal("100")
    assert setting.output_price_per_million == Decimal("200")
    assert len(_price_audits(app)) == 1


def test_the_largest_price_and_two_decimals_are_accepted(app, client, as_role, priced_model):
    as_role(Role.ADMIN)
    assert _post_prices(client, priced_model, "10,000,000", "0.01").status_code == 302
    setting = _setting(app, priced_model)
    assert setting.input_price_per_million == Decimal("10000000")
    assert setting.output_price_per_million == Decimal("0.01")
    # Full-width digits typed with a Korean IME are digits too.
    assert _post_prices(client, priced_model, " １５００ ", "").status_code == 302
    assert _setting(app, priced_model).input_price_per_million == Decimal("1500")


def test_prices_need_csrf_an_admin_and_a_configured_paid_model(
    app, client, auth, as_role, make_user, priced_model
):
    as_role(Role.COORDINATOR)
    refused = client.post(
        URL,
        data={
            "csrf_token": Auth(client).csrf("/"),
            "action": "prices",
            "key": priced_model,
            "input_price": "1",
            "output_price": "1",
        },
    )
    assert refused.status_code == 403
    auth.logout()

    as_role(Role.ADMIN)
    no_token = client.post(
        URL,
        data={"action": "prices", "key": priced_model, "input_price": "1", "output_price": "1"},
    )
    assert no_token.status_code == 400  # refused before the view, as every form
    for key, message in (
        ("offline", "연습 코치는 비용이 들지 않아"),
        ("no-such-model", "설정 파일에 없는 모델"),
    ):
        assert _post_prices(client, key, "1", "1").status_code == 302
        assert message in client.get(URL).get_data(as_text=True)
    # A bad price for a model with no price form is refused the same way, not shown.
    assert _post_prices(client, "offline", "x", "1").status_code == 302
    assert "요청이 올바르지 않습니다" in client.get(URL).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ModelSetting)) == 0
    assert _price_audits(app) == []


def test_offline_coach_and_unknown_models_have_no_price(app, priced_model):
    with app.test_request_context():
        with pytest.raises(SandboxError, match="연습 코치"):
            operations.set_prices("offline", input_price=Decimal(1), output_price=None)
        with pytest.raises(SandboxError) as unknown:
            operations.set_prices("nope", input_price=None, output_price=None)
        assert unknown.value.status == 404
        with pytest.raises(SandboxError, match="0원 이상"):
            operations.set_prices(priced_model, input_price=Decimal(-1), output_price=None)


def test_price_text_drops_trailing_zeros():
    assert operations.price_text(None) is None
    assert operations.price_text(Decimal("1500.00")) == "1500"
    assert operations.price_text(Decimal("0.50")) == "0.5"
    assert operations.price_text(Decimal("0.25")) == "0.25"
    assert operations.price_display(Decimal("1234567.80")) == "1,234,567.8"
