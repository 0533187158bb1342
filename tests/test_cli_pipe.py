"""`twofold exercises list | head`: a reader that leaves early is no error and no traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.test_cli import TWOFOLD


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line: every write fails
    try:
        result = subprocess.run(  # noqa: S603
            [str(TWOFOLD), "exercises", "list"],
            cwd=tmp_path,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)

    assert result.stderr == ""
    assert result.returncode == 141  # 128 + SIGPIPE, as the shell reports a closed pipe
