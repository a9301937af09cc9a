"""Layered configuration that fails loudly."""

import pytest

from portal.config import SETTINGS, ConfigError, load_config, settings_table_markdown


def test_defaults_give_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_CONFIG", raising=False)
    config = load_config(tmp_path)
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'portal.db'}"
    assert len(config["SECRET_KEY"]) >= 32
    # The development key is kept, so sessions survive a restart.
    assert load_config(tmp_path)["SECRET_KEY"] == config["SECRET_KEY"]


def test_instance_file_overrides_defaults(tmp_path):
    (tmp_path / "config.py").write_text("SESSION_IDLE_MINUTES = 20\n", encoding="utf-8")
    assert load_config(tmp_path)["SESSION_IDLE_MINUTES"] == 20


def test_unknown_key_in_the_instance_file_fails(tmp_path):
    (tmp_path / "config.py").write_text("SESION_IDLE_MINUTES = 20\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="SESION_IDLE_MINUTES"):
        load_config(tmp_path)


def test_environment_overrides_the_file_and_is_coerced(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("SESSION_IDLE_MINUTES = 20\n", encoding="utf-8")
    monkeypatch.setenv("PORTAL_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("PORTAL_TESTING", "true")
    config = load_config(tmp_path)
    assert config["SESSION_IDLE_MINUTES"] == 15
    assert config["TESTING"] is True


def test_unknown_environment_variable_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABSE_URL", "sqlite://")
    with pytest.raises(ConfigError, match="PORTAL_DATABSE_URL"):
        load_config(tmp_path)


def test_badly_typed_environment_value_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_LOGIN_MAX_FAILURES", "five")
    with pytest.raises(ConfigError, match="integer"):
        load_config(tmp_path)


def test_production_requires_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, {"ENV": "production"})


def test_production_rejects_a_short_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="32"):
        load_config(tmp_path, {"ENV": "production", "SECRET_KEY": "short"})


@pytest.mark.parametrize("key", ["x" * 40, "changeme" * 5, "0123456789" * 4])
def test_production_rejects_a_placeholder_secret_key(tmp_path, key):
    with pytest.raises(ConfigError, match="placeholder"):
        load_config(tmp_path, {"ENV": "production", "SECRET_KEY": key})


def test_production_accepts_a_generated_secret_key(tmp_path):
    import secrets

    key = secrets.token_urlsafe(48)
    assert load_config(tmp_path, {"ENV": "production", "SECRET_KEY": key})["SECRET_KEY"] == key


def test_missing_config_file_named_explicitly_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_CONFIG", str(tmp_path / "nope.py"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path)


def test_every_setting_is_documented_in_the_readme():
    readme = (__import__("pathlib").Path(__file__).parents[2] / "README.md").read_text(
        encoding="utf-8"
    )
    for name in SETTINGS:
        assert f"`{name}`" in readme, f"README lacks the setting {name}"
    assert settings_table_markdown().splitlines()[0].startswith("| setting")
