"""Sending email over SMTP (off unless a host is configured)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any


@dataclass(frozen=True)
class Mailer:
    """SMTP settings; ``send`` opens one connection per batch of messages."""

    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    sender: str = "Peerwiki <peerwiki@localhost>"
    starttls: bool = False
    use_ssl: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Any) -> Mailer | None:
        """Build a mailer from ``SMTP_*`` settings, or None when no host is set."""
        host = config.get("SMTP_HOST")
        if not host:
            return None
        return cls(
            host=str(host),
            port=int(config.get("SMTP_PORT") or 25),
            username=str(config.get("SMTP_USERNAME") or ""),
            password=str(config.get("SMTP_PASSWORD") or ""),
            sender=str(config.get("SMTP_FROM") or cls.sender),
            starttls=bool(config.get("SMTP_STARTTLS")),
            use_ssl=bool(config.get("SMTP_SSL")),
            timeout=float(config.get("SMTP_TIMEOUT") or 10),
        )

    def send(self, messages: list[tuple[str, str, str]]) -> None:
        """Send ``(to, subject, body)`` messages; raises OSError/SMTPException on failure."""
        if not messages:
            return
        factory = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
        with factory(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            for to, subject, body in messages:
                message = EmailMessage()
                message["From"] = self.sender
                message["To"] = to
                message["Subject"] = subject
                message.set_content(body)
                smtp.send_message(message)
