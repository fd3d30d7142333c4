"""The project served as a deployment serves it: gunicorn in its own process, on the test database."""

import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest


def free_port() -> int:
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

    Its log goes to a file, not a pipe nobody reads (a pipe that fills would stall the server); a server that
    does not come up fails the test with the end of that log."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 -- the server writes to it for as long as it runs
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "coalgov.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "coalgov.settings_test", "DATABASE_URL": database_url, **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                pytest.fail(f"gunicorn did not start: {log.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)
