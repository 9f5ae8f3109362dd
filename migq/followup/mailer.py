"""Sending over SMTP: settings from options and the environment, one connection per run.

The password never comes from the command line (it would sit in the shell history and the
process list): only from $MIGQ_SMTP_PASSWORD.

With --starttls the server's certificate is always verified, against the system's certificate
authorities; a server whose certificate comes from an organisation's own authority is trusted
by pointing the standard $SSL_CERT_FILE at that authority's certificate (OpenSSL reads it).
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field

from migq.errors import MigqError, UsageError

PASSWORD_ENV = "MIGQ_SMTP_PASSWORD"
# OpenSSL's own variable for the file of trusted certificate authorities (honoured by
# ssl.create_default_context() through the default verify paths).
CA_FILE_ENV = "SSL_CERT_FILE"
NAME_MISMATCH = (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
# What a send can fail with; anything else is a bug and propagates.
SEND_ERRORS = (smtplib.SMTPException, OSError)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 60.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def smtp_settings(spec: str, *, starttls: bool = False, user: str | None = None,
                  env=None) -> SmtpSettings:
    """Parse HOST:PORT; with a user, the password must be in $MIGQ_SMTP_PASSWORD."""
    env = os.environ if env is None else env
    host, sep, port = (spec or "").strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"'{spec}' is not HOST:PORT.", hint="Write --smtp like smtp.example.org:587.")
    password = None
    if user:
        password = env.get(PASSWORD_ENV)
        if not password:
            raise UsageError(f"--smtp-user {user} is given but ${PASSWORD_ENV} is not set.",
                             hint=f"Set the password in the environment variable {PASSWORD_ENV} "
                                  "(never on the command line) and run the command again.")
    return SmtpSettings(host.strip("[]"), int(port), starttls, user or None, password)


class Mailer:
    """A lazily opened SMTP connection, re-opened after the server drops it."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        s = self.settings
        try:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except (OSError, smtplib.SMTPException) as err:
            raise MigqError(f"cannot connect to the mail server {s.where}: {err}.",
                            hint="Check --smtp (host and port) and the network; nothing was sent.") from err
        try:
            smtp.ehlo()
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as err:
            smtp.close()
            raise MigqError(f"the mail server {s.where} refused the login of {s.user}.",
                            hint=f"Check --smtp-user and ${PASSWORD_ENV}; nothing was sent.") from err
        except ssl.SSLCertVerificationError as err:
            smtp.close()
            if err.verify_code in NAME_MISMATCH:
                hint = f"Give --smtp the server's name as its certificate does, not {s.host}."
            else:
                hint = ("If the server's certificate comes from your organisation's own certificate "
                        "authority (or is self-signed), save that certificate (PEM) in a file and set "
                        f"the environment variable {CA_FILE_ENV} to its path.")
            raise MigqError(f"the certificate of the mail server {s.where} could not be verified "
                            f"({(err.verify_message or err.reason or str(err)).rstrip('.')}).",
                            hint=hint + " Nothing was sent.") from err
        except (OSError, smtplib.SMTPException) as err:
            offers_starttls = smtp.has_extn("starttls")
            smtp.close()
            if s.starttls:
                hint = "The server may not offer STARTTLS; check --starttls."
            elif offers_starttls:
                hint = "The server offers STARTTLS and may accept a login only over it: add --starttls."
            else:
                hint = "The server may require --starttls or a login (--smtp-user)."
            raise MigqError(f"cannot open a session with the mail server {s.where}: {str(err).rstrip('.')}.",
                            hint=hint + " Nothing was sent.") from err
        self._smtp = smtp

    def send(self, data: bytes, from_addr: str, recipients: list[str]) -> dict[str, str]:
        """Send one message; returns the recipients the server refused (others got it).

        Raises an smtplib/OSError exception when the message was not accepted at all."""
        if self._smtp is None:
            self.connect()
        # smtplib sends bytes as they are; SMTP needs CRLF line ends (.eml files use LF).
        data = re.sub(rb"\r?\n", b"\r\n", data)
        try:
            refused = self._smtp.sendmail(from_addr, recipients, data)
        except smtplib.SMTPSenderRefused as err:
            if err.smtp_code == 530:  # the session, not this message: no use trying the others
                raise self._session_refused(err) from err
            raise
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()  # the next message reconnects
            raise
        return {addr: f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                for addr, (code, msg) in refused.items()}

    def _session_refused(self, err: smtplib.SMTPSenderRefused) -> MigqError:
        """530 at MAIL FROM: the server wants STARTTLS or a login before it takes any mail."""
        s = self.settings
        if not s.starttls and self._smtp.has_extn("starttls"):
            hint = "The server offers STARTTLS and takes mail only over it: add --starttls."
        elif not s.user:
            hint = f"The server may take mail only after a login: add --smtp-user (password in ${PASSWORD_ENV})."
        else:
            hint = f"Ask the server's administrator whether {s.user} may send mail."
        return MigqError(f"the mail server {s.where} refused to take mail in this session: "
                         f"{describe_error(err)}.", hint=hint)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def describe_error(err: Exception) -> str:
    """One line for the reminders table and the last_error column."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return "all recipients refused: " + "; ".join(
            f"{a} ({c} {m.decode(errors='replace') if isinstance(m, bytes) else m})"
            for a, (c, m) in err.recipients.items())
    if isinstance(err, smtplib.SMTPResponseException):
        msg = err.smtp_error.decode(errors="replace") if isinstance(err.smtp_error, bytes) else err.smtp_error
        return f"{err.smtp_code} {msg}"
    return f"{type(err).__name__}: {err}"
