"""Every setting the portal reads, with its default and meaning.

Settings are layered: the defaults below, then ``instance/config.py`` (or the
file named by ``PORTAL_CONFIG``), then ``PORTAL_<NAME>`` environment variables,
then overrides passed to ``create_app`` (tests). A key that is not declared here
is rejected, so a typo in a deployment fails at start instead of being ignored.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    """The configuration is unusable; the message says which key and why."""


@dataclass(frozen=True)
class Setting:
    default: Any
    doc: str
    kind: type = str
    required_in_production: bool = False


# A production key needs this many different characters: "x" * 40 or a repeated word is
# long enough but guessable (secrets.token_urlsafe(48) has about 40).
SECRET_KEY_MIN_DISTINCT = 16

SETTINGS: dict[str, Setting] = {
    "ENV": Setting("development", "development, production or testing."),
    "SECRET_KEY": Setting(
        None,
        "Signs session cookies and CSRF tokens. Generated into instance/secret_key "
        "in development; must be set in production.",
        required_in_production=True,
    ),
    "DATABASE_URL": Setting(
        None,
        "SQLAlchemy URL. Empty means SQLite at instance/portal.db. PostgreSQL: "
        "postgresql+psycopg://user:pass@host/dbname.",
    ),
    "SQLITE_BUSY_TIMEOUT_MS": Setting(15000, "SQLite busy timeout in milliseconds.", int),
    "DATABASE_POOL_SIZE": Setting(
        10,
        "PostgreSQL connections each worker keeps. Keep workers × (pool size + overflow) "
        "below the server's max_connections (100 by default).",
        int,
    ),
    "DATABASE_MAX_OVERFLOW": Setting(
        0, "Extra PostgreSQL connections a worker may open at a peak, beyond the pool.", int
    ),
    "RATELIMIT_STORAGE_URI": Setting(
        "memory://",
        "Flask-Limiter storage. Use redis://host:6379/0 with several workers so "
        "limits hold across all of them.",
    ),
    "LOGIN_RATE_LIMIT_IP": Setting("30 per minute", "Login attempts allowed per client IP."),
    "LOGIN_RATE_LIMIT_ACCOUNT": Setting(
        "10 per minute", "Login attempts allowed per account identifier from one client address."
    ),
    "LOGIN_MAX_FAILURES": Setting(
        5,
        "Consecutive failures from one client address that lock the account for that address.",
        int,
    ),
    "LOGIN_ACCOUNT_MAX_FAILURES": Setting(
        50,
        "Failures from all addresses together that lock the account for everyone.",
        int,
    ),
    "LOGIN_LOCK_MINUTES": Setting(15, "How long a locked account stays locked.", int),
    "SESSION_IDLE_MINUTES": Setting(
        30, "Idle timeout of a login session (KWCAG 2.2.1 warning shown before it).", int
    ),
    "SESSION_IDLE_WARNING_SECONDS": Setting(
        120, "How long before the idle timeout the on-page warning appears.", int
    ),
    "SESSION_ABSOLUTE_HOURS": Setting(12, "Absolute lifetime of a login session.", int),
    "SESSION_TOUCH_SECONDS": Setting(
        60, "Minimum interval between writes of a session's last-seen time.", int
    ),
    "PASSWORD_MIN_LENGTH": Setting(10, "Minimum password length.", int),
    "TRUSTED_PROXY_COUNT": Setting(
        0, "Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.", int
    ),
    "METRICS_TOKEN": Setting(
        None,
        "Lets a Prometheus server on another machine read /metrics with "
        "'Authorization: Bearer <token>'. Empty: /metrics answers loopback only.",
    ),
    "LOG_LEVEL": Setting("INFO", "Python log level for the portal's structured log."),
    "DEFAULT_LOCALE": Setting("ko", "Locale for users who have not chosen one (ko or en)."),
    "NEW_APPOINTEE_DAYS": Setting(
        90, "An employee appointed within this many days counts as a new appointee.", int
    ),
    "COORDINATOR_DEPARTMENT_SCOPE": Setting(
        False,
        "If true, a coordinator may export, and see on the dashboards, only their own department"
        " and its sub-departments.",
        bool,
    ),
    "ANNUAL_LEARNING_HOURS_TARGET": Setting(
        80, "Recognised learning hours (상시학습) each person owes per year.", int
    ),
    "COMPLETION_MIN_ATTENDANCE_PERCENT": Setting(
        80,
        "Share of a session's scheduled hours a person must attend to complete it.",
        int,
    ),
    "COMPLETION_LATE_CREDIT_PERCENT": Setting(
        50,
        "How much of a day's hours a late arrival counts for (100 = like present, "
        "0 = like absent). Excused days count as not attended.",
        int,
    ),
    "CHECKIN_OPENS_MINUTES_BEFORE": Setting(
        30, "QR self check-in opens this many minutes before a session day starts.", int
    ),
    "CHECKIN_LATE_AFTER_MINUTES": Setting(
        10, "A check-in later than this many minutes after the day's start counts as late.", int
    ),
    "CHECKIN_CODE_SECONDS": Setting(
        30, "How often the room screen's check-in code rotates; older codes stop working.", int
    ),
    "HOURS_EVIDENCE_MAX_BYTES": Setting(
        5 * 1024 * 1024, "Largest evidence file (PDF, PNG or JPEG) for outside learning hours.", int
    ),
    "SURVEY_MIN_GROUP": Setting(
        5, "Satisfaction-survey results are shown only for groups of at least this many.", int
    ),
    "CERTIFICATE_ISSUER": Setting(
        "세종특별자치시장", "Issuer printed on certificates (수료증) and the verification page."
    ),
    "CERTIFICATE_NUMBER_PREFIX": Setting(
        "SJ-AI", "Prefix of certificate numbers, e.g. SJ-AI-2026-000123 (docs/certificates.md)."
    ),
    "ROSTER_IMPORT_MAX_BYTES": Setting(
        5 * 1024 * 1024, "Largest roster file accepted for import.", int
    ),
    "ASSISTANT_MODELS": Setting(
        [],
        "Model endpoints for the practice sandbox, as a JSON list of objects: key, backend "
        "(openai or azure), label, model, base_url, api_key, azure_endpoint, api_version, "
        "internal. `internal: true` marks an endpoint inside the city's network, the only "
        "kind that may receive 민감 data; admins then enable the models staff may use. The "
        "built-in offline coach is always available and is the default.",
        list,
    ),
    "ASSISTANT_TIMEOUT_SECONDS": Setting(
        60, "Timeout of every model call (connect and each wait for data), in seconds.", int
    ),
    "ASSISTANT_RETENTION_DAYS": Setting(
        90,
        "`flask retention purge` deletes sandbox conversations (and unsubmitted drafts) idle "
        "for longer than this; submitted exercise drafts and audit records are kept.",
        int,
    ),
    "AUDIT_RETENTION_DAYS": Setting(
        730,
        "`flask audit purge` deletes audit entries older than this many days (default two "
        "years); it refuses a value under 365, the legal minimum for personal-data access "
        "records, and records the purge itself as an audit entry.",
        int,
    ),
    "ASSISTANT_POLICY_VERSION": Setting(
        "2026-11",
        "Version of the AI-use policy; changing it asks every user to accept the policy again.",
    ),
    "TESTING": Setting(False, "Set by the test suite.", bool),
    "WTF_CSRF_ENABLED": Setting(True, "CSRF protection; only tests may turn it off.", bool),
    "SERVER_NAME": Setting(None, "Public host name, when URLs are built outside a request."),
    "PREFERRED_URL_SCHEME": Setting("http", "Scheme for URLs built outside a request."),
    "SMTP_HOST": Setting(
        None,
        "SMTP server for `flask outbox send`. Empty means mail is not sent: it stays in "
        "the outbox, visible to admins.",
    ),
    "SMTP_PORT": Setting(587, "SMTP server port.", int),
    "SMTP_USERNAME": Setting(None, "SMTP login name; empty means no login."),
    "SMTP_PASSWORD": Setting(None, "SMTP password (used with SMTP_USERNAME)."),
    "SMTP_USE_TLS": Setting(True, "Upgrade the SMTP connection with STARTTLS.", bool),
    "MAIL_FROM": Setting("ai-edu@sejong.example.kr", "Sender address of the portal's e-mail."),
    "OUTBOX_MAX_ATTEMPTS": Setting(
        8, "Delivery attempts per e-mail before it is marked failed (admins can retry).", int
    ),
    "OUTBOX_BATCH_SIZE": Setting(50, "E-mails a worker claims and sends per batch.", int),
}

_ENV_PREFIX = "PORTAL_"


def _coerce(name: str, raw: str, kind: type) -> Any:
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{_ENV_PREFIX}{name}: expected true or false, got {raw!r}")
    if kind is list:
        try:
            value = json.loads(raw)
        except ValueError:
            raise ConfigError(f"{_ENV_PREFIX}{name}: expected a JSON list") from None
        if not isinstance(value, list):
            raise ConfigError(f"{_ENV_PREFIX}{name}: expected a JSON list")
        return value
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{_ENV_PREFIX}{name}: expected an integer, got {raw!r}") from None
    return raw


def _check_keys(source: str, values: dict[str, Any]) -> None:
    unknown = sorted(set(values) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"Unknown setting(s) in {source}: {', '.join(unknown)}")


def _read_file(path: Path) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102
    return {k: v for k, v in namespace.items() if k.isupper()}


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the instance file, PORTAL_* variables and overrides; fail loudly."""
    config = {name: setting.default for name, setting in SETTINGS.items()}

    file_path = Path(os.environ.get("PORTAL_CONFIG", instance_path / "config.py"))
    if file_path.is_file():
        from_file = _read_file(file_path)
        _check_keys(str(file_path), from_file)
        config.update(from_file)
    elif "PORTAL_CONFIG" in os.environ:
        raise ConfigError(f"PORTAL_CONFIG names a file that does not exist: {file_path}")

    from_env: dict[str, Any] = {}
    for key, raw in os.environ.items():
        if not key.startswith(_ENV_PREFIX) or key == "PORTAL_CONFIG":
            continue
        name = key[len(_ENV_PREFIX) :]
        if name not in SETTINGS:
            raise ConfigError(f"Unknown setting in the environment: {key}")
        from_env[name] = _coerce(name, raw, SETTINGS[name].kind)
    config.update(from_env)

    if overrides:
        _check_keys("create_app overrides", overrides)
        config.update(overrides)

    if config["ENV"] not in {"development", "production", "testing"}:
        raise ConfigError(f"ENV must be development, production or testing, not {config['ENV']!r}")
    if config["DEFAULT_LOCALE"] not in {"ko", "en"}:
        raise ConfigError("DEFAULT_LOCALE must be ko or en")

    if config["ENV"] == "production":
        missing = [n for n, s in SETTINGS.items() if s.required_in_production and not config[n]]
        if missing:
            raise ConfigError(f"Required in production but not set: {', '.join(missing)}")
        if len(str(config["SECRET_KEY"])) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        if len(set(str(config["SECRET_KEY"]))) < SECRET_KEY_MIN_DISTINCT:
            raise ConfigError(
                "SECRET_KEY looks like a placeholder (too few different characters); generate "
                "one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
    elif not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _development_secret(instance_path)

    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'portal.db'}"
    return config


def _development_secret(instance_path: Path) -> str:
    """A per-checkout random key, so development never runs on a well-known secret."""
    key_file = instance_path / "secret_key"
    if key_file.is_file():
        return key_file.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


def settings_table_markdown() -> str:
    """The README's settings table, generated from SETTINGS so the two cannot drift."""
    rows = ["| setting (`PORTAL_` + name) | default | meaning |", "|---|---|---|"]
    for name, setting in SETTINGS.items():
        default = (
            json.dumps(setting.default, ensure_ascii=False) if setting.default is not None else "—"
        )
        rows.append(f"| `{name}` | `{default}` | {setting.doc} |")
    return "\n".join(rows)
