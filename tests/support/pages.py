"""Reading the HTML the web serves, as a browser would, and signing in through its form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response

from tests.support.nodes import PASSWORD

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    def all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
                if (tag is None or child.tag == tag) and all(
                    child.attrs.get(k) == v for k, v in wanted.items()
                ):
                    found.append(child)
                found.extend(child.all(tag, **attrs))
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def page(html: str) -> Element:
    reader = _Reader()
    reader.feed(html)
    return reader.root


def banners(doc: Element) -> tuple[str, str]:
    return doc.one(id="banner-top").text(), doc.one(id="banner-bottom").text()


def post_login(client: TestClient, data: dict[str, str]) -> Response:
    """Post the sign-in form as a browser does: with the token the form page handed out."""
    form = page(client.get("/login").text)
    token = form.one("input", name="login_csrf").attrs["value"]
    return client.post("/login", data={**data, "login_csrf": token})


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; return the CSRF token the pages carry."""
    response = post_login(client, {"username": username, "password": password})
    assert response.status_code == 303, response.text
    dashboard = page(client.get("/").text)
    return dashboard.all("input", name="csrf_token")[0].attrs["value"]
