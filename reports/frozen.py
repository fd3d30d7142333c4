"""A published week's ranking made once: its page's tables and its downloads kept in the cache, so showing or
downloading the week again is a lookup (docs/ranking.md, "At city scale").

A published week never changes: its rows are frozen and only withdrawn, never edited, and publishing the week
again makes a new `RankingWeek`. So what is kept is keyed by the publication itself (its id and the moment it
was published, which a database restored or rebuilt never gives to another publication) and needs no
invalidation: a withdrawn publication is never looked up again, a new one has a new key. The key also holds the
language (the page's tables are translated) and FORMAT, raised whenever the code changes what a table or a
file holds, so nothing made by the code before is served after it.

Only the callers decide who may see a week: nothing here knows the user, and the callers look up only after
the district has been checked against the user's memberships.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from django.core.cache import cache
from django.utils.translation import get_language
from redis.exceptions import RedisError

from .models import RankingWeek

FORMAT = 3  # 2: the files are dated as published; 3: the page's tables do not wrap (phones)
KEEP_SECONDS = 14 * 24 * 3600  # a week is read mostly in the days after it is published; made again after


def frozen_key(week: RankingWeek, what: str) -> str:
    published = f"{week.published_at.timestamp():.6f}"
    return f"ranking-frozen:{FORMAT}:{week.district_id}:{week.week_start}:{week.pk}:{published}:{what}:{get_language()}"


def frozen(week: RankingWeek, what: str, make: Callable[[], bytes | str]) -> bytes | str:
    """What `make()` answers for the published `week`, made the first time and then read from the cache. A
    cache that fails (Redis down) costs the time of making it, never the answer."""
    key = frozen_key(week, what)
    try:
        kept = cache.get(key)
    except RedisError:
        return make()
    if kept is not None:
        return kept
    made = make()
    with suppress(RedisError):
        cache.set(key, made, KEEP_SECONDS)
    return made
