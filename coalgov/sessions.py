"""Sessions read from Redis, kept in the database (SESSION_ENGINE when REDIS_URL is set).

Every signed-in request reads its session; a phone submitting a visit spent a tenth of its time on that one
database query and the signature check of the stored session. Django's cached_db sessions read it from the cache
instead and keep the database as the record: a session missing from the cache is read from the database and put
back, and every change is written to both.

Only with Redis, the one cache every worker shares: with a per-process cache, signing out in one worker would
leave the session readable in the others' caches.

Django's engine fails a request when the cache does not answer after a database read (putting the session back);
here reading and creating sessions then go to the database alone, so an outage of Redis does not sign anyone out
or stop anyone signing in. Removing a session (signing out, signing in again) still fails until the session is
removed from the cache as well: a session that was signed out is never read back from the cache.
"""

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # noqa: BLE001 — whatever the cache raises, the database has the session
            logger.warning("Session cache unavailable; reading the session from the database", exc_info=True)
            data, cache_answers = None, False
        else:
            cache_answers = True
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        if cache_answers:
            try:
                self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
            except Exception:  # noqa: BLE001 — it is read from the database again next time
                logger.warning("Session cache unavailable; session not cached", exc_info=True)
        return data

    def exists(self, session_key):
        # Asked while choosing a new session's key: the database knows every session.
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:  # noqa: BLE001
            logger.warning("Session cache unavailable; checking the key in the database", exc_info=True)
        return super(cached_db.SessionStore, self).exists(session_key)
