"""The `twofold keys` subcommands: rotate and check the encryption keys (docs/security.md)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.cli.common import CommandError, load_settings, with_database
from bot.config import Settings
from bot.db.engine import Database
from bot.services import audit, keys
from bot.services.crypto import Box, EncryptionKeyError, default_key_file, write_key_file

__all__ = ["cmd_keys_check", "cmd_keys_rotate", "register"]


def _current_box(settings: Settings) -> Box:
    try:
        return settings.crypto_box()
    except EncryptionKeyError as exc:
        raise CommandError(f"ENCRYPTION_KEY: {exc}") from None


def _print_keys_report(report: keys.KeysReport, *, rotating: bool) -> None:
    for name, counts in report.columns.items():
        line = f"  {name}: {counts.rows} value(s)"
        if rotating:
            line += f", {counts.rotated} re-encrypted, {counts.current} already under the new key"
        else:
            line += f", {counts.current} under the newest key"
        if counts.unreadable:
            line += f", {counts.unreadable} UNREADABLE with the configured keys"
        print(line)


async def _rotate_and_record(database: Database, box: Box) -> keys.KeysReport:
    report = await keys.rotate(database=database, box=box)
    async with database.session() as session:
        rotated = sum(c.rotated for c in report.columns.values())
        await audit.record(
            session=session, actor=audit.OPERATOR, action="keys.rotate",
            detail=f"{rotated} value(s) re-encrypted", now=datetime.now(UTC),
        )  # fmt: skip
    return report


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Re-encrypt every stored value under a new key, then make that key the first."""
    settings = load_settings()
    old = _current_box(settings).keys
    fresh = (args.new_key or keys.new_key().decode()).strip().encode()
    try:
        box = Box([fresh, *[key for key in old if key != fresh]])
    except EncryptionKeyError:
        raise CommandError("--new-key is not a valid Fernet key") from None
    value = ",".join(key.decode() for key in box.keys)
    if settings.encryption_key:
        # The database is about to hold values only the new key opens: show the key
        # before touching anything, so an interruption can never lose it.
        print("ENCRYPTION_KEY is set in the environment, so Twofold cannot save the new key.")
        print("Set ENCRYPTION_KEY to this value (new key first, old keys after) and restart")
        print("the bot; keep the old keys listed until no backup you may restore needs them:")
        print(f"\nENCRYPTION_KEY={value}\n", flush=True)
        print("If this is interrupted, run it again with --new-key set to the first key above.")
    else:
        path = settings.encryption_key_file or default_key_file(settings.database_url)
        # First add the new key *last*: the file then holds every key a value may be under
        # while the bot still encrypts with the old one; only at the end does it lead.
        write_key_file(path, [*old, fresh] if fresh not in old else old)
    report = with_database(lambda database: _rotate_and_record(database, box))
    if not settings.encryption_key:
        write_key_file(path, box.keys)
        print(f"new key saved first in {path} (mode 0600); the old keys stay after it")
    print(f"re-encrypted {sum(c.rotated for c in report.columns.values())} value(s):")
    _print_keys_report(report, rotating=True)
    print("restart the bot so it encrypts with the new key")
    if settings.encryption_key:
        print(f"\nENCRYPTION_KEY={value}")
    return 1 if report.unreadable else 0


def cmd_keys_check(args: argparse.Namespace) -> int:
    """Open a sample of the stored values with the configured keys."""
    settings = load_settings()
    box = _current_box(settings)
    sample = args.sample
    report = with_database(lambda database: keys.check(database=database, box=box, sample=sample))
    print(f"{len(box.keys)} key(s) configured; checked {report.rows} stored value(s):")
    _print_keys_report(report, rotating=False)
    if report.unreadable:
        print(
            "some values cannot be opened: is a key missing from ENCRYPTION_KEY or the key file?",
            file=sys.stderr,
        )
        return 1
    print("all checked values open with the configured keys")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `keys rotate` and `keys check` to the `twofold` subcommands."""
    group = commands.add_parser("keys", help="rotate or check the encryption keys")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    rotate = actions.add_parser("rotate", help="re-encrypt everything under a new key")
    rotate.add_argument("--new-key", help="use this Fernet key instead of generating one")
    rotate.set_defaults(func=cmd_keys_rotate)
    check = actions.add_parser("check", help="open a sample of stored values")
    check.add_argument("--sample", type=int, default=100, help="values per column (100)")
    check.set_defaults(func=cmd_keys_check)
