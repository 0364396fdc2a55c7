"""What operators read about a running wiki: request ids, structured logs, Prometheus metrics.

Every request gets an id (the caller's ``X-Request-Id`` when it is a sane token, else a new
one), answered in the ``X-Request-Id`` header and carried by every log record written while the
request runs; one access record per request gives its method, path, status, duration and user.
Records are JSON lines (``LOG_FORMAT=json``) or plain text. Metrics (``METRICS=true``) are
served at ``/metrics`` by prometheus-flask-exporter.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from flask import Flask, Request, Response, current_app, g, request, request_started
from flask.logging import default_handler
from flask.typing import ResponseReturnValue
from pythonjsonlogger.json import JsonFormatter

from app import deps
from app.services import queue

REQUEST_ID_HEADER = "X-Request-Id"
#: An incoming request id is kept only when it is short and plain (it is logged and echoed).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=-]{1,128}")
_request_id: ContextVar[str | None] = ContextVar("peerwiki_request_id", default=None)

#: The name of the root logger's handler this module installs (replaced, never stacked, when
#: another app is created in the same process).
_HANDLER_NAME = "peerwiki"
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = ("levelname", "name", "message")
JSON_RENAMES = {"levelname": "level", "name": "logger"}

access_log = logging.getLogger("peerwiki.access")


def init_app(app: Flask) -> None:
    """Log as ``LOG_FORMAT`` says, give each request an id, and serve metrics when
    ``METRICS`` is on."""
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.logger.removeHandler(default_handler)  # records reach the root logger's handler
    # The id is taken before any check can refuse the request (request_started precedes the
    # before_request functions), and the access record is written after every other
    # after_request function (they run last-registered first) has shaped the response.
    request_started.connect(_start_request, app)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish_request)
    app.teardown_request(_end_request)
    if app.config["METRICS"]:
        _init_metrics(app)


def configure_logging(log_format: str, level: str | int) -> None:
    """Send every record to standard error as a JSON line (``json``) or text (``text``), each
    with the id of the request it was written in (null outside requests)."""
    handler = _StandardError()
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(_with_request_id)
    handler.setFormatter(
        JsonFormatter(JSON_FIELDS, rename_fields=JSON_RENAMES, timestamp="time")
        if log_format == "json"
        else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    for old in [old for old in root.handlers if old.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


class _StandardError(logging.Handler):
    """Writes to whatever ``sys.stderr`` is when a record arrives (test runners replace it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # logging must never break what is being logged
            self.handleError(record)


def _with_request_id(record: logging.LogRecord) -> bool:
    record.request_id = _request_id.get()
    return True


def _start_request(_app: Flask, **_extra: Any) -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    _request_id.set(given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex)
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    started = g.get("request_started")
    # The user is only named when the request loaded it: looking them up here would cost a
    # query (and fail when the database is down, as /healthz must be able to report).
    user = deps.actor() if "_login_user" in g else None
    access_log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": None
            if started is None
            else round((time.perf_counter() - started) * 1000, 2),
            "user_id": user.id if user is not None else None,
        },
    )
    if rid := _request_id.get():
        response.headers[REQUEST_ID_HEADER] = rid
    return response


def _end_request(_exc: BaseException | None) -> None:
    _request_id.set(None)  # a worker thread serves the next request with its own id


# -- metrics


def endpoint(served: Request) -> str:
    """The label requests are counted and timed by: the endpoint (``pages.view``), not the path,
    so that a wiki with many pages still has few series."""
    return served.endpoint or "unmatched"


def _init_metrics(app: Flask) -> None:
    # Imported only when on: prometheus_client decides at import whether it runs multi-process.
    from prometheus_client import CollectorRegistry, Gauge, Histogram
    from prometheus_flask_exporter import PrometheusMetrics

    # Each app counts in a registry of its own (tests build many apps in one process).
    registry = CollectorRegistry()
    depth = Gauge(
        "peerwiki_queue_depth", "Work items waiting in the queue.",
        registry=registry, multiprocess_mode="mostrecent",
    )  # fmt: skip
    age = Gauge(
        "peerwiki_queue_oldest_age_seconds",
        "How long the oldest due work item has waited (0: none waits).",
        registry=registry, multiprocess_mode="mostrecent",
    )  # fmt: skip
    failed = Gauge(
        "peerwiki_queue_failed", "Work items that gave up after their last attempt.",
        registry=registry, multiprocess_mode="mostrecent",
    )  # fmt: skip

    def read_queue_first(scrape: Callable[[], ResponseReturnValue]) -> Callable[[], Any]:
        @wraps(scrape)
        def scrape_with_queue() -> ResponseReturnValue:
            status = queue.status(deps.session())
            depth.set(status.depth)
            age.set(status.oldest_age_seconds)
            failed.set(status.failed)
            return scrape()

        return scrape_with_queue

    PrometheusMetrics(
        app, registry=registry, group_by=endpoint, defaults_prefix="peerwiki",
        metrics_decorator=read_queue_first,
    )  # fmt: skip
    app.extensions["wiki.search_seconds"] = Histogram(
        "peerwiki_search_duration_seconds",
        "Time to answer a full-text search (site and API), in seconds.",
        registry=registry,
    )


@contextmanager
def timed_search() -> Iterator[None]:
    """Time the search inside for ``peerwiki_search_duration_seconds`` (when metrics are on)."""
    histogram = current_app.extensions.get("wiki.search_seconds")
    if histogram is None:
        yield
        return
    with histogram.time():
        yield
