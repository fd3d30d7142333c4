"""Browser hardening: the pieces of the Content-Security-Policy that depend on configuration.

The policy itself is in settings (CONTENT_SECURITY_POLICY, read by django-csp's middleware); the API's
documentation pages, built by third-party bundles, get their own looser policy from `api_docs_policy`.
"""

from urllib.parse import urlsplit

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update


def tile_source(url_template: str) -> list[str]:
    """The CSP source that lets the dashboard map load tiles from MAP_TILE_URL ([] when there is none).

    The setting is a Leaflet URL template: a `{s}` in the host's first label (`https://t{s}.example.cn/...`)
    becomes CSP's wildcard (`https://*.example.cn`), the only place CSP allows one. A template with a
    placeholder anywhere else in its host cannot be expressed and allows nothing (the map then shows no tiles,
    and the browser reports why).
    """
    if not url_template:
        return []
    parts = urlsplit(url_template)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return []
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels[1:]) or "{" in port:
        return []
    return [f"{parts.scheme}://{'.'.join(labels)}{':' + port if port else ''}"]


# Swagger UI and Redoc (drf-spectacular's sidecar bundles) write <style> elements and style attributes as they
# render, and Redoc runs its search in a worker made from a blob. Scripts stay the app's own files.
api_docs_policy = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})
