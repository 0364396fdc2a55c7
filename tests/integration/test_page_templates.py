"""Page templates: four built in, administrators add and delete their own, the new-page screen
offers them and starts the editor from the chosen one."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry, PageTemplate, User
from tests.conftest import WikiClient

BUILT_IN = ["How-to", "Incident postmortem", "Onboarding checklist", "Runbook"]


def _signed_in(app: Flask, username: str) -> WikiClient:
    app.test_client_class = WikiClient
    client: WikiClient = app.test_client()  # type: ignore[assignment]
    client.login(username)
    return client


def test_the_new_page_screen_offers_the_built_in_templates(
    app: Flask, session: Session, author: User
) -> None:
    alex = _signed_in(app, author.username)
    screen = alex.get("/new?title=Laptop%20returns").get_data(as_text=True)
    for name in BUILT_IN:
        assert f">{name}</a>" in screen
    runbook = session.scalars(select(PageTemplate).where(PageTemplate.name == "Runbook")).one()
    assert f"/new?template={runbook.id}&amp;title=Laptop+returns" in screen
    chosen = alex.get(f"/new?template={runbook.id}&title=Laptop%20returns").get_data(as_text=True)
    assert "## Escalation" in chosen and 'value="Laptop returns"' in chosen
    assert "Blank page" in chosen
    assert alex.get("/new?template=999999").status_code == 404


def test_administrators_add_and_delete_templates_and_nobody_else_does(
    app: Flask, session: Session, author: User, admin: User
) -> None:
    alex = _signed_in(app, author.username)
    refused = alex.post("/admin/templates", data={"name": "Vendor review", "body": "## Options"})
    assert refused.status_code == 403
    assert alex.get("/admin/templates").status_code == 403
    boss = _signed_in(app, admin.username)
    added = boss.post("/admin/templates", data={
        "name": "Vendor review", "description": "Before a purchase", "body": "## Options\n",
    })  # fmt: skip
    assert added.status_code == 302
    listed = boss.get("/admin/templates").get_data(as_text=True)
    assert "Template “Vendor review” added" in listed and "Before a purchase" in listed
    again = boss.post("/admin/templates", data={"name": "vendor REVIEW", "body": "x"})
    assert "exists already" in boss.get(again.headers["Location"]).get_data(as_text=True)
    assert ">Vendor review</a>" in alex.get("/new").get_data(as_text=True)
    made = session.scalars(select(PageTemplate).where(PageTemplate.name == "Vendor review")).one()
    built_in = session.scalars(select(PageTemplate).where(PageTemplate.builtin.is_(True))).first()
    assert built_in is not None
    kept = boss.post(f"/admin/templates/{built_in.id}/delete")
    assert "Built-in templates stay" in boss.get(kept.headers["Location"]).get_data(as_text=True)
    assert boss.post(f"/admin/templates/{made.id}/delete").status_code == 302
    session.expire_all()
    names = sorted(item.name for item in session.scalars(select(PageTemplate)))
    assert names == BUILT_IN
    actions = [entry.action for entry in session.scalars(select(AuditEntry))]
    assert "template.add" in actions and "template.delete" in actions
