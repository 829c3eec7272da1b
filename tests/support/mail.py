"""Mail in tests: a real SMTP server (aiosmtpd) on 127.0.0.1, and the outbox folder read back as e-mails.

After the request or call that queued mail, run ``mail.deliver_pending()`` in an app context (what the job runner
runs), then read ``outbox(app)`` or ``smtp_server.messages``."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """The SMTP server's handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.host, self.port = "127.0.0.1", free_port()
        self.collector = Collector()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.collector.messages

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def smtp_config(server: SmtpServer) -> dict:
    """The settings of an app that sends through ``server``."""
    return {"MAIL_SERVER": server.host, "MAIL_PORT": server.port, "MAIL_TIMEOUT": 5}


def outbox(app) -> list[EmailMessage]:
    """The messages written to ``app``'s outbox folder, oldest first."""
    folder = Path(app.config["MAIL_OUTBOX_DIR"] or Path(app.instance_path) / "outbox")
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def links_in(message: EmailMessage) -> list[str]:
    """The http(s) links of a message's text part, in order."""
    return re.findall(r"https?://[^\s<>\"]+", text_of(message))
