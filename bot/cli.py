"""The `twofold` command: run the bot, migrate, manage therapists, inspect the library."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.error import InvalidToken, NetworkError

from bot import __version__, cli_exercises, heartbeat
from bot.config import ConfigError, Settings, get_settings
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Therapist
from bot.library import LibraryError
from bot.logs import configure_logging
from bot.services import audit, keys, therapists
from bot.services.crypto import Box, EncryptionKeyError, default_key_file, write_key_file

if TYPE_CHECKING:
    from bot.context import TwofoldApp

logger = logging.getLogger("bot")

T = TypeVar("T")

EXIT_USAGE = 2  # the operator must change something before this can work


class CommandError(Exception):
    """A problem the operator can fix; shown as one line, never as a traceback."""


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise CommandError(f"invalid configuration: {problems}") from None
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def _migrate(settings: Settings) -> str | None:
    try:
        return migrate.upgrade(settings.database_url)
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CommandError(
            f"cannot use the database at DATABASE_URL ({reason}); check the URL and that "
            "the database server is reachable"
        ) from None


def cmd_run(args: argparse.Namespace) -> int:
    """Start the bot: long polling, or a webhook server when WEBHOOK_URL is set."""
    from bot.app import build_application, load_exercises

    settings = _settings()
    _token(settings)
    configure_logging(settings.log_level, _secrets(settings))
    try:
        library = load_exercises(settings)
    except LibraryError as exc:
        problems = "\n".join(f"  {problem}" for problem in exc.problems)
        raise CommandError(f"the built-in exercise library is broken:\n{problems}") from None
    revision = _migrate(settings)
    logger.info("database schema at revision %s", revision)
    app = build_application(settings, library=library)
    try:
        # PTB's own start-up logs a traceback when Telegram cannot be reached or refuses
        # the token; asking once first turns both into the one-line errors below.
        asyncio.run(_check_telegram(app))
        _serve(app, settings)
    except InvalidToken:
        raise CommandError(
            "Telegram rejected TELEGRAM_BOT_TOKEN: copy the token @BotFather gave you again"
        ) from None
    except NetworkError as exc:
        raise CommandError(
            f"cannot reach the Telegram Bot API at TELEGRAM_API_BASE_URL ({exc.message})"
        ) from None
    return 0


async def _check_telegram(app: TwofoldApp) -> None:
    async with app.bot:
        await app.bot.get_me()


def _serve(app: TwofoldApp, settings: Settings) -> None:
    from bot import webhook
    from bot.app import ALLOWED_UPDATES

    # SIGINT/SIGTERM: PTB stops fetching updates, lets running handlers finish, then
    # runs post_shutdown (which closes the database), so nothing is lost mid-write.
    if settings.webhook_url:
        assert settings.webhook_secret is not None  # enforced by Settings
        # Our own server, not PTB's run_webhook: constant-time secret check, no token or
        # body in the logs, a body size cap (bot/webhook.py). Same lifecycle and signals.
        webhook.serve(
            app,
            url=settings.webhook_url,
            secret=settings.webhook_secret.get_secret_value(),
            port=settings.port,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)


def _token(settings: Settings) -> str:
    try:
        return settings.token
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def _secrets(settings: Settings) -> list[str]:
    secrets = [settings.webhook_secret.get_secret_value()] if settings.webhook_secret else []
    if settings.telegram_bot_token:
        secrets.append(settings.telegram_bot_token.get_secret_value())
    if settings.encryption_key:
        secrets += [k.strip() for k in settings.encryption_key.get_secret_value().split(",")]
    return secrets


def cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade the schema to the newest revision and report it."""
    settings = _settings()
    revision = _migrate(settings)
    print(f"database schema at revision {revision} (head {migrate.head_revision()})")
    return 0


