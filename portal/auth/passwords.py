"""Password hashing with argon2id.

Parameters: OWASP ASVS 5.0 Appendix C / OWASP Password Storage Cheat Sheet minimum
for argon2id (m=19 MiB, t=2, p=1). Werkzeug's default scrypt is below that floor.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

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
