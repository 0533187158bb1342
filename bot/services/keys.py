"""Key rotation and checks for the encrypted columns (`twofold keys rotate|check`).

Which columns hold ciphertext is read from the table metadata (every LargeBinary
column named `*_ct`), so a column added later is rotated and checked without
anyone remembering to list it here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, LargeBinary, MetaData, Table, update
from sqlmodel import SQLModel, select

from bot.db.engine import Database
from bot.services.crypto import Box, EncryptionKeyError

BATCH = 200


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    table: Table
    column: Column[bytes]

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    @property
    def key(self) -> Column[object]:
        """The single-column primary key batches are ordered and resumed by."""
        primary = list(self.table.primary_key.columns)
        if len(primary) != 1:
            raise ValueError(f"{self.table.name}: key rotation needs a one-column primary key")
        return primary[0]


def encrypted_columns(metadata: MetaData | None = None) -> list[EncryptedColumn]:
    """Every column that stores Fernet tokens, in a stable order."""
    metadata = metadata or SQLModel.metadata
    return [
        EncryptedColumn(table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, LargeBinary) and column.name.endswith("_ct")
    ]


@dataclass
class ColumnReport:
    rows: int = 0  # non-empty values seen
    rotated: int = 0  # re-encrypted under the new key
    current: int = 0  # already under the newest key (a re-run after an interruption)
    unreadable: int = 0  # no configured key opens it


@dataclass
class KeysReport:
    columns: dict[str, ColumnReport] = field(default_factory=dict)

    @property
    def unreadable(self) -> int:
        return sum(c.unreadable for c in self.columns.values())

    @property
    def rows(self) -> int:
        return sum(c.rows for c in self.columns.values())


def new_key() -> bytes:
    return Fernet.generate_key()


def under_key(token: bytes, key: bytes) -> bool:
    """Was `token` encrypted with `key`?"""
    try:
        Fernet(key).decrypt(token)
    except InvalidToken:
        return False
    return True


async def rotate(*, database: Database, box: Box, batch: int = BATCH) -> KeysReport:
    """Re-encrypt every stored token under `box`'s first key.

    One transaction per batch: an interruption loses at most one batch of work and
    leaves every value readable (MultiFernet opens tokens under any of its keys), so
    running again simply finishes the job. An unreadable token is counted and left
    alone rather than aborting: rotation must never destroy data it cannot read.
    """
    report = KeysReport()
    newest = box.keys[0]
    for target in encrypted_columns():
        counts = report.columns.setdefault(target.name, ColumnReport())
        last: object = None
        while True:
            async with database.session() as session:
                query = select(target.key, target.column).where(target.column.is_not(None))
                if last is not None:
                    query = query.where(target.key > last)
                rows = (await session.exec(query.order_by(target.key).limit(batch))).all()
                for key, token in rows:
                    counts.rows += 1
                    if under_key(token, newest):
                        counts.current += 1
                        continue
                    try:
                        fresh = box.rotate(token)
                    except InvalidToken:
                        counts.unreadable += 1
                        continue
                    await session.exec(
                        update(target.table).where(target.key == key).values({target.column: fresh})
                    )
                    counts.rotated += 1
            if len(rows) < batch:
                break
            last = rows[-1][0]
    return report


async def check(
    *, database: Database, box: Box, sample: int = 100, newest: bool = False
) -> KeysReport:
    """Try to open up to `sample` values per column (oldest or newest); count the current."""
    report = KeysReport()
    first_key = box.keys[0]
    async with database.session() as session:
        for target in encrypted_columns():
            counts = report.columns.setdefault(target.name, ColumnReport())
            query = select(target.column).where(target.column.is_not(None))
            order = target.key.desc() if newest else target.key
            tokens = (await session.exec(query.order_by(order).limit(sample))).all()
            for token in tokens:
                counts.rows += 1
                if under_key(token, first_key):
                    counts.current += 1
                    continue
                try:
                    box.decrypt(token)
                except EncryptionKeyError:
                    counts.unreadable += 1
    return report
