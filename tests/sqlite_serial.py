"""One request at a time in the live server, on SQLite only (settings_test).

With an in-memory SQLite database, Django's live server shares the test's one connection with every request
thread; two requests at once (a phone sending its queue from two tabs) used that connection together, and SQLite
answered with errors such as "IntegrityError: not an error" (a 500 in the browser test). PostgreSQL gives each
thread its own connection and is left alone.
"""

import threading

_one_at_a_time = threading.Lock()


def serial_requests(get_response):
    def middleware(request):
        with _one_at_a_time:
            return get_response(request)

    return middleware
