"""Who bench/load.py puts on a node at once: locust's users (run in locust's own virtualenv).

* ``Analyst`` (50 by default): signs in through the web form, then searches (REST API and
  the records page), opens records it found, goes to the next page of results, reads the
  dashboard and its agency's TAXII collection, thinking 1 to 4 s between steps as a person at a
  desk does.
* ``Partner`` (2 by default): a partner node's sync: pages through the collection it may read
  (TAXII 2.1, 1,000 objects a page, HTTP Basic), page after page with ``partner_pause_s``
  between them, and starts again from the top at the end.

The accounts, the words to search and the partners' credentials come from the JSON file named
by ``PUENTE_LOAD_CONFIG`` (bench/load.py writes it). Nothing here imports Puente.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any, ClassVar

from locust import HttpUser, between, constant, task

CONFIG: dict[str, Any] = json.loads(open(os.environ["PUENTE_LOAD_CONFIG"]).read())  # noqa: SIM115
ACCOUNTS = itertools.cycle(CONFIG["accounts"])
PARTNERS = itertools.cycle(CONFIG["partners"])
WORDS: list[str] = CONFIG["words"]
LOGIN_CSRF = re.compile(r'name="login_csrf"[^>]*value="([^"]+)"')
SIGNED_IN = [0]  # analysts signed in so far (locust runs every user in one process)


def label(name: str) -> str:
    """A request's name; "ramp: …" until every analyst has signed in. Fifty Argon2 sign-ins
    in the first seconds load the node as no steady state does: bench/load.py reports that
    ramp apart from the steady state, and both."""
    return name if SIGNED_IN[0] >= CONFIG["analysts"] else f"ramp: {name}"


class Analyst(HttpUser):
    fixed_count = CONFIG["analysts"]
    wait_time = between(1, 4)

    def on_start(self) -> None:
        account = next(ACCOUNTS)
        self.token = account["token"]
        self.api = {"Authorization": f"Bearer {self.token}", "Accept-Language": account["lang"]}
        self.found: list[str] = []
        self.next_page: str | None = None
        form = self.client.get("/login", name="sign in (form)")
        csrf = LOGIN_CSRF.search(form.text)
        if csrf is None:
            raise RuntimeError("the sign-in form has no login_csrf")
        self.client.post(
            "/login",
            data={"username": account["username"], "password": account["password"],
                  "login_csrf": csrf.group(1)},
            name="sign in (post)", allow_redirects=False,
        )  # fmt: skip
        SIGNED_IN[0] += 1

    @task(4)
    def search_api(self) -> None:
        params = {"q": random.choice(WORDS), "kind": "person", "tlp": "GREEN", "limit": 25}
        with self.client.get("/api/v1/records", params=params, headers=self.api,
                             name=label("API: search"), catch_response=True) as response:  # fmt: skip
            if response.status_code == 200:
                body = response.json()
                self.found = [item["id"] for item in body["items"]] or self.found
                self.next_page = body["next"]

    @task(3)
    def search_page(self) -> None:
        params = {"q": random.choice(WORDS), "kind": "person", "tlp": "GREEN"}
        self.client.get("/records", params=params, name=label("page: search"))

    @task(3)
    def open_record(self) -> None:
        if self.found:
            stix_id = random.choice(self.found)
            self.client.get(f"/records/{stix_id}", name=label("page: record"))
            self.client.get(
                f"/api/v1/records/{stix_id}", headers=self.api, name=label("API: record")
            )

    @task(1)
    def next_results(self) -> None:
        if self.next_page:
            url = self.next_page.split("://", 1)[-1].split("/", 1)[-1]
            self.client.get(f"/{url}", headers=self.api, name=label("API: search, next page"))

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/", name=label("page: dashboard"))

    @task(1)
    def own_collection(self) -> None:
        listed = self.client.get("/taxii2/api/collections/", headers=self.taxii(),
                                 name=label("TAXII (user): collections"))  # fmt: skip
        if listed.status_code == 200 and (collections := listed.json().get("collections")):
            collection = collections[0]["id"]
            self.client.get(f"/taxii2/api/collections/{collection}/objects/?limit=50",
                            headers=self.taxii(), name=label("TAXII (user): objects"))  # fmt: skip

    def taxii(self) -> dict[str, str]:
        return {**self.api, "Accept": "application/taxii+json;version=2.1"}


class Partner(HttpUser):
    fixed_count = CONFIG["partner_count"]
    wait_time = constant(CONFIG["partner_pause_s"])
    TAXII: ClassVar[dict[str, str]] = {"Accept": "application/taxii+json;version=2.1"}

    def on_start(self) -> None:
        partner = next(PARTNERS)
        self.auth = (partner["node_id"], partner["secret"])
        listed = self.client.get("/taxii2/api/collections/", headers=self.TAXII, auth=self.auth,
                                 name=label("TAXII (partner): collections"))  # fmt: skip
        readable = [c for c in listed.json()["collections"] if c["can_read"]]
        self.objects = f"/taxii2/api/collections/{readable[0]['id']}/objects/"
        self.cursor: str | None = None
        self.pages = 0

    @task
    def next_page(self) -> None:
        params = {"limit": 1000, **({"next": self.cursor} if self.cursor else {})}
        name = label(
            "TAXII (partner): first page" if self.cursor is None else "TAXII (partner): page"
        )
        with self.client.get(self.objects, params=params, headers=self.TAXII, auth=self.auth,
                             name=name, catch_response=True) as response:  # fmt: skip
            if response.status_code == 200:
                envelope = response.json()
                self.cursor = envelope.get("next") if envelope.get("more") else None
                self.pages += 1
