"""Password hashes: slow scrypt unless the configuration chooses another werkzeug method."""

from __future__ import annotations

import pytest

from app import config
from app.models import User
from app.services import users
from tests.factories import FAST_PASSWORD_METHOD


def test_passwords_are_hashed_with_scrypt_by_default() -> None:
    assert config.DEFAULTS["PASSWORD_HASH_METHOD"] == "scrypt"
    user = User()
    user.set_password("correct horse")
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("correct horse") and not user.check_password("wrong")


def test_another_method_is_used_when_chosen_and_still_checks() -> None:
    user = User()
    user.set_password("correct horse", FAST_PASSWORD_METHOD)
    assert user.password_hash.startswith(f"{FAST_PASSWORD_METHOD}$")
    assert user.check_password("correct horse") and not user.check_password("wrong")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "at least 10 characters"),
        ("nine-char", "at least 10 characters"),
        ("password123", "most common"),
        ("QwertyUiop", "most common"),  # case does not make a common password rare
        ("1234567890", "most common"),
        ("aaaaaaaaaaaa", "most common"),
    ],
)
def test_short_and_common_passwords_are_refused(password: str, problem: str) -> None:
    assert problem in (users.password_problem(password) or "")


@pytest.mark.parametrize(
    "password", ["correct horse battery", "plainlowercaseletters", "ten chars!", "Ünïcödé-pässwörd"]
)
def test_long_uncommon_passwords_need_no_digits_or_symbols(password: str) -> None:
    assert users.password_problem(password) is None
