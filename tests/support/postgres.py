"""A throwaway PostgreSQL server that a test can stop and start again (Debian's packages, as
``tools/test_postgres.sh`` uses them): what a database outage looks like to the app.

As root the server runs as the ``postgres`` user (PostgreSQL refuses root). Tests skip when no PostgreSQL is
installed. Made for the resilience suite too: ``stop()`` and ``start()`` any number of times.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """A PostgreSQL server in a temporary folder, on 127.0.0.1, trusting local connections."""

    def __init__(self):
        binaries = _binaries()
        if binaries is None:
            pytest.skip("PostgreSQL is not installed (Debian's postgresql package)")
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="welfarepoint-outage-pg."))
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres")
        self.port = _free_port()
        self._run("initdb", "-D", str(self.folder / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")  # fmt: skip
        self.start()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.binaries / program), *args]
        if self.as_root:
            command = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{part}'" for part in command)]
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder)

    @property
    def url(self) -> str:
        """The address of the server's ``postgres`` database, for SQLAlchemy."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"), "-w",
                  "-o", options, "start")  # fmt: skip

    def stop(self) -> None:
        """Stop the server at once, as a crash or a restart would (open connections are cut)."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs, and remove its folder."""
        subprocess.run(
            [
                "su",
                "postgres",
                "-s",
                "/bin/sh",
                "-c",
                f"'{self.binaries}/pg_ctl' -D '{self.folder}/data' -m immediate stop",
            ]
            if self.as_root
            else [str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)
