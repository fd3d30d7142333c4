"""A crawler for the test client: breadth first over a signed-in user's pages and API resources, sampling each
kind of page (ids normalised), then every POST form posted with its boxes emptied, with junk and with nothing.
Used by test_crawler.py over the demo data set."""

from __future__ import annotations

import io
import re
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client

from coalgov.downloads import DOWNLOAD
from coalgov.models import AuditEvent

PAGES_PER_USER = 75  # GETs per user: pages, API resources and downloads together
PAGES_FOR_SUPERUSER = 110  # the superuser has the Django admin besides
ADMIN_FORMS = 8  # the Django admin's own forms are Django's: a sample of them
# Pages of one kind (the same path with its ids normalised, the same query keys) visited per user: a record's
# page twice, a list with the same filters once. Every demo record's own page is visited by its own test.
SAMPLES_PER_RECORD, SAMPLES_PER_LIST = 2, 1
DOWNLOADS_PER_USER = 8
# Signing out and switching language end the crawl's session; static files are checked as a page's resources.
SKIP = re.compile(r"^/(logout/|i18n/|static/|admin/(logout|jsi18n|r)/)|/delete/$")
# The Django admin's history and delete pages say nothing new per object.
SKIP_ADMIN_DEEP = re.compile(r"^/admin/.+/(history|delete)/")
CSRF = "csrfmiddlewaretoken"
ID = re.compile(r"(?<=/)(\d+|[0-9a-f]{8}-[0-9a-f-]{27})(?=/|$)")
WORD = re.compile(r"^[a-z_]+$")
DATE_NAME = re.compile(r"(date|_after|_before|_on|week|^start|^end)$")
# Bootstrap's field and form errors, Django's error lists, and the Django admin's error note and messages.
ERROR_MARKS = ("invalid-feedback", "alert-danger", "errorlist", "is-invalid", "text-danger", "errornote", "messagelist")

JUNK_TEXT = "垃圾" * 300 + "\x01\x0b\x1f<script>alert(1)</script>' OR 1=1 --"
JUNK_BY_TYPE = {
    "date": ["9999-12-31", "0001-01-01"],
    "datetime-local": ["9999-12-31T23:59", "0001-01-01T00:00"],
    "time": ["25:61", "-1"],
    "number": ["-1", "99999999999999999999999"],
    "email": ["not-an-email\x00", "a" * 300 + "@example.com"],
    "url": ["javascript:alert(1)", "http://" + "x" * 300],
    "tel": ["-1\x00", "1" * 300],
}


# --- reading pages -------------------------------------------------------------------------------------------------


@dataclass
class Form:
    method: str
    action: str
    fields: list[dict] = field(default_factory=list)  # {name, type, value, options}
    has_file: bool = False
    buttons: list[dict] = field(default_factory=list)


