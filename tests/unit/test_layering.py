"""The dependency rule: below the edge, no module imports Flask (see STYLE.md, section 2)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
#: Modules of the edge, which may import Flask: top-level files and whole packages.
EDGE_MODULES = {"__init__.py", "deps.py", "extensions.py", "cli.py", "config.py"}
EDGE_PACKAGES = {"views", "api", "migrations"}
FORBIDDEN = frozenset({"flask", "flask_login", "flask_wtf", "flask_limiter"})


def _below_the_edge() -> list[Path]:
    modules = []
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP)
        if relative.parts[0] in EDGE_PACKAGES:
            continue
        if len(relative.parts) == 1 and relative.name in EDGE_MODULES:
            continue
        modules.append(path)
    return modules


def _imports(source: str, filename: str = "<test>") -> list[tuple[int, str]]:
    """(line, module) for every absolute import in ``source``, wherever it appears."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _forbidden_imports(source: str, filename: str = "<test>") -> list[tuple[int, str]]:
    return [
        (line, name) for line, name in _imports(source, filename) if name.split(".")[0] in FORBIDDEN
    ]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import flask", [(1, "flask")]),
        ("from flask import g", [(1, "flask")]),
        ("import flask.json as j", [(1, "flask.json")]),
        ("from flask_login import current_user", [(1, "flask_login")]),
        ("import os, flask_wtf", [(1, "flask_wtf")]),
        ("def f():\n    from flask_limiter import Limiter", [(2, "flask_limiter")]),
        ("if TYPE_CHECKING:\n    from flask import Flask", [(2, "flask")]),
        ("from werkzeug.security import check_password_hash", []),
        ("import flasky\nfrom app import flask_helpers", []),
        ("from . import flask", []),
    ],
)
def test_checker_finds_flask_imports_and_nothing_else(
    source: str, found: list[tuple[int, str]]
) -> None:
    assert _forbidden_imports(source) == found


def test_modules_below_the_edge_are_the_inner_layers() -> None:
    below = {path.relative_to(APP).as_posix() for path in _below_the_edge()}
    assert {"render.py", "diffing.py", "slugs.py", "models.py", "services/pages.py"} <= below
    assert {"review/workflow.py", "search/whoosh_backend.py"} <= below
    assert not below & {"__init__.py", "deps.py", "extensions.py", "cli.py", "config.py"}
    assert not any(path.split("/")[0] in EDGE_PACKAGES for path in below)


def test_domain_services_and_details_do_not_import_flask() -> None:
    offenders = [
        f"app/{path.relative_to(APP).as_posix()}:{line} imports {name}"
        for path in _below_the_edge()
        for line, name in _forbidden_imports(path.read_text(encoding="utf-8"), str(path))
    ]
    assert not offenders, "Flask imported below the edge:\n" + "\n".join(offenders)


def test_bleach_is_imported_only_by_the_rendering_module() -> None:
    importers = sorted(
        path.relative_to(APP).as_posix()
        for path in APP.rglob("*.py")
        if any(
            name.split(".")[0] == "bleach"
            for _, name in _imports(path.read_text(encoding="utf-8"), str(path))
        )
    )
    assert importers == ["render.py"]
