"""The instance's search process: the index, its caches and matching's offers, kept once for all its workers.

A worker that searched itself held NumPy, Whoosh and every cache of the index, and matching's offers of every
published listing: 126 MB at its peak on 10,000 listings, 209 MB on 100,000, in each worker. Run as
``flask search serve`` beside gunicorn (``SEARCH_SERVICE_SOCKET`` naming the same socket for both), one process
of the instance holds them, and its workers ask it over a Unix socket; a worker then imports neither Whoosh nor
NumPy (``tests/test_search_service.py`` checks it).

The protocol: one connection per question. The worker sends the length (4 bytes, big-endian) of a pickle of
``(operation, args, kwargs)``; the answer is framed the same way, a pickle of ``("ok", value)`` or
``("error", message)``. Pickle is safe here only because the socket is the instance's own: it is created
readable and writable by its owner alone, so only processes of the app's own user can connect.

The search process answers one question at a time, in the order they come: a search answered from its caches
takes a fraction of a millisecond, and the index is written by one process of the instance, this one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import socket
import socketserver
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)

HEADER = struct.Struct(">I")
#: A question not answered within this many seconds is given up (the worker then does the work itself).
TIMEOUT_SECONDS = 20.0
#: Questions waiting for the search process (the listen backlog): more than a host's workers ever ask at once.
BACKLOG = 128

#: True in the search process itself: its front door does the work here, never asks itself.
serving = False


class Unreachable(OSError):
    """Nothing answers on the socket (the search process is not running, or did not answer in time)."""


class Failed(RuntimeError):
    """The search process answered with an error."""


def operation(name: str) -> Callable[..., Any]:
    """The function that does ``name`` in this process (imported only when first needed)."""
    if name == "match":
        from welfarepoint.matching import runner

        return runner.match_here
    from welfarepoint.search import local

    return {
        "query": local.query,
        "generation": local.generation,
        "committed": local.listings_committed,
    }[name]


def _receive(connection: socket.socket) -> Any:
    header = _read_exactly(connection, HEADER.size)
    return pickle.loads(_read_exactly(connection, HEADER.unpack(header)[0]))


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(connection: socket.socket, value: Any) -> None:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    connection.sendall(HEADER.pack(len(body)) + body)


def call(path: str, name: str, *args: Any, **kwargs: Any) -> Any:
    """Ask the search process listening on ``path`` to do ``name``; its answer, or :class:`Unreachable`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(TIMEOUT_SECONDS)
        try:
            connection.connect(path)
            _send(connection, (name, args, kwargs))
            status, value = _receive(connection)
        except (OSError, EOFError) as error:  # refused, no socket, timed out, closed half-way
            raise Unreachable(f"search process at {path}: {error}") from error
    if status != "ok":
        raise Failed(value)
    return value


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        try:
            name, args, kwargs = _receive(self.request)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):
            return  # a client gone or not speaking the protocol: nothing to answer
        try:
            with self.server.app.app_context():
                answer = ("ok", operation(name)(*args, **kwargs))
        except Exception as error:
            log.exception("search process: %s failed", name)
            answer = ("error", f"{type(error).__name__}: {error}")
        with contextlib.suppress(OSError):  # the worker gave up waiting
            _send(self.request, answer)


class _Server(socketserver.UnixStreamServer):
    request_queue_size = BACKLOG

    def __init__(self, path: str, app: Flask):
        self.app = app
        super().__init__(path, _Handler)


def serve(app: Flask, path: str | None = None) -> None:
    """Keep the index of ``app`` in step and answer its workers on ``path`` until SIGTERM or SIGINT."""
    global serving
    serving = True
    path = path or app.config.get("SEARCH_SERVICE_SOCKET") or str(Path(app.instance_path) / "search.sock")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if os.path.exists(path):
        try:
            call(path, "generation")
        except Unreachable:
            os.unlink(path)  # left by a search process that is gone
        else:
            raise RuntimeError(f"a search process already answers on {path}")
    from welfarepoint.search import local

    with app.app_context():
        log.info("search process: index %s", local.ensure_index())
        local.generation()  # open the searcher before the first question
    previous = os.umask(0o077)  # the socket: its owner only
    try:
        server = _Server(path, app)
    finally:
        os.umask(previous)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("search process answering on %s", path)
    print(f"search process answering on {path}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        Path(path).unlink(missing_ok=True)