class Page(HTMLParser):
    """The links, same-site resources and forms of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.resources: list[str] = []  # what the page loads: stylesheets, scripts, images
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "link" and a.get("href"):
            self.resources.append(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.resources.append(a["src"])
        elif tag == "form":
            self._form = Form(method=a.get("method", "get").lower(), action=a.get("action", ""))
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and a.get("type", "").lower() == "submit":
            self._form.buttons.append(a)
        elif self._form is not None and tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form.fields.append({"name": a["name"], "type": kind, "value": None, "option": a.get("value")})
                return
            self._form.fields.append({"name": a["name"], "type": kind, "value": a.get("value", "")})
            self._form.has_file |= kind == "file"
        elif self._form is not None and tag == "button" and a.get("type", "submit").lower() == "submit":
            self._form.buttons.append(a)
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "type": "select", "value": "", "options": []}
            self._form.fields.append(self._select)
        elif self._select is not None and tag == "option":
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["value"] = a.get("value", "")
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "type": "textarea", "value": ""}
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            # The last submit button is the form's own (one before it finds a place, adds a row…): pressed,
            # its name and value are posted.
            if self._form.buttons and self._form.buttons[-1].get("name"):
                pressed = self._form.buttons[-1]
                self._form.fields.append({"name": pressed["name"], "type": "submit", "value": pressed.get("value", "")})
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def api_details(url: str, value) -> list[str]:
    """A list's first records' own URLs, where its rows carry an id but no url."""
    rows = value.get("results") if isinstance(value, dict) else value
    if not isinstance(rows, list) or not url.startswith("/api/v1/"):
        return []
    path = urlsplit(url).path
    return [f"{path}{row['id']}/" for row in rows[:SAMPLES_PER_RECORD] if isinstance(row, dict) and "id" in row]


def json_urls(value) -> list[str]:
    """Every URL among the values of a JSON answer (next pages, detail urls, links)."""
    if isinstance(value, dict):
        return [u for v in value.values() for u in json_urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in json_urls(v)]
    if isinstance(value, str) and (value.startswith("http://testserver/") or re.match(r"^/[a-z]", value)):
        return [value]
    return []


def same_site(url: str, base: str) -> str | None:
    """The path and query of a same-site link, or None for another site, a fragment or a script link."""
    if url.startswith(("mailto:", "tel:", "javascript:", "data:", "#")):
        return None
    parts = urlsplit(urljoin(base, url))
    if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def kind_of(url: str) -> str:
    """A page's kind: its path with ids normalised and its query's keys."""
    parts = urlsplit(url)
    return ID.sub("<id>", parts.path) + "?" + ",".join(sorted({k for k, _ in parse_qsl(parts.query, True)}))


# --- the crawl -------------------------------------------------------------------------------------------------


@dataclass
class Finding:
    user: str
    method: str
    url: str
    source: str
    status: int
    trace: str = ""

    def __str__(self):
        return f"{self.user}: {self.method} {self.url} (linked from {self.source}) → {self.status}\n{self.trace}"


def last_lines(response) -> str:
    info = getattr(response, "exc_info", None)
    if not info:
        return ""
    return "".join(traceback.format_exception(*info)[-3:]).strip()


def release(response) -> None:
    """Close a served file (a photo, a static file) the crawl does not read. Not response.close(): it would
    signal the end of a request, and Django would close the test's database connection."""
    if getattr(response, "file_to_stream", None) is not None:
        response.file_to_stream.close()


def request(client: Client, method: str, url: str, data=None):
    """One request in a savepoint rolled back after it: a server error's broken transaction, or what a
    posted form changed, never reaches the next request."""
    savepoint = transaction.savepoint()
    try:
        # A download is recorded in the audit log (who took which file): that is a record of reading, not a change.
        changes = AuditEvent.objects.exclude(action=DOWNLOAD)
        audit_before = changes.count() if method == "GET" else None
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        release(response)
        changed = method == "GET" and response.status_code < 500 and changes.count() != audit_before
    finally:
        transaction.savepoint_rollback(savepoint)
    return response, changed


