"""Backup and restore of a SQLite database with SQLite's online backup API (consistent while in use).

PostgreSQL is backed up with its own tools (pg_dump / pg_restore); see README.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore that cannot be done safely (the message says why)."""


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise BackupError("only a SQLite file database can be backed up this way; use pg_dump for PostgreSQL")
    return Path(parsed.database)


def _check(path: Path) -> None:
    """A readable SQLite file that holds this application's schema."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(f"{path} is damaged")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc})") from exc
    if not {"alembic_version", "users"} <= tables:
        raise BackupError(f"{path} is not a Kỹ năng số database")


def _copy(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)
    # Context managers commit but do not close sqlite3 connections.
    source.close()
    target.close()


def backup(url: str, dest: Path) -> Path:
    """Copy the live database to `dest` (a new file)."""
    src = sqlite_path(url)
    if not src.exists():
        raise BackupError(f"{src} does not exist")
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _copy(src, dest)
    _check(dest)
    return dest


def has_data(url: str) -> bool:
    path = sqlite_path(url)
    if not path.exists():
        return False
    with sqlite3.connect(path) as conn:
        try:
            n = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        except sqlite3.DatabaseError:
            n = 0
    conn.close()
    return bool(n)


def restore(url: str, source: Path, force: bool = False) -> Path:
    """Replace the database at `url` with the backup at `source` (checked first).

    Stop the tutor before restoring. A database that holds learners is only overwritten with force.
    """
    target = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    _check(source)
    if has_data(url) and not force:
        raise BackupError(f"{target} holds data; add --force to replace it with the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target)
    return target
