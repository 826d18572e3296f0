"""Append-only JSON Lines files (the feedback log, the audit log of deletes and restores) that stay
whole when several threads, API worker processes or machines on a shared volume append at once."""

from __future__ import annotations

import os
from pathlib import Path

from filelock import FileLock


def append_line(path: Path, line: str) -> None:
    """Append `line` and a newline as ONE write(2) on an O_APPEND descriptor, under a file lock.

    O_APPEND makes the kernel place each write at the current end, so two processes never
    overwrite each other; one write per line means a line is never split around another's (a
    buffered text file may flush a long line in pieces). The lock covers file systems where
    O_APPEND is not atomic (NFS, a volume shared by several machines)."""
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, data)
            while written < len(data):  # a short write (a full disk, a signal): finish the line
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)