class Crawler:
    """One signed-in user's crawl: pages visited breadth first within a cap, POST forms kept to post after it,
    findings listed with the page that linked them."""

    def __init__(self, username: str, variant: int = 0):
        self.username = username
        self.client = Client(raise_request_exception=False)
        self.client.force_login(get_user_model().objects.get(username=username))
        self.kinds: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.forms: dict[str, tuple[str, Form]] = {}  # kind of action + field names → (page, form)
        self.findings: list[Finding] = []
        self.visited = 0
        self.downloads = 0
        self.admin_forms = 0
        self.static: set[str] = set()
        self.status = 0  # of the last page visited
        self.variant = variant  # which junk a user's first form gets: users differ, forms alternate

    def _admit(self, url: str) -> bool:
        path = urlsplit(url).path
        if url in self.seen or SKIP.search(path) or SKIP_ADMIN_DEEP.search(path):
            return False
        kind = kind_of(url)
        if self.kinds[kind] >= (SAMPLES_PER_RECORD if "<id>" in kind else SAMPLES_PER_LIST):
            return False
        self.kinds[kind] += 1
        self.seen.add(url)
        return True

    def crawl(self, start=("/", "/api/v1/")) -> None:
        # Breadth first, and views not yet seen before another query of a view already seen: within the cap
        # the crawl reaches every kind of page before it samples filters.
        new_views, variants = deque(), deque()
        views: set[str] = set()
        for url in start:
            self._admit(url)
            new_views.append((url, "start"))
            views.add(ID.sub("<id>", urlsplit(url).path))
        cap = PAGES_FOR_SUPERUSER if self.username == "admin" else PAGES_PER_USER
        while (new_views or variants) and self.visited < cap:
            url, source = (new_views or variants).popleft()
            for link in self.visit(url, source):
                if self._admit(link):
                    view = ID.sub("<id>", urlsplit(link).path)
                    (variants if view in views else new_views).append((link, url))
                    views.add(view)

    def visit(self, url: str, source: str) -> list[str]:
        response, changed = request(self.client, "GET", url)
        self.visited += 1
        self.status = response.status_code
        if response.status_code >= 500:
            self.findings.append(Finding(self.username, "GET", url, source, response.status_code, last_lines(response)))
            return []
        if changed:
            self.findings.append(Finding(self.username, "GET", url, source, response.status_code, "GET changed data"))
        if response.status_code in (301, 302, 303, 307, 308):
            target = same_site(response["Location"], "http://testserver" + url)
            return [target] if target and not target.startswith("/login/") else []
        kind = response.get("Content-Type", "")
        if response.get("Content-Disposition", "").startswith("attachment") or not (
            kind.startswith("text/html") or "json" in kind
        ):
            self.downloads += 1
            return []
        body = response.content.decode("utf-8", "replace")
        base = "http://testserver" + url
        if "json" in kind:
            try:
                data = response.json()
                return [u for u in (same_site(v, base) for v in json_urls(data)) if u] + api_details(url, data)
            except ValueError:
                return []
        page = Page()
        page.feed(body)
        links = [u for u in (same_site(link, base) for link in page.links) if u]
        for resource in (same_site(r, base) for r in page.resources):
            if resource and resource.startswith("/static/"):
                self._load(resource, url)
            elif resource:
                links.append(resource)
        for form in page.forms:
            action = same_site(form.action or url, base)
            if action is None or SKIP.search(urlsplit(action).path):
                continue
            if form.method == "get":
                links.append(self._filled(action, form))
            else:
                self._keep(url, action, form)
        if self.downloads >= DOWNLOADS_PER_USER:
            links = [u for u in links if not re.search(r"format=|download|\.(xlsx|docx|csv)", u)]
        return links

    def _load(self, resource: str, page: str) -> None:
        """A static file the page loads is there (each once per user)."""
        if resource in self.static:
            return
        self.static.add(resource)
        response = self.client.get(resource)
        release(response)
        if response.status_code != 200:
            self.findings.append(Finding(self.username, "GET", resource, page, response.status_code, "not served"))

    def _keep(self, url: str, action: str, form: Form) -> None:
        """Keep a POST form to post later: one of each kind (its action, its hidden values, its boxes)."""
        # A hidden value that names a step (operation=deactivate, step=rectify) tells forms apart; ids, tokens and
        # fresh uuids do not.
        pressed = [
            f"{f['name']}={f['value'] if WORD.match(f['value'] or '') else ''}"
            for f in form.fields
            if f["type"] in ("submit", "hidden") and f["name"] != CSRF
        ]
        fields = sorted(f["name"] for f in form.fields if f["type"] not in ("submit", "hidden"))
        key = f"{kind_of(action)} {','.join(pressed)} {fields}"
        if key in self.forms or (action.startswith("/admin/") and self.admin_forms >= ADMIN_FORMS):
            return
        self.admin_forms += action.startswith("/admin/")
        self.forms[key] = (url, form)

    def _filled(self, action: str, form: Form) -> str:
        """A search form submitted with junk in every box."""
        values = junk_values(form, variant=0, foreign=None)
        path, _, query = action.partition("?")
        pairs = parse_qsl(query, keep_blank_values=True) + [(k, v) for k, v in values if isinstance(v, str)]
        return path + ("?" + urlencode(pairs) if pairs else "")

    def post_forms(self, foreign: dict) -> int:
        posted = 0
        for n, (page_url, form) in enumerate(self.forms.values()):
            action = same_site(form.action or page_url, "http://testserver" + page_url)
            # Far-future dates and another subdistrict's records for one form, year one and -1 for the next.
            # A tampered request with no body at all must not crash either, but has no boxes to mark.
            # Nor can a tampered hidden field (variant 1 changes them) be explained in terms of the boxes.
            variant = (n + self.variant) % 2
            hidden = any(f["type"] in ("hidden", "submit") and f["name"] != CSRF for f in form.fields)
            tampered = variant == 1 and hidden
            posts = [(dict_of(emptied(form)), True)] + ([({}, False)] if hidden else [])
            posts.append((dict_of(junk_values(form, variant, foreign)), not tampered))
            for data, shows_errors in posts:
                response, _ = request(self.client, "POST", action, data)
                posted += 1
                if response.status_code >= 500:
                    trace = last_lines(response)
                    self.findings.append(Finding(self.username, "POST", action, page_url, response.status_code, trace))
                    continue
                if shows_errors and not errors_shown(response, action):
                    note = "re-rendered without an error shown, for: " + (", ".join(sorted(data)) or "(nothing)")
                    self.findings.append(Finding(self.username, "POST", action, page_url, response.status_code, note))
        return posted


