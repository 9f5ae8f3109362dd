"""Reminders through a mail server that wants STARTTLS and a login (aiosmtpd on loopback).

The server's certificate is a throwaway self-signed one made by the ``openssl`` command at test
time; the client trusts it the way a user trusts an organisation's own authority: through
$SSL_CERT_FILE. Production code never weakens verification.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from datetime import timedelta

import pytest

import migq.cli.followup_cmd  # noqa: F401  (registers the commands)
from migq.cli.common import app
from migq.errors import MigqError
from migq.followup.mailer import smtp_settings
from test_remind import BEFORE, Inbox, _free_port, reminder_rows
from test_remind import ws  # noqa: F401  (the workspace fixture, shared)

USER, PASSWORD = "officer", "s3cret pass"
OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = migq test mail server
[ext]
subjectAltName = {san}
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


def _make_certificate(folder, san: str):
    """(cert.pem, key.pem): a self-signed certificate for ``san``, valid two days."""
    openssl = shutil.which("openssl")
    if openssl is None:
        reason = "the 'openssl' command is needed to make the test server's certificate"
        if os.environ.get("CI"):
            pytest.fail(reason + " (install the openssl package on CI)")
        pytest.skip(reason)
    (folder / "openssl.cnf").write_text(OPENSSL_CONFIG.format(san=san), encoding="ascii")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-config", str(folder / "openssl.cnf"),
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """The test server's certificate, for the address the client connects to."""
    return _make_certificate(tmp_path_factory.mktemp("tls"), "IP:127.0.0.1")


@pytest.fixture(scope="session")
def other_name_certificate(tmp_path_factory):
    """A certificate for another server's name."""
    return _make_certificate(tmp_path_factory.mktemp("tls-other"), "DNS:mail.example.org")


class SecureInbox(Inbox):
    """Also notes, for each message, whether the session was encrypted and who logged in."""

    def __init__(self):
        super().__init__()
        self.sessions = []

    async def handle_DATA(self, server, session, envelope):
        self.sessions.append((session.ssl is not None, session.authenticated,
                              session.auth_data.login.decode() if session.auth_data else None))
        return await super().handle_DATA(server, session, envelope)


def _authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult

    if (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode()):
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)  # aiosmtpd answers 535


def _serve(certificate, *, login: bool):
    from aiosmtpd.controller import Controller

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    inbox = SecureInbox()
    extra = dict(authenticator=_authenticator, auth_required=True) if login else {}
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), tls_context=context,
                            require_starttls=True, auth_require_tls=True, **extra)
    controller.start()
    inbox.where = f"127.0.0.1:{controller.port}"
    return inbox, controller


def _trusted_server(certificate, monkeypatch, login: bool):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    inbox, controller = _serve(certificate, login=login)
    yield inbox
    controller.stop()


@pytest.fixture
def secure_smtp(certificate, monkeypatch):
    """A server requiring STARTTLS, then a login (USER, PASSWORD); its certificate trusted."""
    yield from _trusted_server(certificate, monkeypatch, login=True)


@pytest.fixture
def starttls_smtp(certificate, monkeypatch):
    """A server requiring STARTTLS but no login; its certificate trusted."""
    yield from _trusted_server(certificate, monkeypatch, login=False)


def settings(server, *, starttls=True, user=USER, password=PASSWORD):
    return smtp_settings(server.where, starttls=starttls, user=user,
                         env={"MIGQ_SMTP_PASSWORD": password} if user else {})


def _sent(ws):
    return sorted(r.iso3 for r in reminder_rows(ws.store) if r.status == "sent")


def test_starttls_and_login_deliver(ws, secure_smtp):
    plan = ws.send(settings=settings(secure_smtp))
    assert {i.iso3: i.outcome for i in plan.items if i.outcome} == {"FRA": "sent", "ESP": "sent", "DEU": "sent"}
    assert len(secure_smtp.messages) == 3 and secure_smtp.to("mission.fra@example.org")
    assert secure_smtp.sessions == [(True, True, USER)] * 3  # encrypted and logged in
    assert _sent(ws) == ["DEU", "ESP", "FRA"]


