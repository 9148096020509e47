"""The federation pages as their users read them: partners with status and lag, a partner's
ledger, receipts and quarantine, received records marked as such, and "Sync now"."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.clock import now
from puente.i18n import Translator
from puente.node import Node
from puente.policy import gate
from puente.policy.gate import Audience
from puente.policy.roles import Principal
from puente.sharing.models import Partner, ReceivedVersion
from puente.web.app import create_app
from tests.support.nodes import add_user
from tests.support.pages import Element, banners, page, sign_in
from tests.support.partners import (
    FakePartner,
    acknowledge,
    add_keyed_partner,
    incident,
    quarantine,
    receive,
    store,
)

STIX_ID = re.compile(
    r"[a-z0-9][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def fake_url() -> Iterator[tuple[FakePartner, str]]:
    """A partner's TAXII server on loopback (see tests/sharing/test_sync.py)."""
    fake = FakePartner()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def point(node: Node, node_id: str, url: str) -> None:
    with node.db.session() as session:
        partner = session.execute(select(Partner).where(Partner.node_id == node_id)).scalar_one()
        partner.base_url = url


def row_of(doc: Element, node_id: str) -> Element:
    return doc.one("tr", id=f"partner-{node_id}")


# --- the partners page -------------------------------------------------------------------------


