"""Files customers and analysts attach: what may come in, how it is stored, who
may have it back, and when it goes.

- What comes in is judged by its content, never its name or the browser's word:
  the first bytes (the `filetype` library, plus a look inside zip files for
  office documents) must be one of KINDS, and the name's extension must agree
  with what the content is; executables and everything else are refused (422
  "file_type"). Larger than settings.attachment_max_bytes is 413 "too_large",
  whose message points to the portal's upload area for large files (the
  guides: over 20 MB, the portal's "Upload de arquivo", kept 3 months).
  Both messages are in the customer's language.
- Bytes go to the storage (bot/adapters/file_storage.py) under a random key;
  the row (Attachment) keeps the cleaned name, the sniffed type, size and hash.
- The conversation's customer proves it with an upload token, HMAC of the
  conversation id under settings.signing_secret, handed to the widget in
  `session_info`; a link may carry a short-lived download token instead.
  Analysts read what they may see as transcripts or tickets (their queues;
  admins all) and what they uploaded. Anybody else gets 404, as if there were
  no such file; a purged file is 410.
- After settings.retention_attachment_days the file is deleted, the row stays
  (purged_at) and a ticket's thread says the file was removed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, AsyncIterable, AsyncIterator, Dict, List, Optional, Tuple, Union
from urllib.parse import quote

import filetype
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters.file_storage import LocalDiskStorage, Storage
from bot.db import queries
from bot.db.models import Agent, Attachment, Handoff, Message, Ticket, TicketMessage, utc
from bot.domain import handoffs, transcripts
from bot.domain.agents import serves
from bot.domain.errors import DomainError
from bot.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str
    extensions: Tuple[str, ...]


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
# The allow-list: images, PDF, zip, office documents (OOXML, legacy OLE, OpenDocument) and text.
KINDS: Dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("png", "image/png", ("png",)),
        Kind("jpeg", "image/jpeg", ("jpg", "jpeg", "jpe", "jfif")),
        Kind("gif", "image/gif", ("gif",)),
        Kind("webp", "image/webp", ("webp",)),
        Kind("bmp", "image/bmp", ("bmp",)),
        Kind("pdf", "application/pdf", ("pdf",)),
        Kind("zip", "application/zip", ("zip",)),
        Kind("docx", _OOXML + "wordprocessingml.document", ("docx",)),
        Kind("xlsx", _OOXML + "spreadsheetml.sheet", ("xlsx",)),
        Kind("pptx", _OOXML + "presentationml.presentation", ("pptx",)),
        Kind("odt", _ODF + "text", ("odt",)),
        Kind("ods", _ODF + "spreadsheet", ("ods",)),
        Kind("odp", _ODF + "presentation", ("odp",)),
        Kind("doc", "application/msword", ("doc",)),
        Kind("xls", "application/vnd.ms-excel", ("xls",)),
        Kind("ppt", "application/vnd.ms-powerpoint", ("ppt",)),
        Kind("text", "text/plain", ("txt", "log", "text")),
        Kind("csv", "text/csv", ("csv",)),
        Kind("json", "application/json", ("json",)),
        Kind("xml", "application/xml", ("xml",)),
    )
}
# filetype's names for the binary kinds it recognises on its own.
BY_FILETYPE = {"png": "png", "jpg": "jpeg", "gif": "gif", "webp": "webp", "bmp": "bmp", "pdf": "pdf"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What an office suite puts first in an OpenDocument zip (its `mimetype` member).
ODF_KINDS = {_ODF + "text": "odt", _ODF + "spreadsheet": "ods", _ODF + "presentation": "odp"}
OOXML_PARTS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"))
TEXT_KINDS = ("text", "csv", "json", "xml")
# Bytes no text file (UTF-8 or a latin-1 / Windows code page) has: NUL and the C0
# controls other than tab, newlines, form feed and escape (logs keep colour codes).
NOT_TEXT = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
HEAD_BYTES = 8192
MAX_NAME = 255

TEXTS: Dict[str, Dict[str, str]] = {
    "too_large": {
        "pt": "O arquivo {name} tem {size} e o limite por anexo é {limit}, por isso não foi enviado. Arquivos "
        "maiores vão pela opção “Upload de arquivo” do Portal do Cliente: lá ficam disponíveis para o suporte "
        "por 3 meses. Depois do envio, me conte o nome do arquivo.",
        "es": "El archivo {name} tiene {size} y el límite por adjunto es {limit}, así que no se envió. Los "
        "archivos más grandes van por la opción “Upload de arquivo” del Portal del Cliente: allí quedan "
        "disponibles para soporte durante 3 meses. Después de subirlo, dime el nombre del archivo.",
        "en": "The file {name} is {size} and the limit per attachment is {limit}, so it was not sent. Larger "
        "files go through the “Upload de arquivo” option of the customer portal, where support can reach them "
        "for 3 months. Once it is uploaded, tell me the file's name.",
    },
    "file_type": {
        "pt": "Não consigo receber o arquivo {name}: aceito imagens (PNG, JPEG, GIF, WebP, BMP), PDF, texto e "
        "logs (TXT, LOG, CSV, JSON, XML), ZIP e documentos do Office ou do LibreOffice, e o nome precisa "
        "terminar com o tipo real do arquivo.",
        "es": "No puedo recibir el archivo {name}: acepto imágenes (PNG, JPEG, GIF, WebP, BMP), PDF, texto y "
        "logs (TXT, LOG, CSV, JSON, XML), ZIP y documentos de Office o LibreOffice, y el nombre debe terminar "
        "con el tipo real del archivo.",
        "en": "I can't take the file {name}: I accept images (PNG, JPEG, GIF, WebP, BMP), PDF, text and logs "
        "(TXT, LOG, CSV, JSON, XML), ZIP and Office or LibreOffice documents, and the name must end in the "
        "file's real type.",
    },
    "removed": {
        "pt": "O arquivo {name} foi apagado {days} dias depois do envio, como manda a política de retenção.",
        "es": "El archivo {name} se eliminó {days} días después del envío, según la política de retención.",
        "en": "The file {name} was removed {days} days after it was sent, as the retention policy says.",
    },
}


def say(key: str, language: Optional[str], **values: object) -> str:
    variants = TEXTS[key]
    return variants.get(language or "pt", variants["pt"]).format(**values)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")


# --- names and kinds ----------------------------------------------------------


def clean_filename(raw: Optional[str]) -> str:
    """The name without a path, control or invisible characters (a right-to-left
    override makes "gpj.exe" look like "exe.jpg"), at most 255 characters."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    if not name:
        return "file"
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:20] if dot else ""
        name = (stem if dot else name)[: MAX_NAME - len(extension) - 1] + (f".{extension}" if extension else "")
    return name