def emptied(form: Form) -> list[tuple[str, str]]:
    """The form as a person sends it having cleared every box: hidden fields and the pressed button kept."""
    return [
        (f["name"], f["value"] if f["type"] in ("hidden", "submit") else "")
        for f in form.fields
        if f["value"] is not None and f["type"] != "file"
    ]


def junk_values(form: Form, variant: int, foreign: dict | None) -> list[tuple[str, object]]:
    """Junk for every field: long text with control characters, far-off dates, negative and huge numbers,
    and, for choices, another subdistrict's record (variant 0) or a choice that does not exist (variant 1).
    Dates and numbers alternate between the two extremes from one box to the next (a period's start and end)."""
    out = []
    for n, f in enumerate(form.fields):
        name, kind = f["name"], f["type"]
        if name == CSRF:
            continue
        if kind in ("text", "search") and DATE_NAME.search(name):
            kind = "date"  # a date typed as text (a filter's period, a week)
        if kind in JUNK_BY_TYPE:
            out.append((name, JUNK_BY_TYPE[kind][(variant + n) % 2]))
        elif kind == "file":
            out.append((name, io.BytesIO(b"\x00not an image or a spreadsheet")))
        elif kind in ("checkbox", "radio"):
            out.append((name, f.get("option") or f["value"] or "on"))
        elif kind == "select":
            options = [o for o in f["options"] if o]
            if foreign and variant == 0 and options and all(o.isdigit() for o in options):
                out.append((name, foreign["code"] if len(options[0]) >= 6 else foreign["pk"]))
            else:
                out.append((name, "-1" if variant else JUNK_TEXT))
        elif kind == "submit":
            out.append((name, f["value"]))
        elif kind == "hidden" and variant == 1:
            # A tampered id: another subdistrict's record where the page held one of the user's, else junk.
            out.append((name, foreign["pk"] if foreign and (f["value"] or "").isdigit() else "-1\x00"))
        elif kind == "hidden":
            out.append((name, f["value"]))
        else:
            out.append((name, JUNK_TEXT if variant == 0 else "\x00" * 3 + "0001-01-01"))
    return out


def dict_of(pairs) -> dict:
    data: dict[str, list] = {}
    for name, value in pairs:
        if hasattr(value, "read"):
            value.name = "junk.jpg"
            value.seek(0)
        data.setdefault(name, []).append(value)
    return data


def errors_shown(response, action: str) -> bool:
    """A 200 or 400 that is the form again (a POST form with boxes, posting back to the same place) marks what
    is wrong; any other answer (a redirect, another page, a 403 or 404) is not a re-rendered form."""
    if response.status_code in (200, 400) and rerendered(response, action):
        return any(mark in response.content.decode("utf-8", "replace") for mark in ERROR_MARKS)
    return True


def rerendered(response, action: str) -> bool:
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    page = Page()
    page.feed(response.content.decode("utf-8", "replace"))
    path = urlsplit(action).path
    return any(
        f.method == "post"
        and (not f.action or urlsplit(f.action).path == path)
        and any(x["type"] != "hidden" for x in f.fields)
        for f in page.forms
    )
