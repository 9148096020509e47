"""The server-rendered pages, driven as a browser would drive them (forms, cookies, redirects)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from puente.accounts import service as accounts
from puente.node import Node
from puente.policy.markings import Markings
from puente.policy.schemas import MarkingsIn
from puente.records import service as records
from puente.web.app import create_app
from tests.support.nodes import ADMIN_PASSWORD, PASSWORD, add_user
from tests.support.pages import banners, page, post_login, sign_in
from tests.support.records import SAMPLE_FIELDS

# --- a small HTML reader (stdlib only), so assertions name elements, not substrings ----------


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


def make_record(
    node: Node, username: str, kind: str, fields: dict[str, object], **marks: object
) -> str:
    with node.db.session() as session:
        who = accounts.principal_for(accounts.get_user(session, username), node.settings)
        markings = Markings(
            tlp=str(marks.pop("tlp", "AMBER")),
            rel_to=frozenset(marks.pop("rel_to", ("USA",))),  # type: ignore[arg-type]
            **marks,
        )  # type: ignore[arg-type]
        return records.create(session, node.settings, who, kind, fields, markings).stix_id


# --- signing in and out ------------------------------------------------------------------------


def test_pages_ask_for_sign_in_and_come_back_after_it(client: TestClient) -> None:
    asked = client.get("/records?q=fentanyl")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login?next=%2Frecords%3Fq%3Dfentanyl"
    form = page(client.get(asked.headers["location"]).text)
    assert (
        form.one("form", action="/login").one("input", name="next").attrs["value"]
        == "/records?q=fentanyl"
    )

    wrong = post_login(client, {"username": "admin", "password": "nope-nope-nope"})
    assert wrong.status_code == 401
    assert "Wrong username or password." in page(wrong.text).one(id="error-summary").text()
    assert wrong.cookies.get("puente_session") is None

    signed = post_login(
        client,
        {"username": "admin", "password": ADMIN_PASSWORD, "next": "/records?q=fentanyl"},
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/records?q=fentanyl"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("puente_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie


def test_sign_in_needs_the_token_of_its_own_form(client: TestClient, node: Node) -> None:
    # A post made by another site carries no token (it cannot read the /login cookie).
    forged = client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert forged.status_code == 403
    assert "did not come from this site" in page(forged.text).one(id="error-summary").text()
    assert forged.cookies.get("puente_session") is None
    # A token of its own, without the matching cookie, does no better.
    client.cookies.clear()
    wrong = client.post(
        "/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "login_csrf": "made-up-token"},
    )
    assert wrong.status_code == 403
    with node.db.session() as session:
        assert accounts.get_user(session, "admin").failed_logins == 0  # not even tried
    assert post_login(client, {"username": "admin", "password": ADMIN_PASSWORD}).status_code == 303


def test_sign_in_refuses_to_redirect_off_site(client: TestClient) -> None:
    signed = post_login(
        client, {"username": "admin", "password": ADMIN_PASSWORD, "next": "//evil.example/"}
    )
    assert signed.headers["location"] == "/"


def test_signing_out_needs_the_form_token(client: TestClient) -> None:
    csrf = sign_in(client, "admin", ADMIN_PASSWORD)
    refused = client.post("/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert client.get("/").status_code == 200  # still signed in

    out = client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert client.get("/").status_code == 303  # the session is gone


def test_repeated_failures_lock_the_account_without_telling_who_exists(
    client: TestClient, node: Node
) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    for _ in range(node.settings.security.lockout_threshold):
        assert post_login(client, {"username": "ana", "password": "guess-guess"}).status_code == 401
    locked = post_login(client, {"username": "ana", "password": PASSWORD})
    assert locked.status_code == 401
    message = page(locked.text).one(id="error-summary").text()
    assert "an account is locked for" in message
    assert locked.cookies.get("puente_session") is None
    unknown = post_login(client, {"username": "nobody", "password": PASSWORD})
    assert page(unknown.text).one(id="error-summary").text() == message


# --- language -----------------------------------------------------------------------------------


def test_accept_language_chooses_the_page_language(client: TestClient) -> None:
    spanish = page(
        client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).text
    )
    assert spanish.one("html").attrs["lang"] == "es"
    assert spanish.one("h1").text() == "Iniciar sesión"
    english = page(client.get("/login", headers={"Accept-Language": "en-US"}).text)
    assert english.one("html").attrs["lang"] == "en"
    assert english.one("h1").text() == "Sign in"


def test_the_switch_sets_the_language_and_the_user_keeps_it(client: TestClient, node: Node) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    csrf = sign_in(client, "ana")
    switched = client.post(
        "/language", data={"lang": "es", "next": "/records?q=x", "csrf_token": csrf}
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/records?q=x"
    search = page(client.get("/records?q=x").text)
    assert search.one("html").attrs["lang"] == "es"
    assert search.one("h1").text() == "Buscar registros"

    # Another browser, English by its header and with no cookie: the saved choice wins.
    with TestClient(create_app(node), follow_redirects=False) as other:
        signed = post_login(other, {"username": "ana", "password": PASSWORD})
        assert "puente_lang=es" in signed.headers.get("set-cookie", "")
        other.cookies.delete("puente_lang")
        dashboard = page(other.get("/", headers={"Accept-Language": "en"}).text)
        assert dashboard.one("html").attrs["lang"] == "es"
        assert dashboard.one("h1").text() == "Tablero"


def test_the_language_switch_is_on_every_page(client: TestClient) -> None:
    for url in ("/login", "/no-such-page"):
        switch = page(client.get(url).text).one("form", action="/language")
        assert [b.attrs["value"] for b in switch.all("button")] == ["en", "es"]


# --- the gate on pages -------------------------------------------------------------------------


def test_search_and_detail_show_only_what_the_gate_releases(client: TestClient, node: Node) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    add_user(node, "dan", "DEA", ["analyst"])
    strict = make_record(
        node,
        "ana",
        "person",
        {"given_names": "Rosa", "paternal_surname": "Quintero"},
        tlp="AMBER+STRICT",
    )
    shared = make_record(
        node, "ana", "person", {"given_names": "Rosa", "paternal_surname": "Beltrán"}, tlp="AMBER"
    )

    sign_in(client, "dan")
    found = page(client.get("/records?q=rosa").text)
    links = [a.attrs["href"] for a in found.one(id="results").all("a")]
    assert f"/records/{shared}" in links
    assert f"/records/{strict}" not in links
    assert "Quintero" not in client.get("/").text
    hidden = client.get(f"/records/{strict}")
    assert hidden.status_code == 404
    assert "Quintero" not in hidden.text

    client.cookies.clear()
    sign_in(client, "ana")
    assert client.get(f"/records/{strict}").status_code == 200


def test_the_banner_carries_the_most_restrictive_marking_on_the_page(
    client: TestClient, node: Node
) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    person = make_record(
        node,
        "ana",
        "person",
        {"given_names": "Luis", "paternal_surname": "Ochoa"},
        tlp="GREEN",
        rel_to=("USA", "MEX"),
        handling="H2",
    )
    make_record(
        node,
        "ana",
        "note",
        {"content": "Seen at the Nogales crossing.", "object_refs": person},
        tlp="AMBER",
        rel_to=("USA",),
        handling="H0",
    )
    sign_in(client, "ana")
    detail = page(client.get(f"/records/{person}").text)
    related = detail.one("section", aria_labelledby="related-heading")
    assert "Seen at the Nogales crossing." in related.text()
    assert banners(detail) == ("TLP:AMBER · REL TO USA · H2",) * 2
    assert "tlp-amber" in detail.one(id="banner-top").attrs["class"]


# --- forms ---------------------------------------------------------------------------------------


def test_create_form_names_each_bad_field_and_keeps_the_input(
    client: TestClient, node: Node
) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    csrf = sign_in(client, "ana")
    form = page(client.get("/records/new/person").text)
    assert (
        form.one("select", name="markings.tlp").one("option", selected="").attrs["value"] == "AMBER"
    )
    assert (
        form.one("select", name="markings.handling").one("option", selected="").attrs["value"]
        == "H2"
    )

    rejected = client.post(
        "/records/new/person",
        data={
            "csrf_token": csrf,
            "given_names": "María José",
            "aliases": "La Güera\nMajo",
            "nationality": "Mexico",
            "markings.tlp": "AMBER",
            "markings.handling": "H3",
            "markings.credibility": "9",
        },
    )
    assert rejected.status_code == 422
    doc = page(rejected.text)
    assert doc.one(id="f-paternal_surname-error-1").text() == "Error: Paternal surname is required."
    assert "alpha-3" in doc.one(id="f-nationality-error-1").text()
    assert (
        doc.one(id="f-markings-handling_text-error-1").text()
        == "Error: Handling H3 needs a handling text."
    )
    assert "from 1 to 6" in doc.one(id="f-markings-credibility-error-1").text()
    summary_links = [a.attrs["href"] for a in doc.one(id="error-summary").all("a")]
    assert "#f-paternal_surname" in summary_links
    assert "#f-markings-handling_text" in summary_links
    assert doc.one("input", name="given_names").attrs["value"] == "María José"
    assert doc.one("textarea", name="aliases").text() == "La Güera Majo"
    assert doc.one("input", id="f-paternal_surname").attrs["aria-invalid"] == "true"
    with node.db.session() as session:
        assert records.stats(session, accounts.system_principal(node.settings)) == {}


def test_form_errors_are_in_the_users_language(client: TestClient, node: Node) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    csrf = sign_in(client, "ana")
    client.cookies.set("puente_lang", "es")
    rejected = page(
        client.post(
            "/records/new/vehicle",
            data={"csrf_token": csrf, "year": "about 2019", "markings.tlp": "AMBER"},
        ).text
    )
    assert rejected.one("html").attrs["lang"] == "es"
    assert rejected.one(id="f-year-error-1").text() == "Error: El campo «Año» debe ser un número."
    assert rejected.one(id="f-vin-error-1").text() == "Error: Indique un NIV o un número de placa."


def test_create_read_edit_version_and_revoke_a_seizure(client: TestClient, node: Node) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    csrf = sign_in(client, "ana")
    created = client.post(
        "/records/new/seizure",
        data={
            "csrf_token": csrf,
            "name": "Fentanyl in a fuel tank",
            "seizure_date": "2025-05-02",
            "substance": "fentanyl",
            "substance_category": "drug",
            "quantity": "12.4",
            "unit": "lb",
            "concealment_method": "vehicle-fuel-tank",
            "markings.tlp": "AMBER",
            "markings.rel_to": "MEX",
            "markings.agencies": ["CBP", "FGR"],
            "markings.handling": "H1",
            "markings.reliability": "B",
            "markings.credibility": "2",
        },
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]

    detail = page(client.get(url).text)
    assert detail.one("h1").text() == "Fentanyl in a fuel tank"
    assert banners(detail)[0] == "TLP:AMBER · REL TO MEX, USA · CBP, FGR · H1"
    facts = detail.all("dl")[0].text()
    assert "Vehicle fuel tank" in facts
    assert "12.4" in facts
    assert "B — usually reliable" in detail.text()
    assert "U.S. Customs and Border Protection" in detail.text()
    assert '"x-puente-seizure"' in detail.one("details").text()

    edit = page(client.get(f"{url}/edit").text)
    assert edit.one("input", name="quantity").attrs["value"] == "12.4"
    assert edit.one("input", id="f-markings-agencies-FGR").attrs.get("checked") == ""
    edited = client.post(
        f"{url}/edit",
        data={
            "csrf_token": csrf,
            "name": "Fentanyl in a fuel tank",
            "seizure_date": "2025-05-02",
            "substance": "fentanyl",
            "substance_category": "drug",
            "quantity": "14",
            "unit": "lb",
            "markings.tlp": "AMBER",
            "markings.rel_to": "MEX",
            "markings.handling": "H1",
        },
    )
    assert edited.status_code == 303
    assert edited.headers["location"] == url

    detail = page(client.get(url).text)
    assert "14" in detail.all("dl")[0].text()
    rows = detail.one("section", aria_labelledby="versions-heading").one("tbody").all("tr")
    assert len(rows) == 2
    assert "Current" in rows[0].text()
    assert "Superseded" in rows[1].text()
    old = page(client.get(rows[1].one("a").attrs["href"]).text)
    assert "12.4" in old.all("dl")[0].text()
    assert "Earlier version" in old.text()

    confirm = page(client.get(f"{url}/revoke").text)
    assert (
        confirm.one("form", action=f"{url}/revoke").one("button").text()
        == "Yes, revoke this record"
    )
    revoked = client.post(f"{url}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    final = page(client.get(url).text)
    assert "Revoked" in final.one("p", class_="subtitle").text()
    assert not final.all("a", href=f"{url}/edit")
    assert client.get(f"{url}/edit").status_code == 403


def test_another_agency_cannot_edit_or_revoke(client: TestClient, node: Node) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    add_user(node, "dan", "DEA", ["analyst"])
    record = make_record(node, "ana", "firearm", {"manufacturer": "Colt", "serial_number": "X1"})
    csrf = sign_in(client, "dan")
    detail = page(client.get(f"/records/{record}").text)
    assert not detail.all("a", href=f"/records/{record}/edit")
    assert client.get(f"/records/{record}/edit").status_code == 403
    assert client.post(f"/records/{record}/revoke", data={"csrf_token": csrf}).status_code == 403


# --- tokens, audit, errors -----------------------------------------------------------------------


def test_a_token_is_shown_once_and_can_be_revoked(client: TestClient, node: Node) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    csrf = sign_in(client, "ana")
    issued = client.post(
        "/account/tokens", data={"csrf_token": csrf, "name": "nightly", "days": "30"}
    )
    assert issued.status_code == 201
    token = page(issued.text).one("input", id="new-token").attrs["value"]
    assert token.startswith("pte_")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = client.get("/account/tokens").text
    assert token not in listing
    assert token[:10] in listing

    form = page(listing).all("form", method="post")
    revoke_action = next(
        f.attrs["action"]
        for f in form
        if f.attrs["action"].endswith("/revoke")
        and f.attrs["action"].startswith("/account/tokens/")
    )
    assert client.post(revoke_action, data={"csrf_token": csrf}).status_code == 303
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    bad = page(client.post("/account/tokens", data={"csrf_token": csrf, "days": "forever"}).text)
    assert "from 1 to 365." in bad.one(id="f-days-error-1").text()  # security.token_max_days


def test_auditors_filter_the_log_and_verify_the_chain(client: TestClient, node: Node) -> None:
    add_user(node, "otto", "INL", ["auditor"])
    add_user(node, "ana", "CBP", ["analyst"])
    record = make_record(node, "ana", "incident", {"name": "Tunnel found in Tijuana"})
    sign_in(client, "ana")
    client.get(f"/records/{record}")
    assert client.get("/audit").status_code == 403
    client.cookies.clear()

    sign_in(client, "otto")
    log = page(client.get("/audit", params={"actor": "ana", "action": "record.read"}).text)
    rows = log.one("table").all("tr")[1:]
    assert len(rows) == 1
    assert record in rows[0].text()
    verified = page(client.get("/audit/verify").text)
    assert "The audit chain is intact." in verified.one(id="verify-result").text()


def test_unknown_pages_get_the_html_not_found_page(client: TestClient) -> None:
    missing = client.get("/no-such-page", headers={"Accept-Language": "es"})
    assert missing.status_code == 404
    doc = page(missing.text)
    assert doc.one("h1").text() == "No encontrado"
    # The API answers its own problem, not the page.
    api = client.get("/api/v1/no-such-thing")
    assert (api.status_code, api.headers["content-type"]) == (404, "application/problem+json")


def test_the_secure_flag_follows_the_settings(client: TestClient, node: Node) -> None:
    node.settings.security.secure_cookies = True
    signed = post_login(client, {"username": "admin", "password": ADMIN_PASSWORD})
    assert "Secure" in signed.headers["set-cookie"]


def test_search_and_audit_pages_go_on_with_next(client: TestClient, node: Node) -> None:
    for number in range(60):
        make_record(node, "admin", "incident", {"name": f"Crossing incident {number:02d}"})
    sign_in(client, "admin", ADMIN_PASSWORD)

    seen: list[str] = []
    url: str | None = "/records?q=crossing"
    pages = 0
    while url:
        doc = page(client.get(url).text)
        seen += [a.text() for a in doc.one("tbody").all("a")]
        nxt = doc.all("a", rel="next")
        url = nxt[0].attrs["href"] if nxt else None
        pages += 1
    assert pages == 3
    assert seen == [f"Crossing incident {n:02d}" for n in reversed(range(60))]

    first = page(client.get("/audit").text)
    newer = [int(tr.all("td")[0].text()) for tr in first.one("tbody").all("tr")]
    older_page = page(client.get(first.one("a", rel="next").attrs["href"]).text)
    older = [int(tr.all("td")[0].text()) for tr in older_page.one("tbody").all("tr")]
    assert len(newer) == 50
    assert newer == sorted(newer, reverse=True)
    assert older[0] == newer[-1] - 1


@pytest.mark.parametrize(("lang", "more_than"), [("en", "more than"), ("es", "más de")])
def test_the_dashboard_counts_up_to_a_cap_and_says_more_than_past_it(
    client: TestClient, node: Node, monkeypatch: pytest.MonkeyPatch, lang: str, more_than: str
) -> None:
    """An exact count read every visible record on every visit (2 to 3 s at 10M)."""
    monkeypatch.setattr(records, "STATS_CAP", 2)
    who = add_user(node, "ana", "CBP", ["analyst"])
    markings = MarkingsIn(tlp="GREEN").to_markings("USA")
    with node.db.session() as session:
        for kind, count in (("person", 3), ("vehicle", 1)):
            for _ in range(count):
                records.create(session, node.settings, who, kind, SAMPLE_FIELDS[kind], markings)
    sign_in(client, "ana")
    client.cookies.set("puente_lang", lang)

    doc = page(client.get("/").text)

    rows = {r.all("th")[0].text(): r.all("td")[0].text()
            for r in doc.one("table", class_="counts").all("tr")[1:]}  # fmt: skip
    shown = sorted(rows.values())
    assert f"{more_than} 2" in shown  # persons: 3, past the cap
    assert "1" in shown  # the vehicle
    assert rows[{"en": "Total", "es": "Total"}[lang]] == f"{more_than} 3"
