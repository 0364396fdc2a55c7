"""``safe_next``: only paths on this site survive as a post-login redirect target."""

from __future__ import annotations

import pytest

from app.views.auth import safe_next


@pytest.mark.parametrize(
    "target",
    ["/", "/wiki/x?y=1", "/wiki/x#history", "/search?q=expense%20policy&page=2", "/wiki/a:b"],
)
def test_path_on_this_site_is_accepted(target: str) -> None:
    assert safe_next(target) == target


def test_surrounding_whitespace_is_trimmed() -> None:
    assert safe_next("  /wiki/x  ") == "/wiki/x"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.com",
        "http://evil.com/wiki/x",
        "HTTPS://evil.com",
        "//evil.com",
        "///evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "\\/evil.com",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,x",
        "http:evil.com",
        "https:/evil.com",
        " //evil.com",
        "\t//evil.com",
        "\x0b//evil.com",
        "wiki/x",
        "evil.com",
        "../x",
    ],
)
def test_target_off_this_site_is_refused(target: str) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.com",
        "/\n/evil.com",
        "/\r/evil.com",
        "/wiki/x\r\nSet-Cookie: session=x",
        "/wiki/x\x00",
        "/wiki/\x1bx",
        "/\x0c/evil.com",
        "/\x7f/evil.com",
    ],
    ids=[
        "tab",
        "newline",
        "carriage-return",
        "header-injection",
        "nul",
        "escape",
        "form-feed",
        "delete",
    ],  # fmt: skip
)
def test_target_with_control_characters_is_refused(target: str) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize("target", [None, "", "   ", "\t"])
def test_missing_target_is_refused(target: str | None) -> None:
    assert safe_next(target) is None
