"""The `twofold` command: run the bot, migrate, manage therapists, inspect the library."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.error import InvalidToken, NetworkError

from bot import __version__, heartbeat
from bot.cli import audit as cli_audit
from bot.cli import backup as cli_backup
from bot.cli import exercises as cli_exercises
from bot.cli import key_guard as cli_key_guard
from bot.cli import keys as cli_keys
from bot.cli.common import EXIT_USAGE, CommandError, load_settings, with_session
from bot.config import ConfigError, Settings
from bot.db import migrate
from bot.db.models import Therapist
from bot.library import LibraryError
from bot.logs import configure_logging
from bot.services import audit, therapists

if TYPE_CHECKING:
    from bot.context import TwofoldApp

logger = logging.getLogger("bot")


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

    settings = load_settings()
    _token(settings)
    configure_logging(settings.log_level, _secrets(settings))
    try:
        library = load_exercises(settings)
    except LibraryError as exc:
        problems = "\n".join(f"  {problem}" for problem in exc.problems)
        raise CommandError(f"the built-in exercise library is broken:\n{problems}") from None
    revision = _migrate(settings)
    logger.info("database schema at revision %s", revision)
    cli_key_guard.check_keys_at_startup(settings)  # before a key file could be created
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


# Start-up asks Telegram who the bot is; a 502 or a dropped connection then is usually
# gone seconds later, so it is tried again with backoff (1, 2, 4, 8 s) before giving up.
STARTUP_ATTEMPTS = 5


async def _check_telegram(
    app: TwofoldApp,
    *,
    attempts: int = STARTUP_ATTEMPTS,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Ask Telegram once it answers (bounded retries for transient errors, each logged)."""
    try:
        for attempt in range(1, attempts + 1):
            try:
                await app.bot.initialize()  # asks getMe
                return
            except InvalidToken:
                raise
            except NetworkError as exc:  # TimedOut and 5xx answers are NetworkErrors too
                if attempt == attempts:
                    raise
                delay = 2.0 ** (attempt - 1)
                logger.warning(
                    "Telegram did not answer at start-up (%s); trying again in %.0f s (%d/%d)",
                    exc.message,
                    delay,
                    attempt,
                    attempts - 1,
                )
                await sleep(delay)
    finally:
        await app.bot.shutdown()


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
    password = make_url(settings.database_url).password  # DATABASE_PASSWORD ends up here
    if password and len(str(password)) >= 8:  # a short one would blank out common words
        secrets.append(str(password))
    return secrets


def cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade the schema to the newest revision and report it."""
    settings = load_settings()
    revision = _migrate(settings)
    print(f"database schema at revision {revision} (head {migrate.head_revision()})")
    return 0


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

    therapist = with_session(grant)
    label = f" ({therapist.name})" if therapist.name else ""
    print(f"therapist {args.telegram_user_id}{label} added")
    return 0


def cmd_therapist_list(args: argparse.Namespace) -> int:
    """List the therapists."""
    rows = with_session(lambda session: therapists.list_active(session=session))
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

    removed = with_session(revoke)
    if not removed:
        raise CommandError(f"{args.telegram_user_id} is not a therapist")
    print(f"therapist {args.telegram_user_id} removed")
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the running bot refreshed its heartbeat recently (container health check)."""
    settings = load_settings()
    if heartbeat.is_fresh(settings.heartbeat_file, datetime.now(UTC)):
        return 0
    print(f"unhealthy: no recent heartbeat in {settings.heartbeat_file}", file=sys.stderr)
    return 1


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

    cli_audit.register(commands)
    cli_exercises.register(commands)
    cli_keys.register(commands)
    cli_backup.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `twofold` console script and of `python -m bot`."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except CommandError as exc:
        print(f"twofold: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `twofold exercises list | head`: the reader has gone, which is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return code
