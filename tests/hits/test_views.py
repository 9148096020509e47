"""The hit/no-hit pages, as an analyst on the Mexico node uses them against the US node."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from puente.web.app import create_app
from tests.support.hits import ask
from tests.support.linked import HELD_PERSON, Linked
from tests.support.nodes import add_user
from tests.support.pages import Element, page, sign_in


@pytest.fixture
def mx(linked: Linked) -> Iterator[tuple[TestClient, str]]:
    add_user(linked.mx, "fer", "FGR", ["analyst"])
    with TestClient(create_app(linked.mx), follow_redirects=False) as client:
        yield client, sign_in(client, "fer")


def rows(doc: Element) -> list[list[str]]:
    return [[cell.text() for cell in row.all() if cell.tag in ("td", "th")]
            for row in doc.one("tbody").all("tr")]  # fmt: skip


def assert_nothing_of_the_partners_records(html: str, linked: Linked) -> None:
    for held in (*linked.held, "José Luis", "Peña", "BKRT512", "Pistola asegurada"):
        assert held not in html


def test_the_form_offers_the_partners_and_a_nav_link(mx: tuple[TestClient, str]) -> None:
    client, _ = mx
    doc = page(client.get("/hits").text)
    nav = doc.one("nav", class_="main-nav")
    assert nav.one("a", href="/hits").text() == "Hit/no-hit"
    options = doc.one("select", name="partner").all("option")
    assert [o.attrs["value"] for o in options] == ["us-node"]
    assert doc.one("label", for_="f-case_reference").text() == "Case reference (required)"
    assert doc.one("input", type="file", name="csv").attrs["id"] == "f-csv"
    assert doc.one("form", action="/hits").attrs["enctype"] == "multipart/form-data"


def test_a_person_the_partner_holds_is_a_hit_with_its_key_types(
    mx: tuple[TestClient, str], linked: Linked
) -> None:
    client, csrf = mx
    status, doc, html = ask(client, csrf, category="person", given_names="Pepe",
                            paternal_surname="Hernandez",
                            date_of_birth=HELD_PERSON["date_of_birth"])  # fmt: skip
    assert status == 200
    ((_, label, category, result, matched, follow_up),) = rows(doc)
    assert (label, category, result) == ("Pepe Hernandez, 1984-03-12", "Person", "Hit")
    assert "name and date of birth" in matched
    assert follow_up == "Request information"
    link = doc.one("a", href=f"/rfis/new?query={_query_id(doc)}&subject=0")
    assert link.attrs["aria-label"] == "Request information about Pepe Hernandez, 1984-03-12"
    assert "FGR/UEIDCS/0042/2026" in doc.one("dl", class_="facts").text()
    assert "Match-key spec version" in doc.one("dl", class_="facts").text()
    assert_nothing_of_the_partners_records(html, linked)


@pytest.mark.parametrize("subject", ["²", "١", "9" * 40, "-1", "1"])
def test_a_follow_up_to_a_subject_the_query_lacks_is_not_found(
    mx: tuple[TestClient, str], linked: Linked, subject: str
) -> None:
    client, csrf = mx
    _, doc, _ = ask(client, csrf, category="person", given_names="Pepe",
                    paternal_surname="Hernandez",
                    date_of_birth=HELD_PERSON["date_of_birth"])  # fmt: skip
    response = client.get("/rfis/new", params={"query": _query_id(doc), "subject": subject})
    assert response.status_code == 404
    assert f"has no subject {subject}" in response.text


def _query_id(doc: Element) -> str:
    return doc.one("dl", class_="facts").all("dd")[-1].text()


def test_an_unknown_person_is_no_hit_and_offers_no_follow_up(mx: tuple[TestClient, str]) -> None:
    client, csrf = mx
    status, doc, _ = ask(client, csrf, given_names="Ana", paternal_surname="Ruiz",
                         date_of_birth="1990-05-01")  # fmt: skip
    assert status == 200
    ((_, label, category, result, matched, follow_up),) = rows(doc)
    assert (label, category, result, matched, follow_up) == (
        "Ana Ruiz, 1990-05-01", "Person", "No hit", "—", "")  # fmt: skip
    assert not [a for a in doc.all("a") if a.attrs.get("href", "").startswith("/rfis/")]


def test_a_csv_of_three_rows_is_answered_row_by_row(
    mx: tuple[TestClient, str], linked: Linked
) -> None:
    client, csrf = mx
    listed = ("category,given_names,paternal_surname,date_of_birth,manufacturer,serial,vin\n"
              "person,Ana,Ruiz,1990-05-01,,,\n"
              ",,,,GLOCK Ges.m.b.H.,BKRT5l2,\n"
              "person,José,Hernández,1984-03-12,,,\n").encode("latin-1")  # fmt: skip
    status, doc, html = ask(client, csrf, files={"csv": ("list.csv", listed, "text/csv")})
    assert status == 200
    found = [(r[1], r[2], r[3]) for r in rows(doc)]
    assert found == [("Ana Ruiz, 1990-05-01", "Person", "No hit"),
                     ("GLOCK Ges.m.b.H. BKRT5l2", "Firearm", "Hit"),
                     ("José Hernández, 1984-03-12", "Person", "Hit")]  # fmt: skip
    assert "manufacturer and serial number, allowing misread characters" in rows(doc)[1][4]
    query = _query_id(doc)
    assert [a.attrs["href"] for a in doc.all("a") if a.text() == "Request information"] == [
        f"/rfis/new?query={query}&subject=1", f"/rfis/new?query={query}&subject=2"]  # fmt: skip
    assert_nothing_of_the_partners_records(html.replace("José Hernández", ""), linked)
    recent = page(client.get("/hits").text)
    assert recent.one("a", href=f"/hits/queries/{query}")


def test_a_missing_case_reference_is_shown_next_to_its_field(mx: tuple[TestClient, str]) -> None:
    client, csrf = mx
    status, doc, _ = ask(client, csrf, case_reference=" ", given_names="Ana",
                         paternal_surname="Ruiz", date_of_birth="1990-05-01")  # fmt: skip
    assert status == 422
    summary = doc.one(id="error-summary")
    assert summary.one("a", href="#f-case_reference").text() == "A case reference is required."
    field = doc.one("input", name="case_reference")
    assert field.attrs["aria-invalid"] == "true"
    assert "f-case_reference-error-1" in field.attrs["aria-describedby"]
    assert doc.one("input", name="given_names").attrs["value"] == "Ana"  # kept as typed


def test_a_firearm_without_its_maker_is_refused_at_the_field(mx: tuple[TestClient, str]) -> None:
    client, csrf = mx
    status, doc, _ = ask(client, csrf, category="firearm", serial="BKRT512")
    assert status == 422
    assert "as well as its serial" in doc.one(id="f-manufacturer-error-1").text()


def test_csv_problems_name_the_line_and_column(mx: tuple[TestClient, str]) -> None:
    client, csrf = mx
    listed = b"serial,manufacturer,colour\n"
    status, doc, _ = ask(client, csrf, files={"csv": ("list.csv", listed, "text/csv")})
    assert status == 422
    assert doc.one(id="f-csv-error-1").text().startswith("Error: Line 1, column colour: Unknown")
    listed = b"serial,manufacturer\nX1,Colt\n123,\n"
    status, doc, _ = ask(client, csrf, files={"csv": ("list.csv", listed, "text/csv")})
    assert "Line 3, column manufacturer: A firearm needs its manufacturer" in doc.one(
        id="error-summary").text()  # fmt: skip


def test_another_users_query_is_not_found(mx: tuple[TestClient, str], linked: Linked) -> None:
    client, csrf = mx
    _, doc, _ = ask(client, csrf, given_names="Ana", paternal_surname="Ruiz",
                    date_of_birth="1990-05-01")  # fmt: skip
    query = _query_id(doc)
    add_user(linked.mx, "lupe", "FGR", ["analyst"])
    with TestClient(create_app(linked.mx), follow_redirects=False) as other:
        sign_in(other, "lupe")
        assert other.get(f"/hits/queries/{query}").status_code == 404
        assert not page(other.get("/hits").text).all("a", href=f"/hits/queries/{query}")


def test_an_unreachable_partner_is_said_next_to_the_partner(
    mx: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    import httpx

    from puente.hits import transport as hit_transport

    @contextmanager
    def down(*_args: object) -> Iterator[httpx.Client]:
        raise httpx.ConnectError("connection refused")
        yield  # pragma: no cover

    monkeypatch.setattr(hit_transport, "partner_client", down)
    client, csrf = mx
    status, doc, _ = ask(client, csrf, given_names="Ana", paternal_surname="Ruiz",
                         date_of_birth="1990-05-01")  # fmt: skip
    assert status == 503
    assert "Could not query us-node" in doc.one(id="f-partner-error-1").text()


def test_other_dates_of_birth_alone_ask_about_a_person(
    mx: tuple[TestClient, str], linked: Linked
) -> None:
    client, csrf = mx
    status, doc, html = ask(client, csrf, category="person", given_names="Pepe",
                            paternal_surname="Hernandez",
                            other_dates_of_birth=HELD_PERSON["date_of_birth"])  # fmt: skip
    assert status == 200
    ((_, label, _, result, matched, _),) = rows(doc)
    assert (label, result) == ("Pepe Hernandez, 1984-03-12", "Hit")
    assert "name and date of birth" in matched
    assert_nothing_of_the_partners_records(html, linked)


def test_a_bad_other_date_of_birth_is_shown_next_to_its_field(mx: tuple[TestClient, str]) -> None:
    client, csrf = mx
    status, doc, _ = ask(client, csrf, given_names="Ana", paternal_surname="Ruiz",
                         date_of_birth="1990-05-01",
                         other_dates_of_birth="1990-01-05\n05/01/1990")  # fmt: skip
    assert status == 422
    assert doc.one(id="f-other_dates_of_birth-error-1").text() == (
        "Error: Entry 2: 05/01/1990 is not a date of birth (YYYY-MM-DD or YYYY)."
    )
    field = doc.one("textarea", name="other_dates_of_birth")
    assert field.attrs["aria-invalid"] == "true"
    assert field.text() == "1990-01-05 05/01/1990"  # kept as typed