def test_wrong_password_is_said_and_the_next_run_sends(runner, ws, secure_smtp, db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the forms are in outbox/<key> there
    args = ["remind", "--db", db_url, "--as-of", str(BEFORE), "--send", "--smtp", secure_smtp.where,
            "--starttls", "--smtp-user", USER]
    monkeypatch.setenv("MIGQ_SMTP_PASSWORD", "wrong")
    r = runner.invoke(app, args)
    assert r.exit_code == 1, r.output
    assert f"Error: the mail server {secure_smtp.where} refused the login of {USER}." in r.output
    assert "MIGQ_SMTP_PASSWORD" in r.output and "wrong" not in r.output
    assert "Traceback" not in r.output
    assert secure_smtp.messages == [] and reminder_rows(ws.store) == []

    monkeypatch.setenv("MIGQ_SMTP_PASSWORD", PASSWORD)
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "Sent 3 reminder(s)" in r.output and len(secure_smtp.messages) == 3
    assert _sent(ws) == ["DEU", "ESP", "FRA"]


def test_login_without_starttls_asks_for_it(ws, secure_smtp):
    with pytest.raises(MigqError) as err:
        ws.send(settings=settings(secure_smtp, starttls=False))
    assert f"cannot open a session with the mail server {secure_smtp.where}" in str(err.value)
    assert "add --starttls" in str(err.value) and "Nothing was sent" in str(err.value)
    assert secure_smtp.messages == [] and reminder_rows(ws.store) == []


@pytest.mark.parametrize("server,starttls,hint,right,session", [
    ("starttls_smtp", False, "add --starttls", dict(user=None), (True, None, None)),
    ("secure_smtp", True, "add --smtp-user", dict(user=USER), (True, True, USER)),
])
def test_mail_refused_for_the_session_says_what_to_add(request, ws, server, starttls, hint, right, session):
    server = request.getfixturevalue(server)
    plan = ws.send(settings=settings(server, starttls=starttls, user=None))
    (failed,) = [i for i in plan.items if i.outcome == "failed"]
    assert f"the mail server {server.where} refused to take mail in this session: 530" in failed.error
    assert hint in failed.error
    assert {i.outcome for i in plan.items if i.outcome and i is not failed} == {"not attempted"}
    assert server.messages == [] and _sent(ws) == []
    assert {r.status for r in reminder_rows(ws.store)} <= {"pending"}  # kept for the next run

    again = ws.send(as_of=BEFORE + timedelta(days=1), settings=settings(server, **right))
    assert {i.outcome for i in again.items if i.outcome} == {"sent"} and len(server.messages) == 3
    assert server.sessions == [session] * 3
    assert _sent(ws) == ["DEU", "ESP", "FRA"]


def test_untrusted_certificate_is_a_clear_error(runner, ws, secure_smtp, db_url, tmp_path, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")  # the system's authorities only: they never signed it
    with pytest.raises(MigqError) as err:
        ws.send(settings=settings(secure_smtp))
    message = str(err.value)
    assert f"the certificate of the mail server {secure_smtp.where} could not be verified" in message
    assert "self-signed" in message and "SSL_CERT_FILE" in message and "Nothing was sent" in message
    assert secure_smtp.messages == [] and reminder_rows(ws.store) == []

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MIGQ_SMTP_PASSWORD", PASSWORD)
    r = runner.invoke(app, ["remind", "--db", db_url, "--as-of", str(BEFORE), "--send", "--smtp",
                            secure_smtp.where, "--starttls", "--smtp-user", USER])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    assert r.output.startswith("Error: the certificate of the mail server") and "Traceback" not in r.output
    assert secure_smtp.messages == [] and reminder_rows(ws.store) == []


def test_certificate_for_another_name_is_a_clear_error(ws, other_name_certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(other_name_certificate[0]))  # trusted, but not for 127.0.0.1
    server, controller = _serve(other_name_certificate, login=True)
    try:
        with pytest.raises(MigqError) as err:
            ws.send(settings=settings(server))
    finally:
        controller.stop()
    message = str(err.value)
    assert f"the certificate of the mail server {server.where} could not be verified" in message
    assert "mismatch" in message and "Give --smtp the server's name as its certificate does" in message
    assert server.messages == [] and reminder_rows(ws.store) == []
