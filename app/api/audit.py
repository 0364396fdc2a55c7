"""The audit log over JSON (administrators)."""

from __future__ import annotations

from app import deps
from app.api import bp, inputs
from app.api import serializers as out
from app.api.spec import Answer, author, endpoint
from app.services import audit


@bp.get("/audit")
@endpoint(out.AuditList, errors=(403,), auth=True)
def audit_log(query: inputs.AuditArgs) -> Answer:
    """Audit log entries, newest first (administrators)."""
    listing = audit.entries(
        deps.session(), reader=author(), wanted=query.to_filter(),
        page=query.page, per_page=query.per_page,
    )  # fmt: skip
    return out.to_audit_list(listing)
