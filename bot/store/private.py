"""Files under VAR_DIR are for this service's user only: folders 0700, files 0600.

`restrict()` sets the process umask to 077, so every file and folder a process (and the
processes it starts) creates afterwards is private: SQLite's -wal/-shm files, logs, the spool,
nginx's temporary files. The helpers below also fix the mode of what already exists, for files
made before this rule (or by a tool with another umask).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

UMASK = 0o077
DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def restrict() -> None:
    os.umask(UMASK)


def directory(path: Path) -> Path:
    """Create (or fix) a private folder."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    with contextlib.suppress(PermissionError):
        path.chmod(DIRECTORY_MODE)
    return path


def file(path: Path) -> Path:
    """Create (empty) or fix a private file, before anything else opens it."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    with contextlib.suppress(PermissionError):
        path.chmod(FILE_MODE)
    return path


def write_bytes(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(FILE_MODE)


def sqlite_files(database: Path) -> None:
    """A SQLite database and its companions (-wal, -shm, -journal): private, created if needed.

    SQLite gives -wal and -shm the mode of the database file, so fixing that file first covers
    the ones SQLite makes later.
    """
    database = Path(database)
    directory(database.parent)
    file(database)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            with contextlib.suppress(PermissionError, FileNotFoundError):
                companion.chmod(FILE_MODE)


def var_tree(var_dir: Path) -> None:
    """VAR_DIR itself 0700, and everything already in it private."""
    var_dir = directory(Path(var_dir))
    for root, folders, files in os.walk(var_dir):
        for name in folders:
            with contextlib.suppress(PermissionError, FileNotFoundError):
                os.chmod(os.path.join(root, name), DIRECTORY_MODE)
        for name in files:
            target = os.path.join(root, name)
            if os.path.islink(target):
                continue
            with contextlib.suppress(PermissionError, FileNotFoundError):
                os.chmod(target, FILE_MODE)
