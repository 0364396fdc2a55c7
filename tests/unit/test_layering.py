"""The dependency rule: below the edge, no module imports Flask (see STYLE.md, section 2)."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
EDGE = {"__init__.py", "deps.py", "extensions.py", "cli.py", "config.py"}
EDGE_PACKAGES = {"views", "api", "migrations"}
FORBIDDEN = ("flask", "flask_login", "flask_wtf", "flask_limiter")


def _below_the_edge() -> list[Path]:
    modules = []
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP)
        if relative.parts[0] in EDGE_PACKAGES or (
            len(relative.parts) == 1 and relative.name in EDGE
        ):
            continue
        modules.append(path)
    return modules


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_domain_services_and_details_do_not_import_flask() -> None:
    offenders = [
        f"{path.relative_to(APP)} imports {name}"
        for path in _below_the_edge()
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert _below_the_edge(), "no modules found below the edge"
    assert offenders == []


def test_bleach_is_imported_only_by_the_rendering_module() -> None:
    importers = [
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if any(n.split(".")[0] == "bleach" for n in _imports(path))
    ]
    assert importers == ["render.py"]
