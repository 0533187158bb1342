"""Property tests: whatever a person types or taps, every handler answers without crashing,
in valid Telegram HTML within Telegram's limits.

Hypothesis draws commands (every registered one, with random, long, unicode, NUL and
HTML-ish arguments and real ids, ours and other people's), free text in each open step,
`/start` payloads, button data (random, forged from real ids, and the real buttons), edits,
stickers, documents and group messages, from therapists, partners and a stranger
(tests/fuzz_inputs.py). After each update (tests/fuzz_world.py): nothing reached the error
handler or was logged as an error, Telegram (the fake, which validates HTML, entities,
lengths and keyboards) refused nothing, every text passes `check_telegram_html`, and every
button press was answered.

Profiles, chosen with TWOFOLD_FUZZ: "ci" (the default) 10,000 examples, "dev" 500, "soak"
100,000; TWOFOLD_FUZZ_EXAMPLES overrides the count. Runs are seeded (TWOFOLD_FUZZ_SEED:
14 for "ci" and "dev", so every run tries the same examples; a new one each "soak" run):
a failure says its seed and how to rerun it, and Hypothesis prints its blob.

The examples are split between TWOFOLD_FUZZ_SHARDS processes (default: one per core, at
most four), each with a world of its own on SQLite in memory-backed storage; shard k is
rerun alone with TWOFOLD_FUZZ_SHARD=k. PostgreSQL, when configured, gets a twentieth of
the run, in the first process.
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from bot.clock import ManualClock
from tests import dbtemplates, fuzz_world
from tests.fuzz_inputs import ACTIONS, Action
from tests.fuzz_world import World

COMMON = settings(
    deadline=None,
    print_blob=True,
    database=None,  # the world carries over between examples: rerun the whole run instead
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # Each example changes the world, so a shrunk example would meet another world: the
    # first failure is reported as found (its update is in the message).
    phases=[Phase.explicit, Phase.generate],
)
settings.register_profile("ci", COMMON, max_examples=10_000, derandomize=True)
settings.register_profile("dev", COMMON, max_examples=500, derandomize=True)
settings.register_profile("soak", COMMON, max_examples=100_000, derandomize=False)
PROFILE_NAME = os.environ.get("TWOFOLD_FUZZ", "ci")
PROFILE = settings.get_profile(PROFILE_NAME)
if os.environ.get("TWOFOLD_FUZZ_EXAMPLES"):
    PROFILE = settings(PROFILE, max_examples=int(os.environ["TWOFOLD_FUZZ_EXAMPLES"]))
EXAMPLES = (
    f"TWOFOLD_FUZZ_EXAMPLES={PROFILE.max_examples} "
    if "TWOFOLD_FUZZ_EXAMPLES" in os.environ
    else ""
)
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
SHARDS = int(os.environ.get("TWOFOLD_FUZZ_SHARDS") or min(4, CORES or 1))
SHARD = int(os.environ.get("TWOFOLD_FUZZ_SHARD", "0"))
SOAK_SEED = secrets.randbelow(10**6)
SEED = int(os.environ.get("TWOFOLD_FUZZ_SEED") or (14 if PROFILE.derandomize else SOAK_SEED))
ALONE = "TWOFOLD_FUZZ_SHARD" in os.environ  # one shard rerun by hand, or a worker
SQLITE = settings(PROFILE, max_examples=math.ceil(PROFILE.max_examples / SHARDS))
# PostgreSQL costs a round trip per statement, and the handlers are the same.
POSTGRES = settings(PROFILE, max_examples=max(1, PROFILE.max_examples // 20))
SHARD_TIMEOUT = 1800  # seconds; a shard of the ci profile takes a few minutes


class Shards:
    """The other shards' processes, started with the first one."""

    def __init__(self, directory: Path) -> None:
        self.workers: list[tuple[int, Path, subprocess.Popen[bytes]]] = []
        node = f"{Path(__file__).name}::test_every_handler_answers_any_input_validly"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", node]
        for shard in range(1, 1 if ALONE else SHARDS):
            log = directory / f"shard-{shard}.txt"
            env = {
                **os.environ,
                "TWOFOLD_FUZZ_SHARD": str(shard),
                "TWOFOLD_FUZZ_SHARDS": str(SHARDS),
            }
            with log.open("wb") as output:
                worker = subprocess.Popen(  # noqa: S603 - this interpreter, this test
                    command, cwd=Path(__file__).parent, env=env, stdout=output, stderr=output
                )
            self.workers.append((shard, log, worker))

    def failures(self) -> list[str]:
        """Wait for every shard; what each failing one printed last."""
        failed = []
        for shard, log, worker in self.workers:
            try:
                code = worker.wait(timeout=SHARD_TIMEOUT)
            except subprocess.TimeoutExpired:
                worker.kill()
                code = worker.wait()
            if code != 0:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:])
                failed.append(f"fuzz shard {shard} of {SHARDS} failed:\n{tail}")
        self.workers = []
        return failed


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shards]:
    started = Shards(tmp_path_factory.mktemp("fuzz-shards"))
    yield started
    assert started.failures() == []  # when the test that waits for them was deselected


def memory_backed_directory() -> Path:
    """A private temporary folder, in memory-backed storage when the system has it.

    Every commit fsyncs (synchronous=FULL), and the fuzz is about the handlers, not the disk.
    """
    shm = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private (0700) folder in it
    return Path(tempfile.mkdtemp(prefix="twofold-fuzz-", dir=shm if shm.is_dir() else None))


@pytest.fixture
async def sqlite_world(
    sqlite_template: Path, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[World]:
    directory = memory_backed_directory()
    try:
        url = dbtemplates.clone_sqlite(sqlite_template, directory)
        async with fuzz_world.world(url, clock, tmp_path) as world:
            world.note = (
                f"Fuzz shard {SHARD} of {SHARDS}; rerun it alone with TWOFOLD_FUZZ={PROFILE_NAME}"
                f" TWOFOLD_FUZZ_SEED={SEED} TWOFOLD_FUZZ_SHARD={SHARD} TWOFOLD_FUZZ_SHARDS={SHARDS}"
                f" {EXAMPLES}uv run pytest tests/test_properties.py"
            )
            yield world
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@SQLITE
@seed(SEED * 100 + SHARD)
@given(action=ACTIONS)
async def test_every_handler_answers_any_input_validly(
    shards: Shards, sqlite_world: World, action: Action
) -> None:
    await sqlite_world.run(action)


@pytest.fixture
async def postgres_world(
    database_url: str, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[World]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has the full run")
    if ALONE:
        pytest.skip("a shard's process runs SQLite only")
    async with fuzz_world.world(database_url, clock, tmp_path) as world:
        world.note = (
            f"Fuzz on PostgreSQL; rerun it with TWOFOLD_FUZZ={PROFILE_NAME} TWOFOLD_FUZZ_SEED="
            f"{SEED} {EXAMPLES}uv run pytest tests/test_properties.py -k postgres"
        )
        yield world


@POSTGRES
@seed(SEED * 100 + 99)
@given(action=ACTIONS)
async def test_every_handler_answers_any_input_validly_on_postgres(
    postgres_world: World, action: Action
) -> None:
    await postgres_world.run(action)


def test_the_other_fuzz_shards_pass_too(shards: Shards) -> None:
    # Last in this file: the other shards ran while the tests above did.
    assert shards.failures() == []
