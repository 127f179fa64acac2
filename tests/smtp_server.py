"""A real SMTP server on loopback for tests: the app's ``smtp`` mail backend talks to it over TCP.

Just enough of RFC 5321 for ``smtplib`` (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT). Every
message is parsed with the standard ``email`` package and stored *before* the server answers
``250`` to the end of DATA, so once ``send_mail`` returns the message is already in ``messages``:
no waiting, no sleeping.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser


@dataclass
class Received:
    """One message as the server got it: envelope sender, envelope recipients, parsed message."""

    mail_from: str
    rcpt_to: list[str]
    message: EmailMessage

    def text(self) -> str:
        """Return the plain-text body (decoded)."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def attachments(self) -> list[tuple[str, str, bytes]]:
        """Return ``(filename, content type, bytes)`` of every attachment."""
        return [(a.get_filename() or "", a.get_content_type(), a.get_payload(decode=True)) for a in self.message.iter_attachments()]


@dataclass
class _Store:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(socketserver.StreamRequestHandler):
    store: _Store

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self._reply("220 forecourt-test ESMTP")
        mail_from, rcpt_to = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                self._reply("250-forecourt-test")
                self._reply("250-8BITMIME")
                self._reply("250 SMTPUTF8")
            elif verb == "HELO":
                self._reply("250 forecourt-test")
            elif verb == "MAIL":
                mail_from, rcpt_to = line.split(":", 1)[1].split()[0].strip("<>"), []
                self._reply("250 OK")
            elif verb == "RCPT":
                rcpt_to.append(line.split(":", 1)[1].split()[0].strip("<>"))
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                chunks = []
                while True:
                    data = self.rfile.readline()
                    if not data or data in (b".\r\n", b".\n"):
                        break
                    chunks.append(data[1:] if data.startswith(b"..") else data)
                message = BytesParser(policy=policy.default).parsebytes(b"".join(chunks))
                with self.store.lock:
                    self.store.messages.append(Received(mail_from, list(rcpt_to), message))
                self._reply("250 OK: queued")
            elif verb in ("RSET", "NOOP"):
                mail_from, rcpt_to = ("", []) if verb == "RSET" else (mail_from, rcpt_to)
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class SMTPServer:
    """Run the server in a daemon thread on ``127.0.0.1`` and a free port; ``messages`` lists what arrived."""

    def __init__(self) -> None:
        self._store = _Store()
        handler = type("Handler", (_Handler,), {"store": self._store})
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-smtp", daemon=True)

    @property
    def messages(self) -> list[Received]:
        """Return a copy of the messages received so far, oldest first."""
        with self._store.lock:
            return list(self._store.messages)

    def to(self, address: str) -> list[Received]:
        """Return the messages whose envelope recipients include ``address``."""
        return [m for m in self.messages if address in m.rcpt_to]

    def __enter__(self) -> SMTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
