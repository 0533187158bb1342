"""The backup file: a tar of the database dump, the key file and a manifest, maybe sealed.

Sealed means encrypted with a passphrase: scrypt derives an AES-256-GCM key, and the
file is encrypted in 1 MiB chunks (the STREAM construction: each chunk's nonce carries
its number and whether it is the last), so a backup of any size is sealed and opened in
constant memory, and a reordered, truncated or altered file is refused, not half-read.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = [
    "FORMAT",
    "KEY_MEMBER",
    "MANIFEST",
    "BackupError",
    "Manifest",
    "is_sealed",
    "read_bundle",
    "seal",
    "unseal",
    "write_bundle",
]

FORMAT = 1
MANIFEST = "manifest.json"
KEY_MEMBER = "twofold.key"
_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}

MAGIC = b"TWOFOLD-BACKUP-SEALED-1\n"
_SALT, _PREFIX, _CHUNK, _TAG = 16, 7, 1 << 20, 16
# scrypt at 2^15 x 8: about 32 MiB and a tenth of a second per guess, per try.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 1 << 15, 8, 1


class BackupError(Exception):
    """The backup cannot be written or read; the message says why in one line."""


@dataclass(frozen=True)
class Manifest:
    backend: str  # "sqlite" or "postgresql"
    created_at: str
    twofold_version: str
    schema_revision: str | None
    keys_included: bool  # False: the keys came from ENCRYPTION_KEY
    format: int = FORMAT

    @property
    def database_member(self) -> str:
        return _MEMBERS[self.backend]


def write_bundle(target: Path, manifest: Manifest, database: Path, key_file: Path | None) -> None:
    """Write the tar (gzip) of the dump, the key file and the manifest to `target`."""
    with tarfile.open(target, "w:gz") as tar:
        payload = json.dumps(asdict(manifest), indent=2).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(payload), 0o600
        tar.addfile(info, io.BytesIO(payload))
        tar.add(database, arcname=manifest.database_member, recursive=False)
        if key_file is not None:
            tar.add(key_file, arcname=KEY_MEMBER, recursive=False)


def read_bundle(bundle: Path, into: Path) -> tuple[Manifest, Path, Path | None]:
    """Extract the manifest, the dump and the key file (by name, nothing else) into `into`."""
    try:
        with tarfile.open(bundle, "r:*") as tar:
            manifest = _manifest(tar)
            database = _extract(tar, manifest.database_member, into)
            has_key = KEY_MEMBER in tar.getnames()
            key_file = _extract(tar, KEY_MEMBER, into) if has_key else None
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{bundle} is not a Twofold backup ({exc})") from None
    return manifest, database, key_file


def _manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        handle = tar.extractfile(MANIFEST)
        assert handle is not None
        data = json.loads(handle.read())
        if data.get("format") != FORMAT:
            raise BackupError(f"backup format {data.get('format')} is not {FORMAT}: upgrade first")
        manifest = Manifest(**data)
        _ = manifest.database_member
    except (KeyError, ValueError, TypeError, AssertionError):
        raise BackupError("the backup has no readable manifest.json") from None
    return manifest


def _extract(tar: tarfile.TarFile, name: str, into: Path) -> Path:
    handle = tar.extractfile(name)  # a regular member by exact name: no path tricks
    if handle is None:
        raise BackupError(f"{name} in the backup is not a file")
    target = into / name
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        while block := handle.read(_CHUNK):
            out.write(block)
    return target


# -- sealing with a passphrase -----------------------------------------------------------


def _aead(passphrase: str, salt: bytes) -> AESGCM:
    kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return AESGCM(kdf.derive(passphrase.encode("utf-8")))


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def is_sealed(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def seal(source: Path, target: Path, passphrase: str) -> None:
    """Encrypt `source` into `target` (mode 0600) under `passphrase`."""
    salt, prefix = os.urandom(_SALT), os.urandom(_PREFIX)
    header = MAGIC + salt + prefix
    aead = _aead(passphrase, salt)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with source.open("rb") as plain, os.fdopen(fd, "wb") as out:
        out.write(header)
        counter, chunk = 0, plain.read(_CHUNK)
        while True:
            following = plain.read(_CHUNK)
            last = not following
            sealed = aead.encrypt(_nonce(prefix, counter, last), chunk, header)
            out.write(len(sealed).to_bytes(4, "big") + sealed)
            if last:
                return
            counter, chunk = counter + 1, following


def unseal(source: Path, target: Path, passphrase: str) -> None:
    """Decrypt a sealed backup; a wrong passphrase or a damaged file is a BackupError."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with source.open("rb") as sealed, os.fdopen(fd, "wb") as out:
        header = sealed.read(len(MAGIC) + _SALT + _PREFIX)
        if len(header) != len(MAGIC) + _SALT + _PREFIX or not header.startswith(MAGIC):
            raise BackupError(f"{source} is not a sealed Twofold backup")
        salt, prefix = header[len(MAGIC) : -_PREFIX], header[-_PREFIX:]
        aead = _aead(passphrase, salt)
        counter, size = 0, sealed.read(4)
        while True:
            length = int.from_bytes(size, "big")
            if len(size) != 4 or not _TAG <= length <= _CHUNK + _TAG:
                raise BackupError(f"{source} is damaged or cut short")
            chunk = sealed.read(length)
            size = sealed.read(4)
            last = not size
            try:
                out.write(aead.decrypt(_nonce(prefix, counter, last), chunk, header))
            except InvalidTag:
                raise BackupError(
                    "wrong passphrase, or the backup file was damaged or cut short"
                ) from None
            if last:
                return
            counter += 1
