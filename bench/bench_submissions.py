"""Phone submissions at city scale: POST /api/v1/inspections/ over HTTP, against gunicorn started as the
deployment starts it, driven by wrk (Debian package `wrk`) with the phone's own request for a visit with a
seizure and no photo (static/js/field/queue.js): JSON (`--multipart`: the multipart form the phone sends when it
has photos, without them), signed in with a session and its CSRF token.

Run against a PostgreSQL database of its own (it adds households and visits and never deletes them):

    createdb -h 127.0.0.1 -U postgres coalgov_bench_visits
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov_bench_visits \\
        .venv/bin/python bench/bench_submissions.py --households 1000000 --visits 5000000

Fills the register and the visits first (bench_households.py's and bench_fieldwork.py's generators), then
for `--seconds` each, in one run: /healthz, and the submissions of 32 phones (`--connections`) spread over
`--communities` communities. Prints visits/s, latency percentiles, the ratio to /healthz and the load
average, then checks every client_uuid the server acknowledged against the table: 0 lost, 0 doubled.
`--slow N` adds N phones that upload their bodies a few bytes at a time while /healthz is measured, to show
the worker class tolerating slow clients. `--profile FILE` serves one worker and thread through
bench/profiled_wsgi.py instead: a CPU-clock cProfile of the submissions and their CPU per request.

It refuses a database with users other than the generators' (bench_…): it never runs beside live traffic.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The server runs the production settings (DEBUG off); the bench signs its phone in with the same key.
os.environ["DJANGO_SETTINGS_MODULE"] = "coalgov.settings"
os.environ["SECRET_KEY"] = "bench-only-secret-key-" + "x" * 40
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_COOKIES", "false")  # plain HTTP on the loopback

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.middleware.csrf import _get_new_csrf_string  # noqa: E402

from divisions.models import Division, Level, Membership  # noqa: E402
from households.models import Household  # noqa: E402
from inspections.models import Inspection  # noqa: E402

# The deployment's command (Dockerfile / docker-compose.yml), with the bench's port.
WORKER_CLASS = "gthread"
WORKERS = 2
THREADS = 4
NGINX_CONF = ROOT / "deploy" / "nginx.conf"

LUA = r"""
-- One phone per wrk connection: each request a new visit, with a client_uuid of this run.
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  acks = io.open("ACKFILE", "a")
  households = {}
  for h in string.gmatch(args[1], "[^,]+") do households[#households + 1] = h end
end
local boundary = "----phone7MA4YWxkTrZu0gW"
local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end
function request()
  counter = counter + 1
  local client_uuid = string.format("RUNPREFIX-%04x-4000-8000-%012x", id, counter)
  local household = households[(counter % #households) + 1]
  local body, content_type
  if MULTIPART then
    body = part("client_uuid", client_uuid) .. part("household", household) .. part("kind", "survey")
      .. part("outcome", "loose_coal") .. part("started_at", "") .. part("notes", "")
      .. part("latitude", "34.7466") .. part("longitude", "113.6253")
      .. part("seizures", '[{"item":"briquette","quantity":"50","method":"confiscated"}]')
      .. part("seizure_count", "1") .. part("photo_count", "0") .. "--" .. boundary .. "--\r\n"
    content_type = "multipart/form-data; boundary=" .. boundary
  else
    body = '{"client_uuid":"' .. client_uuid .. '","household":"' .. household .. '","kind":"survey",'
      .. '"outcome":"loose_coal","latitude":"34.7466","longitude":"113.6253",'
      .. '"seizures":[{"item":"briquette","quantity":"50","method":"confiscated"}],'
      .. '"seizure_count":1,"photo_count":0}'
    content_type = "application/json"
  end
  return wrk.format("POST", "/api/v1/inspections/", {
    ["Content-Type"] = content_type,
    ["Cookie"] = "COOKIES",
    ["X-CSRFToken"] = "CSRFTOKEN",
    ["Referer"] = "http://127.0.0.1:PORT/field/",
    ["Accept"] = "application/json",
    ["Prefer"] = "return=minimal",
  }, body)
end
-- Each answer's uuid, written at once (one line, flushed): the bench checks every one against the table.
function response(status, headers, body)
  if status == 201 or status == 200 then
    acks:write((string.match(body, '"client_uuid":"([^"]+)"') or "unreadable"), "\n")
  else
    acks:write("status_", status, "\n")
  end
  acks:flush()
end
function done(summary, latency, requests)
  io.write(string.format("p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def prepare(households: int, visits: int) -> None:
    call_command("migrate", verbosity=0)
    if not Division.objects.exists():
        call_command("load_divisions", verbosity=0)
        call_command("load_stations", verbosity=0)
    from bench_fieldwork import populate as populate_visits  # after django.setup()
    from bench_households import populate as populate_households

    populate_households(households)
    populate_visits(visits, households)


def signed_in_phone(username: str, unit: Division) -> tuple[str, str]:
    """A session for an inspector of `unit`, as the phone page has after signing in, and its CSRF token."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        Membership.objects.create(user=user, division=unit, role="inspector")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    token = _get_new_csrf_string()
    cookies = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={token}"
    return cookies, token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(
    port: int, worker_class: str, workers: int, threads: int, code: Path, profile: Path | None = None
) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "false"}
    if profile is not None:
        env["BENCH_PROFILE"] = str(profile)
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "bench.profiled_wsgi:application" if profile is not None else "coalgov.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--limit-request-line",
        "8190",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=code, env=env)
    # The master listens at once; wait until a worker has loaded the app and answers.
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?live", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start")


def start_nginx(folder: Path, listen: int, upstream: int) -> subprocess.Popen:
    """deploy/nginx.conf as docker-compose.yml runs it, with the bench's ports and temporary directories."""
    conf = (
        NGINX_CONF.read_text()
        .replace("server web:8000;", f"server 127.0.0.1:{upstream};")
        .replace("listen 8080;", f"listen 127.0.0.1:{listen};")
        .replace("/tmp/", f"{folder}/")
    )
    path = folder / "nginx.conf"
    path.write_text(conf)
    proxy = subprocess.Popen(["nginx", "-c", str(path), "-e", str(folder / "nginx-error.log"), "-g", "daemon off;"])
    for _ in range(50):
        try:
            with socket.create_connection(("127.0.0.1", listen), timeout=0.2):
                return proxy
        except OSError:
            time.sleep(0.1)
    proxy.kill()
    sys.exit("nginx did not start")


def wrk(url: str, seconds: int, connections: int, script: Path | None = None, args: str = "") -> tuple[float, str]:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script)]
    command += [url]
    if args:
        command += ["--", args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(next(line.split()[1] for line in output.splitlines() if line.startswith("Requests/sec")))
    if not rate:
        sys.exit(f"no answers from {url}:\n{output}")
    return rate, output


def slow_uploads(port: int, phones: int, stop: threading.Event, cookies: str, token: str) -> None:
    """Phones on a poor network: each sends its headers, then its body a few bytes a second."""
    body = b"x" * 2000

    def phone():
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                    head = (
                        f"POST /api/v1/inspections/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookies}\r\n"
                        f"X-CSRFToken: {token}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    )
                    sock.sendall(head.encode())
                    for start in range(0, len(body), 20):
                        if stop.is_set():
                            return
                        sock.sendall(body[start : start + 20])
                        time.sleep(0.5)
            except OSError:
                time.sleep(0.5)

    for _ in range(phones):
        threading.Thread(target=phone, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=5_000_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--communities", type=int, default=8, help="communities the phones' households are in")
    parser.add_argument("--worker-class", default=WORKER_CLASS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--slow", type=int, default=0, help="slow-uploading phones beside /healthz")
    parser.add_argument("--no-proxy", action="store_true", help="talk to gunicorn directly, without nginx")
    parser.add_argument("--code", type=Path, default=ROOT, help="serve another export of the code (a before/after)")
    parser.add_argument(
        "--multipart", action="store_true", help="send each visit as a multipart form, as the phone does with photos"
    )
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        help="write a CPU-clock cProfile of the submissions here, and their Python and PostgreSQL CPU per request "
        "beside it (one worker, one thread: bench/profiled_wsgi.py)",
    )
    args = parser.parse_args()
    if args.profile is not None:
        args.workers = args.threads = 1
        args.profile = args.profile.resolve()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own.")
    # It adds visits, a user and a session, and never removes them: beside live traffic it would write made-up
    # visits into a real register. A database with anyone but the generators' users in it is refused.
    # (A new database, created as the docstring says, has no tables yet: nothing to refuse.)
    fresh = get_user_model()._meta.db_table not in connection.introspection.table_names()
    people = get_user_model().objects.exclude(username__startswith="bench_")
    if not fresh and people.exists():
        sys.exit(
            f"This database has users of its own ({people.count()}): the bench writes visits it would keep. "
            "Give it a database of its own (createdb …) instead."
        )
    sys.path.insert(0, str(ROOT / "bench"))
    prepare(args.households, args.visits)
    if args.prepare_only:
        return

    communities = list(Division.objects.filter(level=Level.COMMUNITY).order_by("code")[: args.communities])
    subdistrict = communities[0].parent
    communities = [c for c in communities if c.parent_id == subdistrict.pk]
    homes = [
        str(pk)
        for c in communities
        for pk in Household.objects.filter(division=c, voided_at__isnull=True).values_list("pk", flat=True)[:40]
    ]
    cookies, token = signed_in_phone("bench_phone", subdistrict)
    run = uuid.uuid4().hex[:8]
    port = upstream = free_port()
    if not args.no_proxy:
        port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="bench_submissions_"))
    acks = folder / "acked.txt"
    script = folder / "phone.lua"
    script.write_text(
        LUA.replace("RUNPREFIX", run)
        .replace("COOKIES", cookies)
        .replace("CSRFTOKEN", token)
        .replace("PORT", str(port))
        .replace("ACKFILE", str(acks))
        .replace("MULTIPART", "true" if args.multipart else "false")
    )
    before = Inspection.objects.count()
    connection.close()
    print(
        f"{Household.objects.count():,} households, {before:,} visits; phones in {len(communities)} communities "
        f"of {subdistrict.name}, {len(homes)} households; gunicorn {args.worker_class} "
        f"{args.workers} workers × {args.threads} threads, {'directly' if args.no_proxy else 'behind nginx'}, "
        f"code: {'this checkout' if args.code == ROOT else args.code.name}; "
        f"{'multipart' if args.multipart else 'JSON'} bodies"
    )
    connection.close()
    server = start_gunicorn(upstream, args.worker_class, args.workers, args.threads, args.code, args.profile)
    proxy = None if args.no_proxy else start_nginx(folder, port, upstream)
    stop = threading.Event()
    try:
        wrk(f"http://127.0.0.1:{port}/healthz", 3, args.connections)  # warm the workers
        if args.slow:
            slow_uploads(port, args.slow, stop, cookies, token)
            time.sleep(2)
        health, _ = wrk(f"http://127.0.0.1:{port}/healthz", args.seconds, args.connections)
        load_health = os.getloadavg()[0]
        stop.set()
        submitted, output = wrk(
            f"http://127.0.0.1:{port}/api/v1/inspections/", args.seconds, args.connections, script, ",".join(homes)
        )
        load_submit = os.getloadavg()[0]
    finally:
        stop.set()
        if proxy is not None:
            proxy.terminate()
            proxy.wait(30)
        server.terminate()
        server.wait(30)
    for line in output.splitlines():
        if line.startswith("  Thread") or "Socket errors" in line or "Non-2xx" in line or line.startswith("p50"):
            print(line)
    lines = acks.read_text().split() if acks.exists() else []
    refused = [line for line in lines if line.startswith("status_")]
    acked = [line for line in lines if line.startswith(run)]
    # This run's visits: its uuids all begin with `run` (uuid order is byte order, served by the unique index).
    of_run = Inspection.objects.filter(
        client_uuid__gte=uuid.UUID(f"{run}-0000-0000-0000-000000000000"),
        client_uuid__lte=uuid.UUID(f"{run}-ffff-ffff-ffff-ffffffffffff"),
    )
    stored = [str(u) for u in of_run.values_list("client_uuid", flat=True).iterator()]
    lost = len(set(acked) - set(stored))
    doubled = (len(acked) - len(set(acked))) + (len(stored) - len(set(stored)))
    stored_run = len(stored)
    print(f"/healthz: {health:,.0f} req/s (load {load_health:.2f}, slow phones: {args.slow})")
    print(
        f"submissions: {submitted:,.0f} visits/s at {args.connections} connections (load {load_submit:.2f}); "
        f"{100 * submitted / health:.1f} % of /healthz"
    )
    print(
        f"acknowledged {len(acked):,} client_uuids, lost {lost}, doubled {doubled}, not 2xx {len(refused)}; "
        f"this run's visits in the table: {stored_run:,}"
    )
    print(json.dumps({"visits_per_s": round(submitted), "healthz_per_s": round(health), "lost": lost}))


if __name__ == "__main__":
    main()
