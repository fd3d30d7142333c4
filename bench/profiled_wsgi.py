"""The application with a CPU-clock profile of every phone submission, for `bench_submissions.py --profile`.

Run by gunicorn with one worker and one thread (cProfile sees only the thread it was started in). Every
other `POST /api/v1/inspections/` after the first WARM_UP is profiled on the thread's CPU clock (BENCH_PROFILE, pstats);
of the others, the thread's CPU time and that of the worker's PostgreSQL backend (read from the kernel, on the same
machine) are added up and written to BENCH_PROFILE.txt per submission.
"""

import cProfile
import os
import time
from pathlib import Path

from django.db import connection

from coalgov.wsgi import application as django_application

OUT = Path(os.environ["BENCH_PROFILE"])
PATH = "/api/v1/inspections/"
profile = cProfile.Profile(time.thread_time)
totals = {"requests": 0, "python": 0.0, "postgres": 0.0, "wall": 0.0}
WARM_UP = 20  # the worker's first submissions fill its caches (ContentTypes, compiled queries): not counted
seen = 0


def backend_cpu() -> tuple[int, float]:
    """This worker's PostgreSQL backend and its CPU seconds so far ((0, 0) before it has connected)."""
    if connection.connection is None or connection.vendor != "postgresql":
        return 0, 0.0
    pid = connection.connection.info.backend_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def application(environ, start_response):
    global seen
    if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
        return django_application(environ, start_response)
    seen += 1
    if seen <= WARM_UP:
        return django_application(environ, start_response)
    # Every other submission is profiled; the others are only timed, so their figures are the code's own,
    # without the profiler's overhead.
    profiled = seen % 2 == 0
    postgres, python, wall = backend_cpu(), time.thread_time(), time.perf_counter()
    if profiled:
        profile.enable()
    try:
        return list(django_application(environ, start_response))
    finally:
        if profiled:
            profile.disable()
        python, wall = time.thread_time() - python, time.perf_counter() - wall
        # A request that connected anew (the connection's age ran out): its backend's CPU is not known.
        after = backend_cpu()
        if not profiled and after[0] == postgres[0]:
            totals["requests"] += 1
            totals["python"] += python
            totals["postgres"] += after[1] - postgres[1]
            totals["wall"] += wall
        if profiled and seen % 20 == 0:
            profile.dump_stats(OUT)
            n = max(totals["requests"], 1)
            OUT.with_suffix(".txt").write_text(
                f"{seen - WARM_UP} submissions, half profiled ({(seen - WARM_UP) // 2}); the other {n}: per submission "
                f"{1000 * totals['python'] / n:.2f} ms Python CPU, {1000 * totals['postgres'] / n:.2f} ms PostgreSQL "
                f"CPU, {1000 * totals['wall'] / n:.2f} ms wall\n"
            )