def extension_of(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def inside_zip(file: IO[bytes]) -> List[str]:
    """What a zip file is: an office document (by its parts) or a plain zip.
    Only the directory and the tiny `mimetype` member are read, nothing unpacked."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                odf = ODF_KINDS.get(archive.read("mimetype").decode("ascii", "replace").strip())
                if odf:
                    return [odf, "zip"]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return []  # broken or not really a zip
    if "[Content_Types].xml" in names:
        for prefix, kind in OOXML_PARTS:
            if any(name.startswith(prefix) for name in names):
                return [kind, "zip"]
    return ["zip"]


def sniff(head: bytes, is_text: bool, open_file: Any) -> List[str]:
    """The kinds (names in KINDS) the content may be, best first; [] for anything
    not on the allow-list. `open_file()` gives the whole file, for zips."""
    if head.startswith(ZIP_MAGIC):
        with open_file() as file:
            return inside_zip(file)
    if head.startswith(OLE_MAGIC):
        return ["doc", "xls", "ppt"]  # the name's extension says which
    guessed = filetype.guess(head)
    if guessed is not None:
        # An executable, an archive or a medium not on the list is refused, whatever it is called.
        kind = BY_FILETYPE.get(guessed.extension)
        return [kind] if kind else []
    return list(TEXT_KINDS) if is_text and head else []


def agreeing(filename: str, kinds: List[str]) -> Optional[Kind]:
    """The kind the content is and the name says, if they agree."""
    extension = extension_of(filename)
    for name in kinds:
        if extension in KINDS[name].extensions:
            return KINDS[name]
    return None


# --- receiving ----------------------------------------------------------------


@dataclass
class Received:
    """A file stored and judged, not yet recorded."""

    key: str
    filename: str
    kind: Kind
    size: int
    sha256: str


Content = Union[bytes, AsyncIterable[bytes]]


async def _chunks(content: Content) -> AsyncIterator[bytes]:
    if isinstance(content, (bytes, bytearray)):
        for start in range(0, len(content), 64 * 1024):
            yield bytes(content[start : start + 64 * 1024])
        return
    async for chunk in content:
        yield chunk


async def receive(
    storage: Storage, settings: Settings, filename: Optional[str], content: Content, language: Optional[str] = None
) -> Received:
    """Stores the content, counting, hashing and looking at it on the way, then
    judges it; a refused file is deleted before the DomainError goes up."""
    name = clean_filename(filename)
    limit = settings.attachment_max_bytes
    digest, head = hashlib.sha256(), bytearray()
    seen = {"size": 0, "text": True}

    async def watched() -> AsyncIterator[bytes]:
        async for chunk in _chunks(content):
            seen["size"] += len(chunk)
            if seen["size"] > limit:
                raise too_large(name, seen["size"], limit, language)
            digest.update(chunk)
            if len(head) < HEAD_BYTES:
                head.extend(chunk[: HEAD_BYTES - len(head)])
            if seen["text"] and NOT_TEXT.search(chunk):
                seen["text"] = False
            yield chunk

    key = storage.new_key()
    await storage.write(key, watched())
    kind = agreeing(name, sniff(bytes(head), bool(seen["text"]), lambda: storage.open(key)))
    if kind is None:
        storage.delete(key)
        raise DomainError(422, "file_type", say("file_type", language, name=name))
    return Received(key, name, kind, int(seen["size"]), digest.hexdigest())


def too_large(name: str, size: int, limit: int, language: Optional[str]) -> DomainError:
    shown = megabytes(size) if size > limit + 1 else f"> {megabytes(limit)}"
    return DomainError(413, "too_large", say("too_large", language, name=name, size=shown, limit=megabytes(limit)))


def check_declared_size(
    name: Optional[str], declared: Optional[int], settings: Settings, language: Optional[str]
) -> None:
    """A request that says up front it is larger than the limit (plus room for the
    multipart framing) is refused before a byte of it is read."""
    limit = settings.attachment_max_bytes
    if declared is not None and declared > limit + 64 * 1024:
        raise too_large(clean_filename(name) if name else "", declared, limit, language)


async def record(
    session: AsyncSession,
    received: Received,
    *,
    uploaded_by: str,
    conversation_id: Optional[str] = None,
    ticket_id: Optional[int] = None,
    agent_id: Optional[int] = None,
) -> Attachment:
    row = Attachment(
        public_id=secrets.token_urlsafe(16),
        conversation_id=conversation_id,
        ticket_id=ticket_id,
        uploaded_by=uploaded_by,
        agent_id=agent_id,
        filename=received.filename,
        content_type=received.kind.content_type,
        size=received.size,
        storage_key=received.key,
        sha256=received.sha256,
    )
    session.add(row)
    await session.flush()
    return row


async def store(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    *,
    filename: Optional[str],
    content: Content,
    uploaded_by: str,
    conversation_id: Optional[str] = None,
    ticket_id: Optional[int] = None,
    agent_id: Optional[int] = None,
    language: Optional[str] = None,
) -> Attachment:
    """receive + record in one call (e-mailed attachments: bot/domain/inbound_mail.py).
    Raises DomainError 413/422 for a file that may not come in."""
    received = await receive(storage, settings, filename, content, language)
    try:
        return await record(
            session,
            received,
            uploaded_by=uploaded_by,
            conversation_id=conversation_id,
            ticket_id=ticket_id,
            agent_id=agent_id,
        )
    except BaseException:
        storage.delete(received.key)
        raise


def storage_of(settings: Settings) -> Storage:
    return LocalDiskStorage(Path(settings.attachments_dir))


def summary(attachment: Attachment) -> Dict[str, Any]:
    """What the upload answers, and what a message carries in its payload."""
    return {
        "id": attachment.public_id,
        "filename": attachment.filename,
        "size": attachment.size,
        "content_type": attachment.content_type,
    }


def attachment_json(attachment: Attachment) -> Dict[str, Any]:
    """An attachment in a ticket's thread: the summary, and whether the file is gone."""
    return {**summary(attachment), "purged": attachment.purged_at is not None}


async def link_to_ticket(session: AsyncSession, conversation_id: str, ticket_id: int) -> int:
    """The conversation's attachments that belong to no ticket yet now belong to
    this one (a ticket opened from the conversation). How many."""
    result = await session.execute(
        update(Attachment)
        .where(Attachment.conversation_id == conversation_id, Attachment.ticket_id.is_(None))
        .values(ticket_id=ticket_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- tokens -------------------------------------------------------------------


def _sign(settings: Settings, text: str) -> str:
    mac = hmac.new(settings.signing_secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _same(given: Optional[str], expected: str) -> bool:
    # As bytes: compare_digest refuses (TypeError, a 500) a str with non-ASCII characters.
    return given is not None and given.isascii() and hmac.compare_digest(given.encode(), expected.encode())


def upload_token(settings: Settings, conversation_id: str) -> str:
    """The widget's proof that it is in the conversation (sent with `session_info`)."""
    return _sign(settings, f"upload:{conversation_id}")


def upload_info(settings: Settings, conversation_id: str, language: Optional[str]) -> Dict[str, Any]:
    """What `session_info` tells the widget about files: its token, the limit, and
    the too-large message with {name} and {size} for the widget to fill in (so a
    file over the limit is refused before its upload, in the same words)."""
    limit = settings.attachment_max_bytes
    return {
        "upload_token": upload_token(settings, conversation_id),
        "upload_max_bytes": limit,
        "upload_too_large": say("too_large", language, name="{name}", size="{size}", limit=megabytes(limit)),
    }


def is_upload_token(settings: Settings, conversation_id: str, given: Optional[str]) -> bool:
    return _same(given, upload_token(settings, conversation_id))


DOWNLOAD_MINUTES = 30


def download_token(settings: Settings, public_id: str, now: datetime, minutes: int = DOWNLOAD_MINUTES) -> str:
    """A link's `?t=`: this file, until a moment (a link that leaks stops working soon)."""
    until = int((utc(now) + timedelta(minutes=minutes)).timestamp())
    return f"{until}.{_sign(settings, f'download:{public_id}:{until}')}"


def download_url(settings: Settings, public_id: str, now: datetime) -> str:
    """The file's address for someone without a session (the widget on the portal's
    page, a link in Carolina's message): the hub's public address and a `?t=`."""
    token = download_token(settings, public_id, now)
    return f"{settings.public_url}/api/attachments/{quote(public_id, safe='')}?t={token}"


def with_url(file: Dict[str, Any], settings: Settings, now: datetime) -> Dict[str, Any]:
    """A file as the customer is shown it: with its download link, unless it is gone."""
    return file if file.get("purged") else {**file, "url": download_url(settings, file["id"], now)}


def is_download_token(settings: Settings, public_id: str, given: Optional[str], now: datetime) -> bool:
    until, _, signature = (given or "").partition(".")
    if not until.isdigit() or int(until) < utc(now).timestamp():
        return False
    return _same(signature, _sign(settings, f"download:{public_id}:{until}"))


# --- an analyst's file in a live chat -----------------------------------------


async def live_chat_of(session: AsyncSession, agent: Agent, handoff_id: int) -> str:
    """The conversation of the live chat the analyst holds (404 / 409 "not_yours"
    otherwise): where their file goes, so its customer may have it back."""
    handoff = await handoffs.get(session, handoff_id)
    handoffs.held_by(handoff, agent)
    return handoff.conversation_id


async def agent_file_message(
    session: AsyncSession, row: Attachment, agent: Agent, settings: Settings, now: datetime
) -> Message:
    """The analyst's file as their message in the chat: the name as its text (what a
    transcript reads), the file in the payload with a `?t=` link for the customer's
    widget. The link is short-lived; the widget, which holds the conversation's
    upload token, uses that once the link has expired (history after a reload)."""
    if row.conversation_id is None:
        raise ValueError("an analyst's chat file belongs to the chat's conversation")
    file = with_url(summary(row), settings, now)
    message = await queries.add_message(
        session, row.conversation_id, "agent", row.filename, {"agent_name": agent.name, "attachment": file}
    )
    row.message_id = message.id
    return message


# --- reading ------------------------------------------------------------------


def _no_such() -> DomainError:
    return DomainError(404, "no_attachment", "no such attachment")


async def find(session: AsyncSession, public_id: str) -> Attachment:
    row = (await session.execute(select(Attachment).where(Attachment.public_id == public_id))).scalar_one_or_none()
    if row is None:
        raise _no_such()
    return row


async def for_customer(session: AsyncSession, public_id: str, conversation_id: str) -> Attachment:
    """The conversation's own file (404 for any other)."""
    row = await find(session, public_id)
    if row.conversation_id != conversation_id:
        raise _no_such()
    return row


async def for_agent(session: AsyncSession, agent: Agent, public_id: str) -> Attachment:
    """A file the analyst may see: theirs, of a ticket in their queues, or of a
    conversation whose transcript they may read (bot/domain/transcripts.py).
    Anything else is 404, not 403: the analyst learns nothing about it."""
    row = await find(session, public_id)
    if agent.role == "admin" or (row.uploaded_by == "agent" and row.agent_id == agent.id):
        return row
    ticket_id = row.ticket_id
    if ticket_id is None and row.ticket_message_id is not None:
        ticket_id = (
            await session.execute(select(TicketMessage.ticket_id).where(TicketMessage.id == row.ticket_message_id))
        ).scalar_one_or_none()
    if ticket_id is not None:
        queue = (await session.execute(select(Ticket.queue).where(Ticket.id == ticket_id))).scalar_one_or_none()
        if queue is not None and serves(agent, queue):
            return row
    if row.conversation_id is not None:
        held = (
            await session.execute(
                select(Handoff.id).where(Handoff.conversation_id == row.conversation_id, Handoff.agent_id == agent.id)
            )
        ).first()
        if held is not None:
            return row
        try:
            await transcripts.check_visible(session, agent, row.conversation_id)
            return row
        except DomainError:
            pass
    raise _no_such()


def readable(row: Attachment) -> Attachment:
    if row.purged_at is not None:
        raise DomainError(410, "purged", "the file was removed after its retention period")
    return row


def content_disposition(filename: str) -> str:
    """Always a download; the name as RFC 5987 (any language) plus a plain ASCII fallback."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# --- retention ----------------------------------------------------------------


def expired_before(settings: Settings, now: datetime) -> datetime:
    if settings.retention_attachment_days < 1:
        raise ValueError(
            f"CAROLINA_RETENTION_ATTACHMENT_DAYS must be at least 1, not {settings.retention_attachment_days}"
        )
    return utc(now) - timedelta(days=settings.retention_attachment_days)


async def expired(session: AsyncSession, settings: Settings, now: datetime) -> List[Attachment]:
    """Files older than the retention period, not yet removed."""
    query = select(Attachment).where(
        Attachment.created_at < expired_before(settings, now), Attachment.purged_at.is_(None)
    )
    return list((await session.execute(query.order_by(Attachment.id))).scalars())


async def purge_expired(session: AsyncSession, storage: Storage, settings: Settings, now: datetime) -> int:
    """Deletes the files past their period and marks their rows (the caller
    commits); a ticket's thread gets a line that says so. The file goes before
    the row says so: a failure leaves the row to be tried again, never a file
    the record calls gone. How many were removed."""
    removed = 0
    for row in await expired(session, settings, now):
        try:
            storage.delete(row.storage_key)
        except OSError as error:
            logger.warning("Could not delete an attachment's file: %s", error.strerror)
            continue
        row.purged_at = utc(now)
        removed += 1
        ticket_id = row.ticket_id
        if ticket_id is None and row.ticket_message_id is not None:
            ticket_id = (
                await session.execute(select(TicketMessage.ticket_id).where(TicketMessage.id == row.ticket_message_id))
            ).scalar_one_or_none()
        if ticket_id is not None:
            await note_removal(session, ticket_id, row, settings)
    await session.flush()
    return removed


async def note_removal(session: AsyncSession, ticket_id: int, row: Attachment, settings: Settings) -> None:
    from bot.domain import ticket_thread  # the thread's module uses this one to link files

    ticket = await session.get_one(Ticket, ticket_id)
    line = say("removed", ticket.language, name=row.filename, days=settings.retention_attachment_days)
    await ticket_thread.add_message(session, ticket, author="system", text=line, via="auto", settings=settings)


def of_rows(ticket_ids: List[int], conversation_ids: List[str]) -> Any:
    """The attachments that go with these tickets or conversations (retention, erasure)."""
    conditions = []
    if ticket_ids:
        conditions.append(Attachment.ticket_id.in_(ticket_ids))
        conditions.append(
            Attachment.ticket_message_id.in_(select(TicketMessage.id).where(TicketMessage.ticket_id.in_(ticket_ids)))
        )
    if conversation_ids:
        conditions.append(Attachment.conversation_id.in_(conversation_ids))
    return or_(*conditions) if conditions else None
