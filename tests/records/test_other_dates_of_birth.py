"""A person record lists every date of birth its sources give ("alt. DOB" in the OFAC list):
date_of_birth, and other_dates_of_birth beside it, each a date like date_of_birth, through the
form, the REST API and an import, and each refused at its own line when it is no date."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from puente.accounts import service as accounts
from puente.errors import InvalidInput
from puente.i18n import translate
from puente.node import Node
from puente.policy.roles import Principal
from puente.records import builder
from puente.records import service as records
from puente.records.extensions import definitions
from puente.records.kinds import EXT_PERSON
from puente.records.validation import ObjectChecker
from puente.web.app import create_app
from tests.support.hostile import PERSON, person
from tests.support.nodes import add_user
from tests.support.pages import page, sign_in
from tests.support.records import oasis_errors

NAMES = {"given_names": "Ana", "paternal_surname": "Ruiz"}


def test_the_dates_are_stored_in_the_person_extension_and_read_back_one_a_line() -> None:
    obj = builder.build("person", {**NAMES, "date_of_birth": "1990-05-01",
                                   "other_dates_of_birth": "1990-01-05\n 1991-05-01 \n"}, "FGR")  # fmt: skip
    details = obj["extensions"][EXT_PERSON]
    assert details["date_of_birth"] == "1990-05-01"
    assert details["other_dates_of_birth"] == ["1990-01-05", "1991-05-01"]
    assert oasis_errors(obj) == []
    assert builder.fields_of("person", obj)["other_dates_of_birth"] == "1990-01-05\n1991-05-01"


def test_other_dates_may_come_without_a_date_of_birth_and_as_a_json_list() -> None:
    obj = builder.build("person", {**NAMES, "other_dates_of_birth": ["1990-01-05"]}, "FGR")
    details = obj["extensions"][EXT_PERSON]
    assert "date_of_birth" not in details
    assert details["other_dates_of_birth"] == ["1990-01-05"]


@pytest.mark.parametrize(
    ("value", "pointer", "bad"),
    [
        ("1990-01-05\n05/01/1990", "/other_dates_of_birth/1", "05/01/1990"),
        (["1990-02-30"], "/other_dates_of_birth/0", "1990-02-30"),
        # A record's date of birth is a whole date: so is each other one.
        (["1990"], "/other_dates_of_birth/0", "1990"),
    ],
)
def test_a_bad_date_is_refused_at_its_line_in_either_language(
    value: Any, pointer: str, bad: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        builder.build("person", {**NAMES, "other_dates_of_birth": value}, "FGR")
    (problem,) = refused.value.problems
    assert problem.pointer == pointer
    assert translate("en", problem.message, **problem.params) == (
        f"{bad} is not a date of birth: write each as YYYY-MM-DD, such as 1984-03-12."
    )
    assert translate("es", problem.message, **problem.params) == (
        f"{bad} no es una fecha de nacimiento: escriba cada una como AAAA-MM-DD, por "
        "ejemplo 1984-03-12."
    )


def test_the_published_person_definition_names_the_property_in_a_new_version() -> None:
    (published,) = [d for d in definitions() if d["id"] == EXT_PERSON]
    schema = json.loads(published["schema"])
    assert schema["properties"]["other_dates_of_birth"] == {
        "type": "array", "items": {"type": "string", "format": "date"}
    }  # fmt: skip
    assert published["version"] == "1.1.0"
    assert published["modified"] > published["created"]
    others = [d for d in definitions() if d["type"] == "extension-definition"]
    assert {d["version"] for d in others if d["id"] != EXT_PERSON} == {"1.0.0"}


def test_an_imported_person_is_checked_date_by_date() -> None:
    good = person()
    good["extensions"][EXT_PERSON]["other_dates_of_birth"] = ["1984-12-03"]
    assert ObjectChecker().check(good, "/objects/0")
    bad = person()
    bad["extensions"][EXT_PERSON]["other_dates_of_birth"] = ["1984-12-03", "03/12/1984"]
    checker = ObjectChecker()
    assert not checker.check(bad, "/objects/0")
    (problem,) = checker.problems
    assert problem.pointer == f"/objects/0/{PERSON}/other_dates_of_birth/1"
    assert translate("en", problem.message, **problem.params) == (
        "other_dates_of_birth must be a date such as 1984-03-12."
    )


def test_an_import_stores_them_and_refuses_a_person_with_a_bad_one(
    node: Node, analyst: Principal
) -> None:
    good = person()
    good["extensions"][EXT_PERSON]["other_dates_of_birth"] = ["1984-12-03"]
    bad = person()
    bad["extensions"][EXT_PERSON]["other_dates_of_birth"] = [19841203]
    with pytest.raises(InvalidInput) as refused, node.db.session() as session:
        records.import_objects(session, node.settings, analyst, [good, bad])
    assert [p.pointer for p in refused.value.problems] == [
        f"/objects/1/{PERSON}/other_dates_of_birth/0"
    ]
    with node.db.session() as session:
        records.import_objects(session, node.settings, analyst, [good])
    with node.db.session() as session:
        view = records.get(session, analyst, good["id"])
    assert view.content["extensions"][EXT_PERSON]["other_dates_of_birth"] == ["1984-12-03"]


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


def test_the_rest_api_takes_a_list_and_points_at_a_bad_date(
    client: TestClient, node: Node, analyst: Principal
) -> None:
    with node.db.session() as session:
        token = accounts.create_token(session, analyst, analyst.username, "tests", 1).token
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "es"}
    body: dict[str, Any] = {
        "kind": "person",
        "fields": {**NAMES, "date_of_birth": "1990-05-01",
                   "other_dates_of_birth": ["1990-01-05", "1991-05-01"]},
        "markings": {"tlp": "AMBER"},
    }  # fmt: skip
    created = client.post("/api/v1/records", json=body, headers=headers)
    assert created.status_code == 201, created.text
    details = created.json()["object"]["extensions"][EXT_PERSON]
    assert details["other_dates_of_birth"] == ["1990-01-05", "1991-05-01"]
    body["fields"]["other_dates_of_birth"] = ["1990-01-05", "1991-13-01"]
    refused = client.post("/api/v1/records", json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["pointer"].endswith("/other_dates_of_birth/1")
    assert error["detail"].startswith("1991-13-01 no es una fecha de nacimiento")


def test_the_form_takes_one_a_line_says_which_is_wrong_and_the_page_shows_them(
    client: TestClient, node: Node
) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    csrf = sign_in(client, "ana")
    form = page(client.get("/records/new/person").text)
    assert form.one("textarea", name="other_dates_of_birth")
    data = {"csrf_token": csrf, **NAMES, "date_of_birth": "1990-05-01",
            "other_dates_of_birth": "1990-01-05\nsometime in 1991", "markings.tlp": "AMBER"}  # fmt: skip
    rejected = client.post("/records/new/person", data=data)
    assert rejected.status_code == 422
    said = page(rejected.text).one(id="f-other_dates_of_birth-error-1").text()
    assert "Entry 2" in said
    assert "sometime in 1991 is not a date of birth" in said
    created = client.post("/records/new/person",
                          data={**data, "other_dates_of_birth": "1990-01-05\n1991-05-01"})  # fmt: skip
    assert created.status_code == 303, created.text
    facts = page(client.get(created.headers["location"]).text).all("dl")[0]
    assert "Other dates of birth" in facts.text()
    assert [li.text() for li in facts.all("li")] == ["1990-01-05", "1991-05-01"]
