"""Password hashes: slow scrypt unless the configuration chooses another werkzeug method."""

from __future__ import annotations

from app import config
from app.models import User
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
