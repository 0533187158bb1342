"""The `twofold` command line (also `python -m bot`): one module per command family.

`commands.py` builds the parser and runs `run`, `migrate`, `therapist`, `health`;
`exercises.py`, `keys.py`, `audit.py` and `backup.py` add their subcommands. This file
stays light, so that importing one command family (the exercise tools, say) does not
load Telegram or the database.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the command line (the `twofold` entry point)."""
    from bot.cli.commands import main as run

    return run(argv)
