"""Password hashing with argon2id, and the policy a new password must meet.

Parameters: OWASP ASVS 5.0 Appendix C / OWASP Password Storage Cheat Sheet minimum
for argon2id (m=19 MiB, t=2, p=1). Werkzeug's default scrypt is below that floor.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)

# Verified against when an account does not exist, so a wrong employee number
# costs the same time as a wrong password and does not reveal who has an account.
_DUMMY_HASH = HASHER.hash("not-a-real-password-0")


def hash_password(password: str) -> str:
    """An argon2id hash of the password, salt included."""
    return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; a missing or broken hash never matches."""
    try:
        return HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


def password_problems(password: str, *, min_length: int, identifiers: list[str]) -> list[str]:
    """Reasons a new password is refused (empty list: acceptable). Messages are msgids."""
    problems = []
    if len(password) < min_length:
        problems.append("too_short")
    if len(set(password)) < 4:
        problems.append("too_simple")
    lowered = password.lower()
    if any(ident and ident.lower() in lowered for ident in identifiers):
        problems.append("contains_identifier")
    return problems


def password_errors(
    password: str, *, min_length: int, employee_number: str, email: str
) -> list[str]:
    """Why a new password is refused, as messages for the screen (empty list: acceptable).

    The one policy for every way a password is set: by its owner, by an administrator
    and from the command line. Neither the employee number nor the e-mail's local part
    may appear in it.
    """
    problems = password_problems(
        password, min_length=min_length, identifiers=[employee_number, email.split("@")[0]]
    )
    messages = {
        "too_short": _("비밀번호는 %(n)d자 이상이어야 합니다.", n=min_length),
        "too_simple": _("같은 글자가 너무 많이 반복됩니다. 더 다양한 글자를 섞어 주세요."),
        "contains_identifier": _("비밀번호에 사번이나 이메일 아이디를 넣을 수 없습니다."),
    }
    return [messages[problem] for problem in problems]
