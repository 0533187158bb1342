"""`twofold backup [PATH]` and `twofold restore PATH` (docs/operations.md).

A backup is one file: the database (a consistent snapshot, safe while the bot runs),
the key file that opens its encrypted text, and a manifest; optionally sealed with a
passphrase. A restore refuses to overwrite data without --force, upgrades the schema
and opens the restored text with the configured keys before it reports success.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from alembic.util.exc import CommandError as AlembicError
from sqlalchemy.exc import SQLAlchemyError

from bot import __version__, heartbeat
from bot.cli import backup_databases
from bot.cli.backup_bundle import (
    BackupError,
    Manifest,
    is_sealed,
    read_bundle,
    seal,
    unseal,
    write_bundle,
)
from bot.cli.common import CommandError, load_settings, with_database
from bot.cli.key_guard import key_file_path, stored_values
from bot.config import Settings
from bot.db import migrate
from bot.services import keys
from bot.services.crypto import Box, EncryptionKeyError, read_key_file, write_key_file

__all__ = ["cmd_backup", "cmd_restore", "register"]


def _passphrase(args: argparse.Namespace, *, confirm: bool) -> str | None:
    value: str
    if args.passphrase_file is not None:
        try:
            value = args.passphrase_file.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read --passphrase-file ({exc})") from None
    elif getattr(args, "encrypt", False) or not confirm:
        if not sys.stdin.isatty():
            raise CommandError("no terminal to ask for the passphrase: use --passphrase-file")
        value = getpass.getpass("backup passphrase: ")
        if confirm and getpass.getpass("the same passphrase again: ") != value:
            raise CommandError("the two passphrases differ")
    else:
        return None
    if len(value) < 12:
        raise CommandError("the passphrase must be at least 12 characters")
    return value


def _target(given: str | None, sealed: bool) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = f"twofold-backup-{stamp}.tgz" + (".sealed" if sealed else "")
    target = Path(given or name).expanduser()
    if given and given.endswith("/") and not target.exists():
        target.mkdir(mode=0o700, parents=True)  # "backups/": a folder, made owner-only
    if target.is_dir():
        target = target / name
    if target.exists():
        raise CommandError(f"{target} exists already: choose another name")
    if not target.parent.is_dir():
        raise CommandError(f"there is no folder {target.parent}")
    return target.resolve()


def _revision(settings: Settings) -> str | None:
    try:
        return migrate.current_revision(settings.database_url)
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CommandError(f"cannot use the database at DATABASE_URL ({reason})") from None


def cmd_backup(args: argparse.Namespace) -> int:
    """Write the database, its key file and a manifest into one (optionally sealed) file."""
    settings = load_settings()
    passphrase = _passphrase(args, confirm=True)
    target = _target(args.path, sealed=passphrase is not None)
    revision = _revision(settings)
    key_file = None if settings.encryption_key else key_file_path(settings)
    if key_file is not None and not key_file.exists():
        key_file = None  # nothing has been encrypted yet on this installation
    backend = "sqlite" if settings.is_sqlite else "postgresql"
    manifest = Manifest(
        backend=backend,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        twofold_version=__version__,
        schema_revision=revision,
        keys_included=key_file is not None,
    )
    # Beside the target, so the finished file is renamed into place, never half-written.
    with tempfile.TemporaryDirectory(prefix=".twofold-backup-", dir=target.parent) as tmp:
        work = Path(tmp)
        dump = work / manifest.database_member
        try:
            if settings.is_sqlite:
                backup_databases.sqlite_backup(settings.database_url, dump)
            else:
                backup_databases.pg_dump(settings.database_url, dump)
            bundle = work / "bundle.tgz"
            write_bundle(bundle, manifest, dump, key_file)
            if passphrase is not None:
                seal(bundle, work / "sealed", passphrase)
                bundle = work / "sealed"
            bundle.chmod(0o600)
            bundle.replace(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write {target} ({exc.strerror})") from None
    size = target.stat().st_size
    print(f"backup written to {target} ({size:,} bytes, schema {revision}, {backend})")
    if settings.encryption_key:
        print(
            "REMINDER: the keys come from ENCRYPTION_KEY and are NOT in this backup; keep "
            "ENCRYPTION_KEY with it: without that value no answer in it can be read"
        )
    elif key_file is not None and passphrase is None:
        print(
            f"the backup holds the key file {key_file}: whoever has this file can read every "
            "answer; store it as safely as the key, or seal it with --encrypt"
        )
    return 0


def _restore_keys(settings: Settings, bundled: Path | None) -> Box | None:
    """Put the backup's keys where the bot reads them; the keys the check will use."""
    key_file = key_file_path(settings)
    try:
        if settings.encryption_key:
            if bundled is not None:
                print("the backup carries a key file, but ENCRYPTION_KEY is set: it is used")
            return settings.crypto_box()
        if bundled is not None:
            restored = read_key_file(bundled)
            existing = read_key_file(key_file) if key_file.exists() else []
            merged = restored + [key for key in existing if key not in restored]
            Box(merged)  # refuse a malformed key file before writing it
            write_key_file(key_file, merged)
            kept = len(merged) - len(restored)
            note = f"; {kept} key(s) already there kept after them" if kept else ""
            print(f"keys restored to {key_file} (mode 0600){note}")
            return Box(merged)
        return Box(read_key_file(key_file)) if key_file.exists() else None
    except EncryptionKeyError as exc:
        raise CommandError(f"encryption keys: {exc}") from None


