"""Versioned schema migrations, one SQL file per version, per database dialect.

Files are named ``NNNN_description.sql`` in a folder named after the dialect; a store applies
every file whose number is above the version its database records.
"""

from __future__ import annotations

from importlib import resources

from roomcast.record import record


@record
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """All migrations of ``dialect`` ("sqlite", "postgres"), in version order."""
    folder = resources.files(__package__).joinpath(dialect)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.version)
