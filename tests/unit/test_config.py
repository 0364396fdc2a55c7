"""Configuration: environment variables, the local secret key, and production's refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app import config
from app.search import open_backend
from app.search.memory_backend import MemoryBackend
from app.search.whoosh_backend import WhooshBackend


def _app(tmp_path: Path) -> Flask:
    return Flask("probe", instance_path=str(tmp_path / "instance"))


def test_environment_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERWIKI_DATABASE_URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("PEERWIKI_SEARCH_INDEX", "/tmp/idx")
    monkeypatch.setenv("PEERWIKI_SECRET_KEY", "from-env")
    app = _app(tmp_path)
    config.load(app)
    assert (app.config["DATABASE_URL"], app.config["SEARCH_INDEX"], app.config["SECRET_KEY"]) == (
        "sqlite:////tmp/x.db", "/tmp/idx", "from-env",
    )  # fmt: skip


def test_defaults_use_instance_sqlite_and_a_kept_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PEERWIKI_DATABASE_URL", "PEERWIKI_SECRET_KEY", "PEERWIKI_ENV"):
        monkeypatch.delenv(name, raising=False)
    first, second = _app(tmp_path), _app(tmp_path)
    config.load(first)
    config.load(second)
    assert first.config["DATABASE_URL"].endswith("instance/peerwiki.db")
    assert len(first.config["SECRET_KEY"]) >= 32
    assert (
        first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    )  # kept, so sessions survive restarts
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERWIKI_SECRET_KEY", raising=False)
    monkeypatch.setenv("PEERWIKI_ENV", "production")
    with pytest.raises(config.ConfigError, match="PEERWIKI_SECRET_KEY"):
        config.load(_app(tmp_path))
    monkeypatch.setenv("PEERWIKI_SECRET_KEY", "s3cret")
    with pytest.raises(config.ConfigError, match="at least 32 bytes"):
        config.load(_app(tmp_path))
    monkeypatch.setenv("PEERWIKI_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("PEERWIKI_BASE_URL", "https://wiki.example.com")
    app = _app(tmp_path)
    config.load(app)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_the_sites_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERWIKI_BASE_URL", raising=False)
    monkeypatch.setenv("PEERWIKI_ENV", "production")
    monkeypatch.setenv("PEERWIKI_SECRET_KEY", "x" * 32)
    with pytest.raises(config.ConfigError, match="PEERWIKI_BASE_URL must be set"):
        config.load(_app(tmp_path))
    monkeypatch.setenv("PEERWIKI_BASE_URL", "wiki.example.com")
    with pytest.raises(config.ConfigError, match="an http:// or https:// address"):
        config.load(_app(tmp_path))
    monkeypatch.setenv("PEERWIKI_BASE_URL", "https://wiki.example.com/")
    app = _app(tmp_path)
    config.load(app)
    assert app.config["BASE_URL"] == "https://wiki.example.com"


def test_search_backend_is_whoosh_unless_memory_is_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERWIKI_SEARCH_BACKEND", raising=False)
    app = _app(tmp_path)
    config.load(app, {"SEARCH_INDEX": str(tmp_path / "index")})
    assert isinstance(open_backend(app.config), WhooshBackend)
    monkeypatch.setenv("PEERWIKI_SEARCH_BACKEND", "memory")
    app = _app(tmp_path)
    config.load(app)
    assert isinstance(open_backend(app.config), MemoryBackend)
    monkeypatch.setenv("PEERWIKI_SEARCH_BACKEND", "elastic")
    with pytest.raises(config.ConfigError, match="whoosh, memory"):
        config.load(_app(tmp_path))


def test_postgres_search_needs_a_postgres_database(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="needs a PostgreSQL PEERWIKI_DATABASE_URL"):
        config.load(
            _app(tmp_path), {"SEARCH_BACKEND": "postgres", "DATABASE_URL": "sqlite:///x.db"}
        )


def test_background_work_runs_on_a_thread_unless_inline_or_the_queue_is_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERWIKI_BACKGROUND_RUNNER", raising=False)
    app = _app(tmp_path)
    config.load(app)
    assert app.config["BACKGROUND_RUNNER"] == "thread"
    monkeypatch.setenv("PEERWIKI_BACKGROUND_RUNNER", "queue")
    app = _app(tmp_path)
    config.load(app)
    assert app.config["BACKGROUND_RUNNER"] == "queue"
    monkeypatch.setenv("PEERWIKI_BACKGROUND_RUNNER", "celery")
    with pytest.raises(
        config.ConfigError, match="PEERWIKI_BACKGROUND_RUNNER must be one of thread, inline, queue"
    ):
        config.load(_app(tmp_path))