def test_partners_show_their_status_and_lag(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    for node_id in ("mx-fgr", "mx-sspc", "mx-new"):
        add_keyed_partner(node, admin, tmp_path, node_id)
    with node.db.session() as session:
        rows = {p.node_id: p for p in session.execute(select(Partner)).scalars()}
        rows["mx-fgr"].last_success_at = now() - timedelta(hours=2, minutes=5, seconds=10)
        rows["mx-fgr"].received_count = 42
        rows["mx-sspc"].last_success_at = now() - timedelta(days=1)
        rows["mx-sspc"].failures = 3
        rows["mx-sspc"].last_error = "All connection attempts failed"
    sign_in(client, "ana")
    doc = page(client.get("/partners").text)
    assert doc.one("h1").text() == "Partners"
    assert doc.one("a", href="/partners", aria_current="page")
    fgr = row_of(doc, "mx-fgr")
    assert fgr.one("a").attrs["href"] == "/partners/mx-fgr"
    assert "Late" in fgr.text()  # two hours against a one-minute interval
    assert "2 h 5 min" in fgr.text()
    assert "42" in fgr.text()
    sspc = row_of(doc, "mx-sspc")
    assert "Failing" in sspc.text()
    assert "1 d 0 h" in sspc.text()
    assert "Never synced" in row_of(doc, "mx-new").text()
    assert doc.one("table").all("th", scope="col")

    detail = page(client.get("/partners/mx-sspc").text)
    facts = detail.one("section", id="partner-status").text()
    assert "All connection attempts failed" in facts
    assert "Failures in a row 3" in facts
    tabs = detail.one("nav", class_="tabs")
    assert tabs.one("a", aria_current="page").text() == "Status"
    assert [a.attrs["href"] for a in tabs.all("a")] == [
        "/partners/mx-sspc", "/partners/mx-sspc/ledger", "/partners/mx-sspc/receipts",
        "/partners/mx-sspc/quarantine",
    ]  # fmt: skip
    assert client.get("/partners/mx-nobody").status_code == 404


def test_the_page_heading_is_in_spanish(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    sign_in(client, "ana")
    client.cookies.set("puente_lang", "es")
    doc = page(client.get("/partners").text)
    assert doc.one("html").attrs["lang"] == "es"
    assert doc.one("h1").text() == Translator("es")("Partners")
    assert doc.one("a", href="/records").text() == "Buscar registros"
    partner = page(client.get("/partners/mx-fgr/ledger").text)
    assert partner.one("html").attrs["lang"] == "es"
    assert partner.one("h2", id="ledger-heading").text() == Translator("es")("Sharing ledger")


# --- received records are marked -----------------------------------------------------------------


def test_a_received_record_is_marked_with_its_partner_in_search_and_detail(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    obj = incident("Cargamento en Manzanillo")
    stored = receive(node, "mx-fgr", [obj], "2026-02-01T09:00:00.000001Z")
    own = store(node, analyst, "Cargamento en Laredo")
    sign_in(client, "ana")

    results = page(client.get("/records?q=cargamento").text).one(id="results")
    rows = {r.one("a").attrs["href"]: r for r in results.one("tbody").all("tr")}
    badge = rows[f"/records/{obj['id']}"].one("span", class_="tag tag-received").text()
    assert badge.startswith("Received from mx-fgr · 20")
    assert not rows[f"/records/{own}"].all("span", class_="tag tag-received")

    detail = page(client.get(f"/records/{obj['id']}").text)
    assert detail.one("p", class_="subtitle").one("span", class_="tag tag-received").text()
    facts = detail.all("dl")[-1]
    text = facts.text()
    assert "Nodo mx-fgr" in text
    assert facts.one("a", href="/partners/mx-fgr")
    assert "0b0b0b0b-0000-4000-8000-000000000001" in text
    assert stored.receipt_id in text
    with node.db.session() as session:
        held = session.execute(select(ReceivedVersion)).scalar_one()
    assert held.receipt_id == stored.receipt_id


# --- the ledger ------------------------------------------------------------------------------------


def test_the_ledger_shows_acknowledged_records_with_their_receipt(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    key = add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    acked = store(node, analyst, "Decomiso en Nogales")
    pending = store(node, analyst, "Decomiso en Tijuana", tlp="AMBER")
    store(node, analyst, "Solo para EUA", rel_to=("USA",))
    receipt_id = acknowledge(node, key, "mx-fgr", [acked])
    sign_in(client, "ana")
    doc = page(client.get("/partners/mx-fgr/ledger").text)
    table = doc.one("table", class_="ledger")
    rows = {r.one("th").one("a").attrs["href"]: r for r in table.one("tbody").all("tr")}
    assert list(rows) == [f"/records/{pending}", f"/records/{acked}"]  # newest first
    assert "Acknowledged" in rows[f"/records/{acked}"].text()
    assert receipt_id in rows[f"/records/{acked}"].text()
    assert "Not yet" in rows[f"/records/{pending}"].text()
    assert "TLP:AMBER · REL TO MEX, USA · H0" in rows[f"/records/{pending}"].text()
    assert "Solo para EUA" not in doc.text()
    assert banners(doc)[0] == "TLP:AMBER · REL TO MEX, USA · H0"
    counts = doc.one("dl", id="ledger-counts").text()
    assert "Versions released 2" in counts
    assert "Acknowledged by the partner 1" in counts

    only_pending = page(client.get("/partners/mx-fgr/ledger?acknowledged=no").text)
    links = [a.attrs["href"] for a in only_pending.one("table", class_="ledger").all("a")]
    assert links == [f"/records/{pending}"]


def test_a_user_who_may_not_see_a_record_does_not_see_it_in_the_ledger(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    add_user(node, "dan", "DEA", ["analyst"])
    shared = store(node, analyst, "Compartido con todos")
    secret = store(node, analyst, "Solo CBP y FGR", agencies=frozenset({"CBP", "FGR"}))
    sign_in(client, "dan")
    doc = page(client.get("/partners/mx-fgr/ledger").text)
    body = doc.one("section", id="ledger")
    assert [a.attrs["href"] for a in body.one("table").all("a")] == [f"/records/{shared}"]
    assert secret not in client.get("/partners/mx-fgr/ledger").text
    assert "Solo CBP y FGR" not in doc.text()
    assert "Not shown to you 1" in body.one("dl", id="ledger-counts").text()

    client.cookies.clear()
    sign_in(client, "ana")
    assert "Solo CBP y FGR" in client.get("/partners/mx-fgr/ledger").text


def test_the_ledger_goes_on_with_older(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    for n in range(55):
        store(node, analyst, f"Envío {n:02d}")
    sign_in(client, "ana")
    seen: list[str] = []
    url: str | None = "/partners/mx-fgr/ledger"
    while url:
        doc = page(client.get(url).text)
        seen += [a.text() for a in doc.one("table", class_="ledger").one("tbody").all("a")]
        nxt = doc.all("a", rel="next")
        url = nxt[0].attrs["href"] if nxt else None
    assert seen == [f"Envío {n:02d}" for n in reversed(range(55))]


# --- receipts and quarantine ---------------------------------------------------------------------


def test_receipts_say_who_signed_them(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    key = add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    held = acknowledge(node, key, "mx-fgr", [store(node, analyst, "Enviado")])
    issued = receive(node, "mx-fgr", [incident("Recibido")], "2026-02-01T09:00:00.000001Z")
    add_user(node, "otto", "INL", ["auditor"])
    sign_in(client, "otto")
    doc = page(client.get("/partners/mx-fgr/receipts").text)
    rows = {r.one("th").text(): r.text() for r in doc.one("table").one("tbody").all("tr")}
    assert "Issued by this node" in rows[issued.receipt_id]
    assert "Not yet" in rows[issued.receipt_id]  # not delivered to the partner yet
    assert "Signed by the partner" in rows[held]
    assert "2026-02-01 09:00 UTC" in rows[issued.receipt_id]


def test_quarantined_content_is_escaped_and_kept_from_who_may_not_see_it(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    add_user(node, "dan", "DEA", ["analyst"])
    hostile = incident("<script>alert(1)</script>")
    quarantine(node, "mx-fgr", hostile, "The object is larger than this node accepts.")
    for_cbp = incident("Para CBP")
    for_cbp["extensions"][next(iter(for_cbp["extensions"]))]["agencies"] = ["CBP", "FGR"]
    quarantine(node, "mx-fgr", for_cbp, "Bad property")
    sign_in(client, "ana")
    response = client.get("/partners/mx-fgr/quarantine")
    assert "<script>alert(1)</script>" not in response.text
    doc = page(response.text)
    rows = doc.one("table", class_="quarantine").one("tbody").all("tr")
    assert [r.one("th").text() for r in rows] == [str(for_cbp["id"]), str(hostile["id"])]
    shown = rows[1].one("details")
    assert "<script>alert(1)</script>" in shown.one("code").text()  # as text, escaped
    assert "TLP:GREEN" in shown.one("summary").text()
    assert "Bad property" in rows[0].text()
    assert rows[0].all("details")
    assert banners(doc)[0] == "TLP:GREEN · REL TO MEX, USA · CBP, FGR · H0"

    client.cookies.clear()
    sign_in(client, "dan")
    doc = page(client.get("/partners/mx-fgr/quarantine").text)
    rows = doc.one("table", class_="quarantine").one("tbody").all("tr")
    assert not rows[0].all("details")
    assert "Content withheld" in rows[0].text()
    assert "Para CBP" not in doc.text()


# --- sync now --------------------------------------------------------------------------------------


def test_sync_now_shows_the_report(
    client: TestClient,
    node: Node,
    admin: Principal,
    analyst: Principal,
    tmp_path: Path,
    fake_url: tuple[FakePartner, str],
) -> None:
    fake, url = fake_url
    add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    point(node, "mx-fgr", url)
    fake.pages = [("2026-02-01T09:00:00.000001Z", [incident("Traído ahora")])]
    csrf = sign_in(client, "ana")
    form = page(client.get("/partners/mx-fgr").text).one("form", action="/partners/mx-fgr/sync")
    assert form.one("button").text() == "Sync now"
    done = client.post("/partners/mx-fgr/sync", data={"csrf_token": csrf})
    assert done.status_code == 200
    doc = page(done.text)
    assert "Synced with mx-fgr: 1 stored" in doc.one("div", role="status").text()
    assert "Up to date" in doc.one("section", id="partner-status").text()
    # The receipt went, and the first checkpoint of this node's audit chain.
    assert [o["type"] for o in fake.posted] == ["x-puente-receipt", "x-puente-audit-checkpoint"]


def test_sync_now_shows_the_error_when_the_partner_is_down(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path, "mx-fgr")  # at 127.0.0.1:9: nothing listens
    csrf = sign_in(client, "ana")
    assert client.post("/partners/mx-fgr/sync", data={"csrf_token": "forged"}).status_code == 403
    client.cookies.set("puente_lang", "es")
    failed = client.post("/partners/mx-fgr/sync", data={"csrf_token": csrf})
    assert failed.status_code == 200
    doc = page(failed.text)
    assert doc.one("html").attrs["lang"] == "es"
    assert doc.one(id="sync-error").text().startswith(Translator("es")("The sync did not complete"))
    assert "No se pudo sincronizar con mx-fgr" in doc.one(id="sync-error").text()
    status = doc.one("section", id="partner-status").text()
    assert Translator("es")("Failing") in status
    with node.db.session() as session:
        partner = session.execute(select(Partner)).scalar_one()
        assert partner.failures == 1
        assert partner.last_error in status


def test_only_writers_may_sync_now(
    client: TestClient, node: Node, admin: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    add_user(node, "otto", "INL", ["auditor"])
    csrf = sign_in(client, "otto")
    assert not page(client.get("/partners/mx-fgr").text).all("form", action="/partners/mx-fgr/sync")
    assert client.post("/partners/mx-fgr/sync", data={"csrf_token": csrf}).status_code == 403


# --- the gate over every partner page ------------------------------------------------------------


def test_partner_pages_show_records_only_as_the_gate_releases_them(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    key = add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    dan = add_user(node, "dan", "DEA", ["analyst", "liaison"])
    visible = store(node, analyst, "Visible para DEA")
    hidden = {
        store(node, analyst, "Oculto FGR", agencies=frozenset({"CBP", "FGR"})): "Oculto FGR",
        store(node, analyst, "Estricto", tlp="AMBER+STRICT"): "Estricto",
    }
    acknowledge(node, key, "mx-fgr", [visible, *hidden])
    hijack = next(iter(hidden))
    quarantine(node, "mx-fgr", {**incident("Secuestro"), "id": hijack}, "Belongs to another node")
    receive(node, "mx-fgr", [incident("Recibido visible")], "2026-02-01T09:00:00.000001Z")
    seeded = {visible, *hidden}

    sign_in(client, "dan")
    released: list[tuple[str, Audience]] = []
    stop = gate.observe(lambda stix_id, audience: released.append((stix_id, audience)))
    try:
        for url in ("/partners", "/partners/mx-fgr", "/partners/mx-fgr/ledger",
                    "/partners/mx-fgr/ledger?acknowledged=yes", "/partners/mx-fgr/receipts",
                    "/partners/mx-fgr/quarantine"):  # fmt: skip
            released.clear()
            response = client.get(url)
            assert response.status_code == 200, url
            shown = set(STIX_ID.findall(response.text)) & seeded
            to_dan = {i for i, audience in released if audience == dan.audience}
            assert shown <= to_dan, f"GET {url} shows {shown - to_dan} without the gate"
            for stix_id, name in hidden.items():
                assert stix_id not in response.text, f"GET {url} shows {name}"
                assert name not in response.text, f"GET {url} shows {name}"
    finally:
        stop()


def test_the_partners_pages_show_every_failure_with_its_time_in_both_languages(
    client: TestClient,
    node: Node,
    admin: Principal,
    analyst: Principal,
    tmp_path: Path,
    fake_url: tuple[FakePartner, str],
) -> None:
    from tests.support.hostile import HOSTILE

    fake, url = fake_url
    add_keyed_partner(node, admin, tmp_path, "mx-fgr")
    point(node, "mx-fgr", url)
    bad = incident("Hostile")
    HOSTILE["agencies"](bad)
    fake.pages = [("2026-02-01T09:00:00.000001Z", [incident("Good"), bad])]
    csrf = sign_in(client, "ana")
    assert client.post("/partners/mx-fgr/sync", data={"csrf_token": csrf}).status_code == 200

    row = row_of(page(client.get("/partners").text), "mx-fgr")
    assert "Objects quarantined" in row.text()
    assert "Up to date" in row.text()  # the sync went through: no backoff
    facts = page(client.get("/partners/mx-fgr").text).one("section", id="partner-status")
    assert "Failures recorded 1" in facts.text()
    last = facts.one(id="last-error")
    assert "Objects quarantined" in last.text()
    assert "Unknown agency" in last.text()
    assert last.one("a").attrs["href"] == "/partners/mx-fgr/quarantine"

    client.cookies.set("puente_lang", "es")
    es = Translator("es")
    row = row_of(page(client.get("/partners").text), "mx-fgr")
    assert es("Objects quarantined") in row.text()
    assert es("Objects quarantined") != "Objects quarantined"
    facts = page(client.get("/partners/mx-fgr").text).one("section", id="partner-status")
    assert f"{es('Failures recorded')} 1" in facts.text()
