"""The site's layout (menu, user menu, footer) reads in Chinese in the Chinese UI."""

import re
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db


class LayoutText(HTMLParser):
    """The visible text and the labels (aria-label, title) of the page outside <main>."""

    def __init__(self):
        super().__init__()
        self.depth_in_main, self.skip, self.words = 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth_in_main += 1
        if tag in ("script", "style", "title"):
            self.skip += 1
        if not self.depth_in_main:
            self.words += [value for name, value in attrs if name in ("aria-label", "title", "placeholder") and value]

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth_in_main -= 1
        if tag in ("script", "style", "title"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.depth_in_main and not self.skip and data.strip():
            self.words.append(data.strip())


def english_in_layout(html: str) -> list[str]:
    parser = LayoutText()
    parser.feed(html)
    # Names that stay as they are in Chinese too: the API, and the language switch naming itself.
    allowed = {"API", "English"}
    return [text for text in parser.words if set(re.findall(r"[A-Za-z]{2,}", text)) - allowed]


@pytest.mark.parametrize("username", ["qu_admin", "wulibao_worker"])
def test_the_layout_around_a_chinese_page_has_no_english(client_as, people, username):
    people[username].is_staff = True  # the admin link too
    people[username].save()

    html = client_as(username).get("/").content.decode()

    assert english_in_layout(html) == []


def test_the_layout_around_the_sign_in_page_has_no_english(client):
    assert english_in_layout(client.get("/login/").content.decode()) == []
