"""A search index folder whose disk can be made full, for real: what a failed index write looks like.

As root, the folder is a small tmpfs of its own and "full" is a file filling it (writes then fail with ENOSPC;
root is not stopped by permissions). As any other user, "full" is the folder and its files made read-only
(writes fail with EACCES). Either way the process under test gets an ``OSError`` from the kernel, as it would
on a production disk. Made for the resilience suite too: ``fill()`` and ``free()`` can be called any number of
times while a server runs on the folder.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest


class IndexDisk:
    """The disk of one ``SEARCH_INDEX_DIR``: ``fill()`` makes its writes fail, ``free()`` lets them succeed."""

    def __init__(self, folder: Path, size_mb: int = 64):
        self.folder = Path(folder)
        self.as_root = os.geteuid() == 0
        self.mounted = False
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            if any(self.folder.iterdir()):
                raise ValueError(f"{self.folder} must be empty to be mounted on")
            mounted = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(self.folder)],
                capture_output=True,
                text=True,
            )
            if mounted.returncode != 0:
                pytest.skip(f"cannot mount a small tmpfs as root here: {mounted.stderr.strip()}")
            self.mounted = True

    @property
    def filler(self) -> Path:
        return self.folder / "filler"

    def fill(self) -> None:
        """Make every write into the folder fail: no space left (root), or no permission (any other user)."""
        if self.as_root:
            descriptor = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                for block in (1 << 20, 4096):  # megabytes, then the last pages tmpfs hands out
                    try:
                        while True:
                            os.write(descriptor, b"\0" * block)
                    except OSError:
                        pass
            finally:
                os.close(descriptor)
        else:
            for path in [self.folder, *self.folder.rglob("*")]:
                if not path.is_symlink():
                    mode = path.stat().st_mode
                    path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))

    def free(self) -> None:
        """Let writes succeed again."""
        if self.as_root:
            self.filler.unlink(missing_ok=True)
        else:
            for path in [self.folder, *self.folder.rglob("*")]:
                if not path.is_symlink():
                    path.chmod(path.stat().st_mode | stat.S_IWUSR)

    def close(self) -> None:
        """Free the disk and unmount it (its files go with it)."""
        self.free()
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], check=False)
            self.mounted = False
        shutil.rmtree(self.folder, ignore_errors=True)
