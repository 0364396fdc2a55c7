"""The dependency rule (STYLE.md, section 2), checked by import-linter's contracts in
pyproject.toml, and proof that the contracts catch a probe import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_every_contract() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "probe", "broken"),
    [
        ("services/rubric.py", "from app import deps", "app.services.rubric -> app.deps"),
        ("review/policy.py", "from ..views import pages", "app.review.policy -> app.views"),
        ("search/query.py", "import werkzeug.routing", "app.search.query -> werkzeug"),
        ("views/pages.py", "from app.api import serializers", "app.views.pages -> app.api"),
        ("models/pages.py", "from flask import g", "app.models.pages -> flask"),
    ],
)
def test_a_probe_import_breaks_a_contract(
    tmp_path: Path, module: str, probe: str, broken: str
) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("static"))
    with (tmp_path / "app" / module).open("a") as source:
        source.write(f"\n{probe}  # probe\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert broken in result.stdout


def test_importing_the_domain_does_not_load_the_web_stack() -> None:
    code = (
        "import sys\n"
        "import app.services.review, app.services.pages, app.search.whoosh_backend, app.render\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'flask_login'}"
        " or m.startswith(('app.views', 'app.api', 'app.deps', 'app.cli')))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