def _with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of database work in its own transaction, from synchronous CLI code."""

    async def run() -> T:
        database = Database(_settings().database_url)
        try:
            async with database.session() as session:
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CommandError(f"database error ({reason}); has `twofold migrate` run?") from None
    except therapists.InvalidTherapistError as exc:
        raise CommandError(str(exc)) from None


def cmd_therapist_add(args: argparse.Namespace) -> int:
    """Grant the therapist role."""

    async def grant(session: AsyncSession) -> Therapist:
        therapist = await therapists.grant(
            session=session, telegram_id=args.telegram_user_id, name=args.name
        )
        await audit.record(
            session=session,
            actor=audit.OPERATOR,
            action="therapist.add",
            subject=str(args.telegram_user_id),
            now=datetime.now(UTC),
        )
        return therapist

    therapist = _with_session(grant)
    label = f" ({therapist.name})" if therapist.name else ""
    print(f"therapist {args.telegram_user_id}{label} added")
    return 0


def cmd_therapist_list(args: argparse.Namespace) -> int:
    """List the therapists."""
    rows = _with_session(lambda session: therapists.list_active(session=session))
    if not rows:
        print("no therapists yet: add one with `twofold therapist add <telegram_user_id>`")
        return 0
    print(f"{'telegram_user_id':>16}  {'added':10}  name")
    for therapist in rows:
        added = therapist.created_at.strftime("%Y-%m-%d")
        print(f"{therapist.telegram_id:>16}  {added:10}  {therapist.name}")
    return 0


def cmd_therapist_remove(args: argparse.Namespace) -> int:
    """Revoke the therapist role."""

    async def revoke(session: AsyncSession) -> bool:
        removed = await therapists.revoke(session=session, telegram_id=args.telegram_user_id)
        if removed:
            await audit.record(
                session=session,
                actor=audit.OPERATOR,
                action="therapist.remove",
                subject=str(args.telegram_user_id),
                now=datetime.now(UTC),
            )
        return removed

    removed = _with_session(revoke)
    if not removed:
        raise CommandError(f"{args.telegram_user_id} is not a therapist")
    print(f"therapist {args.telegram_user_id} removed")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the audit log: who did what, whose, when (newest last)."""
    entries = _with_session(lambda session: audit.recent(session=session, limit=args.limit))
    if not entries:
        print("the audit log is empty")
        return 0
    print(f"{'when (UTC)':19}  {'who':24}  {'what':16}  whose  detail")
    for entry in entries:
        when = entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{when:19}  {entry.actor:24}  {entry.action:16}  {entry.subject or '-'}"
            + (f"  {entry.detail}" if entry.detail else "")
        )
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the running bot refreshed its heartbeat recently (container health check)."""
    settings = _settings()
    if heartbeat.is_fresh(settings.heartbeat_file, datetime.now(UTC)):
        return 0
    print(f"unhealthy: no recent heartbeat in {settings.heartbeat_file}", file=sys.stderr)
    return 1


# --- keys: rotate and check the encryption keys (docs/security.md) ---------------------


def _keys_work(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the configured database, with one-line errors."""

    async def run() -> T:
        database = Database(_settings().database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CommandError(f"database error ({reason}); has `twofold migrate` run?") from None


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


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Re-encrypt every stored value under a new key, then make that key the first."""
    settings = _settings()
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
    report = _keys_work(lambda database: keys.rotate(database=database, box=box))
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
    settings = _settings()
    box = _current_box(settings)
    sample = args.sample
    report = _keys_work(lambda database: keys.check(database=database, box=box, sample=sample))
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


def _register_keys(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("keys", help="rotate or check the encryption keys")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    rotate = actions.add_parser("rotate", help="re-encrypt everything under a new key")
    rotate.add_argument("--new-key", help="use this Fernet key instead of generating one")
    rotate.set_defaults(func=cmd_keys_rotate)
    check = actions.add_parser("check", help="open a sample of stored values")
    check.add_argument("--sample", type=int, default=100, help="values per column (100)")
    check.set_defaults(func=cmd_keys_check)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twofold", description="Twofold: a Telegram bot for couples-therapy homework."
    )
    parser.add_argument("--version", action="version", version=f"twofold {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start the bot (polling, or webhook if WEBHOOK_URL)")
    run.set_defaults(func=cmd_run)
    migrate_cmd = commands.add_parser("migrate", help="upgrade the database schema")
    migrate_cmd.set_defaults(func=cmd_migrate)
    health = commands.add_parser("health", help="exit 0 if the running bot is alive")
    health.set_defaults(func=cmd_health)

    therapist = commands.add_parser("therapist", help="grant or revoke the therapist role")
    roles = therapist.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = roles.add_parser("add", help="make a Telegram user a therapist")
    add.add_argument("telegram_user_id", type=int, help="numeric Telegram user id")
    add.add_argument("--name", help="name shown to couples (default: their Telegram name)")
    add.set_defaults(func=cmd_therapist_add)
    roles.add_parser("list", help="list therapists").set_defaults(func=cmd_therapist_list)
    remove = roles.add_parser("remove", help="revoke the therapist role")
    remove.add_argument("telegram_user_id", type=int, help="numeric Telegram user id")
    remove.set_defaults(func=cmd_therapist_remove)

    audit_cmd = commands.add_parser("audit", help="show who looked at or changed what")
    audit_cmd.add_argument(
        "--limit", type=int, default=50, help="how many of the newest entries (default 50)"
    )
    audit_cmd.set_defaults(func=cmd_audit)

    cli_exercises.register(commands)
    _register_keys(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `twofold` console script and of `python -m bot`."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CommandError as exc:
        print(f"twofold: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return code
