"""Where attachments' bytes live: a small storage interface, and its local-disk
implementation in settings.attachments_dir.

The disk is outside the web root (the hub serves /static/ only), files are
named by a random key, never by what the customer called them, and are 0600
in a 0700 directory (common/private_files.py). Another store (an object
store, say) only has to offer the same four calls."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import AsyncIterable, BinaryIO, Protocol

from common.private_files import FILE_MODE, private_dir

# 128 random bits as hex: a key names nothing about the file and cannot be guessed.
KEY = re.compile(r"^[0-9a-f]{32}$")


class Storage(Protocol):
    def new_key(self) -> str: ...

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Stores the chunks under `key` (a new file); on an error nothing is left under it."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes, to read (and seek: the sniffing looks inside zip files)."""

    def delete(self, key: str) -> bool:
        """Whether a file was deleted (one already gone is not an error)."""


class LocalDiskStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def new_key(self) -> str:
        return secrets.token_hex(16)

    def path(self, key: str) -> Path:
        # Keys come from new_key and the database only; checked anyway, so no key reaches outside the root.
        if not KEY.match(key):
            raise ValueError("not a storage key")
        return self.root / key

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        target = self.path(key)
        private_dir(self.root)
        # O_EXCL: a key is never reused; 0600 from the first byte. Plain writes of
        # the request's chunks (tens of KB each) to the page cache do not hold the loop up.
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(descriptor, "wb") as file:
                async for chunk in chunks:
                    file.write(chunk)
        except BaseException:
            self.delete(key)
            raise

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> bool:
        try:
            os.unlink(self.path(key))
        except FileNotFoundError:
            return False
        return True
