"""Encryption at rest for free text (answers, reflections, safety plans).

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`). Keys come from ENCRYPTION_KEY
(comma-separated, newest first) or, for the embedded default, from a key file created
with mode 0600 next to the database on first run. Several keys allow rotation:
everything decrypts with any of them and encrypts with the first; `twofold keys
rotate` re-encrypts every stored value under a new first key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import make_url

KEY_FILE_NAME = "twofold.key"

logger = logging.getLogger(__name__)


class EncryptionKeyError(Exception):
    """The keys are missing, malformed or do not open the stored data."""


class Box:
    """Encrypts with the newest key, decrypts with any."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise EncryptionKeyError("no encryption key")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except ValueError as exc:
            raise EncryptionKeyError("an encryption key is not a valid Fernet key") from exc
        self.keys = list(keys)

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken as exc:
            raise EncryptionKeyError(
                "stored text cannot be opened with the configured keys"
            ) from exc

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt `token` under the newest key."""
        return self._fernet.rotate(token)


def default_key_file(database_url: str) -> Path:
    """Next to the SQLite file; `data/` for a server database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        assert url.database is not None
        return Path(url.database).expanduser().parent / KEY_FILE_NAME
    return Path("data") / KEY_FILE_NAME


def read_key_file(path: Path) -> list[bytes]:
    return [line.strip().encode() for line in path.read_text().splitlines() if line.strip()]


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Write keys (newest first) readable by the owner only, atomically."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(f"{key.decode()}\n" for key in keys))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def load_box(*, configured: str | None, key_file: Path) -> Box:
    """Keys from ENCRYPTION_KEY if set, else the key file (created on first run)."""
    if configured:
        return Box([k.strip().encode() for k in configured.split(",") if k.strip()])
    if not key_file.exists():
        write_key_file(key_file, [Fernet.generate_key()])
    elif key_file.stat().st_mode & 0o077:
        logger.warning("%s is readable by other users; it holds the keys: chmod 600 it", key_file)
    return Box(read_key_file(key_file))