def _refuse_to_overwrite(settings: Settings, force: bool) -> bool:
    """Whether the target already has tables (pg_restore must then replace them)."""
    tables, rows, others = with_database(backup_databases.database_state)
    alive = heartbeat.is_fresh(settings.heartbeat_file, datetime.now(UTC))
    reasons = [
        *(["it holds data"] if rows else []),
        *([f"{others} other session(s) are connected to it"] if others else []),
        *(["the bot's heartbeat is fresh (is it running?)"] if alive else []),
    ]
    if reasons and not force:
        raise CommandError(
            f"refusing to overwrite the database at DATABASE_URL: {'; '.join(reasons)}. "
            "Stop the bot, then run restore again with --force to replace it"
        )
    return tables


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into DATABASE_URL and check the keys open what it holds."""
    settings = load_settings()
    if not args.path.is_file():
        raise CommandError(f"there is no backup file {args.path}")
    with tempfile.TemporaryDirectory(prefix="twofold-restore-") as tmp:
        work = Path(tmp)
        try:
            bundle = args.path
            if is_sealed(bundle):
                passphrase = _passphrase(args, confirm=False)
                assert passphrase is not None
                unseal(bundle, work / "bundle.tgz", passphrase)
                bundle = work / "bundle.tgz"
            manifest, dump, bundled_keys = read_bundle(bundle, work)
            backend = "sqlite" if settings.is_sqlite else "postgresql"
            if manifest.backend != backend:
                raise CommandError(
                    f"this is a {manifest.backend} backup and DATABASE_URL is {backend}: "
                    "restore it into the same kind of database"
                )
            has_tables = _refuse_to_overwrite(settings, args.force)
            if settings.is_sqlite:
                backup_databases.sqlite_restore(dump, settings.database_url)
            else:
                backup_databases.pg_restore(dump, settings.database_url, clean=has_tables)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot read {args.path} ({exc.strerror})") from None
        print(f"restored the {manifest.backend} backup of {manifest.created_at}")
        box = _restore_keys(settings, bundled_keys)
    try:
        revision = migrate.upgrade(settings.database_url)
    except (AlembicError, SQLAlchemyError, OSError) as exc:
        raise CommandError(
            f"restored, but the schema cannot be upgraded ({str(exc).splitlines()[0]}); "
            f"the backup is at revision {manifest.schema_revision}: is this Twofold older?"
        ) from None
    print(f"database schema at revision {revision} (backup: {manifest.schema_revision})")
    return _check_restored_keys(box, args.sample)


def _check_restored_keys(box: Box | None, sample: int) -> int:
    if box is None:
        if not with_database(stored_values):
            return 0
        print(
            "the restored text is encrypted, and this backup holds no keys (they came from "
            "ENCRYPTION_KEY): set ENCRYPTION_KEY to the value the backed-up instance used",
            file=sys.stderr,
        )
        return 1
    report = with_database(lambda database: keys.check(database=database, box=box, sample=sample))
    if report.unreadable:
        print(
            f"{report.unreadable} of {report.rows} restored value(s) cannot be opened with the "
            "configured keys: set ENCRYPTION_KEY (or ENCRYPTION_KEY_FILE) to the backup's keys",
            file=sys.stderr,
        )
        return 1
    print(f"keys checked: all {report.rows} sampled value(s) open")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `backup` and `restore` to the `twofold` subcommands."""
    backup = commands.add_parser("backup", help="back up the database and its key file")
    backup.add_argument(
        "path", nargs="?", help="file, or folder ending in / (default: twofold-backup-TIME.tgz)"
    )
    backup.add_argument("--encrypt", action="store_true", help="ask for a passphrase; seal it")
    backup.add_argument("--passphrase-file", type=Path, help="seal with the passphrase in FILE")
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser("restore", help="restore a backup into DATABASE_URL")
    restore.add_argument("path", type=Path, help="the backup file")
    restore.add_argument("--passphrase-file", type=Path, help="the passphrase of a sealed one")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that holds data or is in use"
    )
    restore.add_argument("--sample", type=int, default=1000, help="values per column to open")
    restore.set_defaults(func=cmd_restore)
