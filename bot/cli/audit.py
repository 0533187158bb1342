"""The `twofold audit` subcommand: print who looked at or changed what."""

from __future__ import annotations

import argparse
from datetime import UTC

from bot.cli.common import with_session
from bot.services import audit

__all__ = ["cmd_audit", "register"]


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the audit log: who did what, whose, when (newest last)."""
    entries = with_session(lambda session: audit.recent(session=session, limit=args.limit))
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


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `audit` to the `twofold` subcommands."""
    audit_cmd = commands.add_parser("audit", help="show who looked at or changed what")
    audit_cmd.add_argument(
        "--limit", type=int, default=50, help="how many of the newest entries (default 50)"
    )
    audit_cmd.set_defaults(func=cmd_audit)
