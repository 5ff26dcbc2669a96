"""What may come in as an attachment: judged by content (sniffed), the name's
extension agreeing, the size limit with the large-file message, and the files
stored privately under random names."""

from __future__ import annotations

import asyncio
import stat
from dataclasses import replace

import pytest

from bot.adapters.file_storage import LocalDiskStorage
from bot.domain import attachments
from bot.domain.errors import DomainError
from bot.settings import Settings
from tests.attachments import files


@pytest.fixture
def storage(tmp_path):
    return LocalDiskStorage(tmp_path / "attachments")


def receive(storage, name, content, language="pt", settings=None):
    return asyncio.run(attachments.receive(storage, settings or Settings(), name, content, language))


def stored(storage):
    return sorted(storage.root.iterdir()) if storage.root.exists() else []


@pytest.mark.parametrize(
    "name, content, kind, content_type",
    [
        ("tela.png", files.png(), "png", "image/png"),
        ("Relatório.PDF", files.pdf(), "pdf", "application/pdf"),
        (
            "manual.docx",
            files.docx(),
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("planilha.xlsx", files.xlsx(), "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("ata.odt", files.odt(), "odt", "application/vnd.oasis.opendocument.text"),
        ("logs.zip", files.plain_zip(), "zip", "application/zip"),
        ("antigo.doc", files.ole(), "doc", "application/msword"),
        ("antigo.xls", files.ole(), "xls", "application/vnd.ms-excel"),
        ("erro.log", b"2026-12-02 12:30 ERRO ao emitir nota\n\x1b[31mfalhou\x1b[0m\n", "text", "text/plain"),
        ("notas.txt", "Observação: não emite".encode("cp1252"), "text", "text/plain"),
        ("dados.csv", b"nota;valor\n1;10,00\n", "csv", "text/csv"),
        ("config.json", b'{"a": 1}', "json", "application/json"),
    ],
    ids=lambda value: value if isinstance(value, str) and "/" not in value else "",
)
def test_allowed_kinds_are_recognised_by_their_content(storage, name, content, kind, content_type):
    received = receive(storage, name, content)
    assert (received.kind.name, received.kind.content_type) == (kind, content_type)
    assert received.size == len(content) and len(received.sha256) == 64
    with storage.open(received.key) as file:
        assert file.read() == content


@pytest.mark.parametrize(
    "name, content",
    [
        ("foto.png", files.exe()),  # an executable renamed
        ("foto.png", files.elf()),
        ("setup.exe", files.exe()),
        ("foto.jpg", files.png()),  # allowed content, but the name says another kind
        ("manual.pdf", files.docx()),
        ("tela.png", b"just text, not an image"),
        ("sem-extensao", files.png()),
        ("dump.log", b"binary\x00\x01\x02 data"),
        ("vazio.txt", b""),
        ("pagina.html", b"<html><script>alert(1)</script></html>"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_anything_else_is_refused_and_nothing_is_kept(storage, name, content):
    with pytest.raises(DomainError) as refused:
        receive(storage, name, content, language="es")
    assert (refused.value.status, refused.value.code) == (422, "file_type")
    assert "No puedo recibir el archivo" in refused.value.message and "PDF" in refused.value.message
    assert stored(storage) == []


def test_a_file_over_the_limit_is_413_and_points_to_the_upload_area(storage):
    settings = Settings()
    assert settings.attachment_max_bytes == 20 * 1024 * 1024
    big = b"x" * (25 * 1024 * 1024)
    for language, words in (
        ("pt", "Upload de arquivo"),
        ("es", "Upload de arquivo"),
        ("en", "Upload de arquivo"),
    ):
        with pytest.raises(DomainError) as refused:
            receive(storage, "backup.log", big, language=language, settings=settings)
        assert (refused.value.status, refused.value.code) == (413, "too_large")
        assert words in refused.value.message and "20 MB" in refused.value.message
        assert "3 " in refused.value.message  # three months
    assert stored(storage) == []
    # A file exactly at the limit comes in.
    small = replace(settings, attachment_max_bytes=1024)
    assert receive(storage, "ok.txt", b"a" * 1024, settings=small).size == 1024


def test_names_lose_paths_and_invisible_characters():
    assert attachments.clean_filename("C:\\Users\\ana\\tela.png") == "tela.png"
    assert attachments.clean_filename("../../etc/passwd") == "passwd"
    # A right-to-left override would show "fdp.exe" as "exe.pdf".
    assert attachments.clean_filename("fatura\u202efdp.exe") == "faturafdp.exe"
    assert attachments.clean_filename("") == "file"
    long = attachments.clean_filename("a" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


def test_files_are_private_and_named_at_random(storage):
    first = receive(storage, "tela.png", files.png())
    second = receive(storage, "tela.png", files.png())
    assert first.key != second.key and len(first.key) == 32
    assert [path.name for path in stored(storage)] == sorted([first.key, second.key])
    assert stat.S_IMODE(storage.root.stat().st_mode) == 0o700
    assert stat.S_IMODE((storage.root / first.key).stat().st_mode) == 0o600
    with pytest.raises(ValueError):
        storage.path("../hub.db")


def test_tokens():
    settings = replace(Settings(), signing_secret="s")
    token = attachments.upload_token(settings, "conv-1")
    assert attachments.is_upload_token(settings, "conv-1", token)
    assert not attachments.is_upload_token(settings, "conv-2", token)
    assert not attachments.is_upload_token(settings, "conv-1", "ção")
    assert not attachments.is_upload_token(replace(settings, signing_secret="t"), "conv-1", token)
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 12, 2, 15, 30, tzinfo=timezone.utc)
    link = attachments.download_token(settings, "abc", now)
    assert attachments.is_download_token(settings, "abc", link, now + timedelta(minutes=29))
    assert not attachments.is_download_token(settings, "abc", link, now + timedelta(minutes=31))
    assert not attachments.is_download_token(settings, "abd", link, now)
    assert not attachments.is_download_token(settings, "abc", "9999999999.forged", now)
