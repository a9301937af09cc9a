"""argon2id at the OWASP ASVS floor."""

from argon2 import extract_parameters

from portal.auth.passwords import (
    hash_password,
    needs_rehash,
    password_errors,
    password_problems,
    verify_password,
)


def test_hashes_use_argon2id_with_at_least_19_mib_and_two_passes():
    params = extract_parameters(hash_password("Correct horse 1"))
    assert params.type.name == "ID"
    assert params.memory_cost >= 19 * 1024
    assert params.time_cost >= 2
    assert params.parallelism == 1


def test_verify_accepts_the_right_password_only():
    stored = hash_password("Correct horse 1")
    assert verify_password(stored, "Correct horse 1")
    assert not verify_password(stored, "correct horse 1")


def test_missing_or_broken_hash_never_matches():
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_weaker_old_hashes_are_flagged_for_rehash():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("x")
    assert needs_rehash(weak)


def test_password_rules():
    assert password_problems("Abcdef!234", min_length=10, identifiers=["D0004"]) == []
    assert "too_short" in password_problems("Ab1!", min_length=10, identifiers=[])
    assert "too_simple" in password_problems("aaaaaaaaaaaa", min_length=10, identifiers=[])
    assert "contains_identifier" in password_problems(
        "xxD0004yy!!", min_length=10, identifiers=["d0004"]
    )


def test_the_policy_explains_each_problem_in_korean(ctx):
    errors = password_errors(
        "kim.mj-aaaa", min_length=12, employee_number="D0004", email="Kim.MJ@example.go.kr"
    )
    assert errors == [
        "비밀번호는 12자 이상이어야 합니다.",
        "비밀번호에 사번이나 이메일 아이디를 넣을 수 없습니다.",
    ]
    assert (
        password_errors(
            "Abcdef!234xy", min_length=12, employee_number="D0004", email="kim@example.go.kr"
        )
        == []
    )
