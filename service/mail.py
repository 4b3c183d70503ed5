"""Citizens hear back: the mails about a report (receipt, scheduled, closed), composed with the
standard library's :mod:`email` (which refuses line breaks in headers) and sent over SMTP from the
store's queue by a background worker, with retries and a growing wait. A mail is queued in the
same transaction as the change it tells of (:mod:`service.store`); a server that is down leaves
it queued, and a later attempt sends it.

A mail claimed by one sender is out of others' reach for a while (the store's lease), so the
processes of one service share the queue; a sender that dies between sending and marking a mail
sent lets it go again after the lease (at most one duplicate, never a loss).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import quote

import pandas as pd

from geo.layers import REPORT_CATEGORY_NAMES
from geo.errors import ValidationError
from service.settings import MailSettings, Settings
from service.store import QueuedMail, Store

log = logging.getLogger(__name__)

MAIL_WORDING = {
    "graffiti": {"scheduled": "Klottret ska tas bort.", "closed": "Klottret är borttaget."},
    "weeds": {"scheduled": "Ogräset ska tas bort.", "closed": "Ogräset är borttaget."},
    "litter": {"scheduled": "Skräpet ska plockas upp.", "closed": "Skräpet är bortplockat."},
    "broken_light": {"scheduled": "Belysningen ska lagas.", "closed": "Belysningen är lagad."},
    "other": {"scheduled": "Åtgärden är planerad.", "closed": "Ärendet är åtgärdat."},
}
"""What a mail tells of a report of each category (of :data:`geo.layers.FAULT_CATEGORIES`) when
it is scheduled and when it is closed: the one table of this wording."""
RECEIVED = "Tack! Vi har tagit emot din anmälan ({category})."
"""The receipt's words."""
LEASE_S = 300.0
"""How long a claimed mail is out of other senders' reach."""


def headline(mail: QueuedMail) -> str:
    """The mail's first sentence (and its subject): the receipt, or the category's wording."""
    if mail.kind == "received":
        return RECEIVED.format(category=REPORT_CATEGORY_NAMES[mail.category].lower())
    return MAIL_WORDING[mail.category][mail.kind]


def compose(mail: QueuedMail, settings: MailSettings, public_url: str) -> EmailMessage:
    """The mail as a message: plain text with the report page's link (of the report it tells of: the
    citizen's own, or the one theirs was merged into), and a one-click unsubscribe
    (RFC 8058: ``List-Unsubscribe`` and ``List-Unsubscribe-Post``). Header values are set through
    :class:`email.message.EmailMessage`, which raises on a line break in any of them."""
    base = public_url.rstrip("/")
    page = f"{base}/reports/{quote(mail.about or mail.report_id, safe='')}"
    unsubscribe = f"{base}/unsubscribe/{mail.token}"
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = mail.address
    message["Subject"] = headline(mail)  # short: CPython's folding of long encoded words loses spaces
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(domain=settings.from_address.rpartition("@")[2] or None)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join((
        headline(mail), "", _about(mail), page, "",
        "Vill du inte få fler mejl om den här anmälan?", unsubscribe, "", "Halmstads kommun – Trygg stadskärna")))
    return message


def _about(mail: QueuedMail) -> str:
    """What the link in the mail leads to: the citizen's report, or the one it was merged into."""
    if mail.about is None:
        return f"Din anmälan ({mail.report_id}) och vad som hänt med den:"
    return (f"Din anmälan ({mail.report_id}) gällde samma sak som anmälan {mail.about}, som vi arbetar vidare med. "
            "Så här har det gått:")


def send_due(store: Store, settings: MailSettings, public_url: str, now: pd.Timestamp | None = None) -> int:
    """Send the mails due now over one SMTP connection; returns how many were sent. A mail that
    fails (the server is down, refuses it) stays queued until ``retry_s`` × 2^attempts (at most
    ``max_retry_s``) from now."""
    now = now or pd.Timestamp.now(tz="UTC")
    claimed = store.claim_mail(now, LEASE_S)
    if not claimed:
        return 0
    sent, handled = 0, 0
    try:
        with _connect(settings) as smtp:
            for mail in claimed:
                try:
                    smtp.send_message(compose(mail, settings, public_url))
                except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:  # refused: go on
                    _failed(store, settings, mail, exc, now)
                else:
                    store.mail_sent(mail.mail_id, now)
                    sent += 1
                handled += 1
    except (OSError, smtplib.SMTPException) as exc:  # no server, or the connection broke
        for mail in claimed[handled:]:
            _failed(store, settings, mail, exc, now)
    return sent


def _connect(settings: MailSettings) -> smtplib.SMTP:
    """An SMTP connection to the configured server, after STARTTLS and login when configured."""
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    try:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password.get_secret_value() if settings.password else "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _failed(store: Store, settings: MailSettings, mail: QueuedMail, exc: Exception, now: pd.Timestamp) -> None:
    wait_s = min(settings.retry_s * 2 ** mail.attempts, settings.max_retry_s)
    log.warning("mail %s about report %s not sent (attempt %d): %s", mail.mail_id, mail.report_id,
                mail.attempts + 1, exc)
    store.mail_failed(mail.mail_id, f"{type(exc).__name__}: {exc}", now + pd.Timedelta(seconds=wait_s))


class MailWorker:
    """A background thread that sends the mails due every ``poll_s`` seconds (:func:`send_due`),
    the first turn ``poll_s`` after the start, until stopped; a failure is logged and tried again
    at the next turn."""

    def __init__(self, store: Store, settings: MailSettings, public_url: str) -> None:
        self.store, self.settings, self.public_url = store, settings, public_url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-worker", daemon=True)

    def start(self) -> None:
        """Start sending in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current turn (waiting for it a while)."""
        self._stop.set()
        self._thread.join(self.settings.timeout_s * 2)

    def _run(self) -> None:
        while not self._stop.wait(self.settings.poll_s):
            try:
                send_due(self.store, self.settings, self.public_url)
            except Exception:  # the store is busy or gone: next turn
                log.exception("sending mail failed")


def mail_worker(settings: Settings, store: Store) -> MailWorker | None:
    """The background sender the settings ask for: None when no SMTP server is configured;
    :class:`ValidationError` when one is but the public URL that mails link to is not."""
    if settings.mail.host is None:
        return None
    if not settings.service.public_url:
        raise ValidationError("mail needs the address citizens reach the service at for its links",
                              field="STADSKARNA_PUBLIC_URL")
    return MailWorker(store, settings.mail, settings.service.public_url)
