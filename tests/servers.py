"""The project served as a deployment serves it: gunicorn in its own process, on the test database."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

import pytest


def free_port() -> int:
    """A port nothing listens on, as a moment ago (for an address that must refuse connections)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict, host: str | None = None, port: int | None = None) -> str:
    """The PostgreSQL test database as a DATABASE_URL, optionally reached through another host and port."""
    db = settings_dict
    host = host or db["HOST"] or "127.0.0.1"
    port = port or db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


def start_gunicorn(database_url: str, **env) -> tuple[subprocess.Popen, int]:
    """gunicorn (one sync worker, as docker-compose.yml runs it) with the test settings: (process, port).

    It binds port 0 and its log says which port the system gave it: no free port picked here that another process
    (another pytest-xdist worker's server) could take before gunicorn binds it. The log goes to a file, not a
    pipe nobody reads (a pipe that fills would stall the server); a server that does not come up fails the test
    with the end of that log."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 -- the server writes to it for as long as it runs
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "coalgov.wsgi", "-b", "127.0.0.1:0", "-w", "1", "--log-level", "info"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "coalgov.settings_test", "DATABASE_URL": database_url, **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 30
    while True:
        # pread, not seek and read: the file offset is shared with gunicorn, which writes at it.
        output = os.pread(log.fileno(), 1 << 20, 0).decode(errors="replace")
        if listening := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", output):
            port = int(listening[1])
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return process, port
            except OSError:
                pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"gunicorn did not start: {output[-2000:]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)
