"""The hub's configuration: environment variables with working defaults, read once."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Tuple

from common.actions_token import shared_actions_token
from common.clock import Clock
from common.private_files import stored_secret

ROOT = Path(__file__).resolve().parent.parent


def _split(value: str) -> Tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


SIGNING_SECRET_FILE = ROOT / "var" / "signing.secret"
# Rasa's tracker store as endpoints.yml configures it.
DEFAULT_TRACKER_STORE = f"sqlite+aiosqlite:///{ROOT / 'var' / 'rasa_tracker.db'}"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    # Default: a SQLite file under var/. PostgreSQL: postgresql+asyncpg://user@host/db
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'carolina.db'}"
    rasa_url: str = "http://127.0.0.1:5005"
    # Several Rasa servers (RASA_URLS, comma-separated; cluster mode): a conversation
    # stays on one while it is up (bot/adapters/rasa_client.py). Default: (rasa_url,).
    rasa_urls: Tuple[str, ...] = ()
    # Cluster mode (docs/scaling.md): REDIS_URL set and DATABASE_URL on PostgreSQL.
    # Redis carries socket.io between hubs, the per-conversation lock and the shared rate limits.
    redis_url: Optional[str] = None
    # This hub among several (its sockets' presence rows, the deadlines it claims):
    # CAROLINA_HUB_ID, else host name and process id.
    hub_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    rasa_timeout: float = 20.0
    public_url: str = "http://localhost:8000"
    # Secret the portal signs customer identities with (HS256 JWT). Without it,
    # every customer is anonymous and any token is refused, but in demo mode.
    identity_secret: Optional[str] = None
    # Demo mode (bot/domain/demo.py): the demo page offers sample customers, whose
    # identities the hub signs with a secret of its own made at start-up.
    # On by default, off as soon as CAROLINA_IDENTITY_SECRET is set; CAROLINA_DEMO=0/1 decides.
    demo: bool = False
    # Shared token the action server sends to the hub's API.
    actions_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Origins whose pages may open the widget's socket (cross-site WebSocket hijacking).
    allowed_origins: Tuple[str, ...] = ("http://localhost:8000", "http://127.0.0.1:8000")
    max_message_chars: int = 4000
    # Rate limit per customer session (and per socket): at most `rate_burst`
    # messages, refilled at `rate_per_minute`.
    rate_per_minute: int = 30
    rate_burst: int = 10
    # The same per client address (several tabs and customers behind one office NAT share it).
    ip_rate_per_minute: int = 120
    ip_burst: int = 30
    # New conversations (session_request without a known session) per client address.
    new_conversations_per_ip_per_minute: int = 10
    # Other widget events (sync, typing, unknown ones) per socket.
    events_per_minute: int = 120
    events_burst: int = 30
    # At most this many customer messages with Rasa at once; the next customer
    # is told at once that many customers are writing, instead of waiting.
    rasa_concurrency: int = 16
    # Behind a reverse proxy: the header it puts the client's address in
    # (X-Forwarded-For), believed only when the request comes from one of
    # trusted_proxies; X-Forwarded-Proto from them says whether it was HTTPS.
    trusted_proxy_header: Optional[str] = None
    trusted_proxies: Tuple[str, ...] = ("127.0.0.1", "::1")
    # Identity tokens must name this audience and issuer, and live at most this long (exp - iat).
    identity_audience: str = "carolina"
    identity_issuer: str = "portal"
    identity_max_lifetime_seconds: int = 24 * 3600
    # How long the widget's resume token (its "session id") stays good after its last use.
    resume_days: float = 30.0
    # Rasa's HTTP API token (`rasa run --auth-token`) and the hub channel's,
    # required in production (README, "Security"); the hub sends it on every call.
    rasa_token: Optional[str] = None
    # Ticket e-mails: smtp://user:pass@host:port (smtps:// for TLS, smtp+starttls://).
    # Without it they are written to outbox_dir.
    smtp_url: Optional[str] = None
    smtp_timeout: float = 10.0
    mail_from: str = "Carolina <carolina@localhost>"
    outbox_dir: str = str(ROOT / "var" / "outbox")
    # A mail that could not be sent is tried again after mail_retry_seconds, then
    # twice as long each time (at most an hour), mail_max_attempts times in all.
    mail_retry_seconds: float = 30.0
    mail_max_attempts: int = 10
    # Live chat: how long an analyst's dropped connection may last before their
    # chats go back to the queue; how long a customer may be gone before a
    # waiting or live chat counts as abandoned; how often closed queues are checked.
    agent_grace_seconds: float = 60.0
    abandon_seconds: float = 300.0
    queue_check_seconds: float = 60.0
    # How often analysts' sockets are checked against their sessions (expired,
    # ended elsewhere, analyst disabled); logout and the admins' actions drop them at once.
    session_check_seconds: float = 30.0
    # The first administrator, made at start-up when there is none yet
    # (or use `python -m bot agents create --admin`).
    admin_email: Optional[str] = None
    admin_password: Optional[str] = None
    admin_name: str = "Admin"
    # Retention (LGPD: personal data kept no longer than its purpose needs;
    # bot/domain/retention.py purges what is older, every retention_check_hours).
    # A conversation without a ticket: this long after its last message, a
    # customer who comes back within it still finds the hub knowing the context.
    retention_conversation_days: int = 180
    # A ticket with its transcript, updates and conversation: this long after it
    # was last updated (closed), the two years during which a follow-up or a
    # dispute may still need what was said.
    retention_ticket_days: int = 730
    # The audit log: five years, the limitation period of consumer claims (Código
    # de Defesa do Consumidor, art. 27) and of tax assessments, during which an
    # entry may be the proof of who read or changed personal data.
    retention_audit_days: int = 1825
    # Sent e-mails (outgoing_mail rows and outbox files): a copy of what the ticket
    # already keeps, needed only while delivery can still be questioned; a month
    # covers bounces and a customer's "I never got it" without keeping a second
    # copy of every ticket's personal data.
    retention_mail_days: int = 30
    # How often the hub runs the purge (once at start too); 0 turns the job off
    # (then run `python -m bot privacy purge` from cron).
    retention_check_hours: float = 24.0
    # Rasa's SQL tracker store, whose events of purged or erased conversations go
    # too: endpoints.yml's SQLite file by default; with endpoints.production.yml,
    # its PostgreSQL database (postgresql://user:password@host:port/db). Empty: none.
    # The environment's default (from_env) is that file; a Settings() made in a
    # test names no tracker store, so no test touches the checkout's var/.
    tracker_store_url: str = ""
    # The key of every signed thing the hub hands out and must recognise later:
    # ticket reply addresses, e-mailed links, upload tokens. It must outlive
    # restarts (an e-mail answered next week), so from_env keeps it in
    # var/signing.secret unless CAROLINA_SIGNING_SECRET gives it.
    signing_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # "host:port" where the hub receives customers' e-mail replies to tickets
    # (bot/adapters/inbound_smtp.py); None: no inbound mail.
    inbound_smtp: Optional[str] = None
    # The domain of the tickets' reply addresses (reply+<ticket>.<signature>@domain):
    # the MX of this domain must deliver to inbound_smtp.
    reply_domain: str = "carolina.localhost"
    # How often the hub moves tickets whose deadline passed and sends the warnings.
    ticket_check_seconds: float = 60.0
    # Customers' and analysts' files, outside the web root.
    attachments_dir: str = str(ROOT / "var" / "attachments")
    # The guides' limit per file in a ticket; larger files go through the portal's upload area.
    attachment_max_bytes: int = 20 * 1024 * 1024
    # The guides keep files three months.
    retention_attachment_days: int = 90
    # python-socketio's and engine.io's own logs.
    debug_socketio: bool = False
    # Every JSON reply checked against its model (bot/web/replies.py); the tests turn it on.
    check_replies: bool = False
    # "Now" for every decision and every record (CAROLINA_CLOCK fixes it: common/clock.py).
    clock: Clock = field(default_factory=Clock)

    @property
    def cluster(self) -> bool:
        """Several hubs may run: shared state in PostgreSQL and Redis, nothing in one process."""
        return bool(self.redis_url) and self.database_url.startswith("postgresql")

    @property
    def rasa_servers(self) -> Tuple[str, ...]:
        return self.rasa_urls or (self.rasa_url,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        defaults = cls()
        port = int(env.get("CAROLINA_PORT", defaults.port))
        public_url = env.get("CAROLINA_PUBLIC_URL", f"http://localhost:{port}").rstrip("/")
        origins = env.get("CAROLINA_ALLOWED_ORIGINS")
        secret = env.get("CAROLINA_IDENTITY_SECRET") or None
        demo = env["CAROLINA_DEMO"] not in ("0", "false", "no") if env.get("CAROLINA_DEMO") else secret is None
        if demo and secret is None:
            secret = secrets.token_urlsafe(32)  # good for this hub's run only
        return cls(
            host=env.get("CAROLINA_HOST", defaults.host),
            port=port,
            database_url=env.get("DATABASE_URL", defaults.database_url),
            rasa_url=env.get("RASA_URL", defaults.rasa_url).rstrip("/"),
            rasa_urls=tuple(url.rstrip("/") for url in _split(env.get("RASA_URLS", ""))),
            redis_url=env.get("REDIS_URL") or None,
            hub_id=env.get("CAROLINA_HUB_ID") or f"{socket.gethostname()}-{os.getpid()}",
            rasa_timeout=float(env.get("RASA_TIMEOUT", defaults.rasa_timeout)),
            public_url=public_url,
            identity_secret=secret,
            demo=demo,
            actions_token=shared_actions_token(env),
            allowed_origins=_split(origins) if origins else (public_url, f"http://127.0.0.1:{port}"),
            max_message_chars=int(env.get("CAROLINA_MAX_MESSAGE_CHARS", defaults.max_message_chars)),
            rate_per_minute=int(env.get("CAROLINA_RATE_PER_MINUTE", defaults.rate_per_minute)),
            rate_burst=int(env.get("CAROLINA_RATE_BURST", defaults.rate_burst)),
            ip_rate_per_minute=int(env.get("CAROLINA_IP_RATE_PER_MINUTE", defaults.ip_rate_per_minute)),
            ip_burst=int(env.get("CAROLINA_IP_BURST", defaults.ip_burst)),
            new_conversations_per_ip_per_minute=int(
                env.get("CAROLINA_NEW_CONVERSATIONS_PER_MINUTE", defaults.new_conversations_per_ip_per_minute)
            ),
            events_per_minute=int(env.get("CAROLINA_EVENTS_PER_MINUTE", defaults.events_per_minute)),
            events_burst=int(env.get("CAROLINA_EVENTS_BURST", defaults.events_burst)),
            rasa_concurrency=int(env.get("CAROLINA_RASA_CONCURRENCY", defaults.rasa_concurrency)),
            trusted_proxy_header=env.get("CAROLINA_TRUSTED_PROXY_HEADER") or None,
            trusted_proxies=_split(env["CAROLINA_TRUSTED_PROXIES"])
            if env.get("CAROLINA_TRUSTED_PROXIES")
            else defaults.trusted_proxies,
            identity_audience=env.get("CAROLINA_IDENTITY_AUDIENCE", defaults.identity_audience),
            identity_issuer=env.get("CAROLINA_IDENTITY_ISSUER", defaults.identity_issuer),
            identity_max_lifetime_seconds=int(
                env.get("CAROLINA_IDENTITY_MAX_LIFETIME", defaults.identity_max_lifetime_seconds)
            ),
            resume_days=float(env.get("CAROLINA_RESUME_DAYS", defaults.resume_days)),
            rasa_token=env.get("RASA_TOKEN") or None,
            smtp_url=env.get("SMTP_URL") or None,
            mail_from=env.get("CAROLINA_MAIL_FROM", defaults.mail_from),
            outbox_dir=env.get("CAROLINA_OUTBOX", defaults.outbox_dir),
            mail_retry_seconds=float(env.get("CAROLINA_MAIL_RETRY_SECONDS", defaults.mail_retry_seconds)),
            mail_max_attempts=int(env.get("CAROLINA_MAIL_MAX_ATTEMPTS", defaults.mail_max_attempts)),
            agent_grace_seconds=float(env.get("CAROLINA_AGENT_GRACE_SECONDS", defaults.agent_grace_seconds)),
            abandon_seconds=float(env.get("CAROLINA_ABANDON_SECONDS", defaults.abandon_seconds)),
            queue_check_seconds=float(env.get("CAROLINA_QUEUE_CHECK_SECONDS", defaults.queue_check_seconds)),
            session_check_seconds=float(env.get("CAROLINA_SESSION_CHECK_SECONDS", defaults.session_check_seconds)),
            admin_email=env.get("CAROLINA_ADMIN_EMAIL") or None,
            admin_password=env.get("CAROLINA_ADMIN_PASSWORD") or None,
            admin_name=env.get("CAROLINA_ADMIN_NAME", defaults.admin_name),
            retention_conversation_days=int(
                env.get("CAROLINA_RETENTION_CONVERSATION_DAYS", defaults.retention_conversation_days)
            ),
            retention_ticket_days=int(env.get("CAROLINA_RETENTION_TICKET_DAYS", defaults.retention_ticket_days)),
            retention_audit_days=int(env.get("CAROLINA_RETENTION_AUDIT_DAYS", defaults.retention_audit_days)),
            retention_mail_days=int(env.get("CAROLINA_RETENTION_MAIL_DAYS", defaults.retention_mail_days)),
            retention_check_hours=float(env.get("CAROLINA_RETENTION_CHECK_HOURS", defaults.retention_check_hours)),
            tracker_store_url=env.get("CAROLINA_TRACKER_STORE_URL", DEFAULT_TRACKER_STORE),
            signing_secret=env.get("CAROLINA_SIGNING_SECRET") or stored_secret(SIGNING_SECRET_FILE),
            inbound_smtp=env.get("CAROLINA_INBOUND_SMTP") or None,
            reply_domain=env.get("CAROLINA_REPLY_DOMAIN", defaults.reply_domain),
            ticket_check_seconds=float(env.get("CAROLINA_TICKET_CHECK_SECONDS", defaults.ticket_check_seconds)),
            attachments_dir=env.get("CAROLINA_ATTACHMENTS_DIR", defaults.attachments_dir),
            attachment_max_bytes=int(
                float(env.get("CAROLINA_ATTACHMENT_MAX_MB", defaults.attachment_max_bytes / 1024 / 1024)) * 1024 * 1024
            ),
            retention_attachment_days=int(
                env.get("CAROLINA_RETENTION_ATTACHMENT_DAYS", defaults.retention_attachment_days)
            ),
            debug_socketio=bool(env.get("CAROLINA_DEBUG_SOCKETIO")),
            check_replies=env.get("CAROLINA_CHECK_REPLIES") == "1",
            clock=Clock.from_env(env),
        )
