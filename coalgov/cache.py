"""Django's Redis cache, keeping one Redis client per connection pool (CACHES' BACKEND when REDIS_URL is set).

Django's backend builds a new `redis.Redis` client for every cache call; redis-py's client builds its table of
several hundred reply handlers each time, which cost a phone submission more than the session read it was built
for. A client holds no connection of its own (it takes one from the pool for each command and gives it back) and
may be shared between threads, so keeping one per pool changes nothing else.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
