"""The demo plan, without a database: repeatable, the promised size, and fictional."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date

import pytest

from puente.demo.plan import Plan
from puente.demo.scenario import build_plan
from puente.records.text import fold
from tests.support.markers import SHARED_DATA, needs_shared_data

DAY = date(2026, 5, 4)
SDN = SHARED_DATA / "sanctions" / "ofac_sdn_2021-07"


def _documents(plan: Plan, kind: str, prop: str) -> set[str]:
    return {str(i.fields[prop]) for i in plan.items if i.kind == kind and prop in i.fields}


def test_the_same_node_and_day_give_the_same_plan() -> None:
    first, second = build_plan("us-node", "USA", DAY), build_plan("us-node", "USA", DAY)
    assert [(i.stix_id, i.fields, i.markings, i.created) for i in first.items] == [
        (i.stix_id, i.fields, i.markings, i.created) for i in second.items
    ]


def test_two_nodes_never_share_record_ids() -> None:
    us, mx = build_plan("us-node", "USA", DAY), build_plan("mx-node", "MEX", DAY)
    assert not {i.stix_id for i in us.items} & {i.stix_id for i in mx.items}


@pytest.mark.parametrize("country", ["USA", "MEX"])
def test_plan_has_the_promised_size(country: str) -> None:
    kinds = Counter(i.kind for i in build_plan("n1", country, DAY).items)
    assert kinds["location"] == 27
    assert kinds["criminal-organization"] == 6
    assert kinds["person"] == 60
    assert kinds["seizure"] == 80
    assert kinds["firearm"] == 40
    assert kinds["vehicle"] == 30
    assert kinds["relationship"] >= 120
    assert kinds["note"] >= 3
    assert kinds["report"] == 2
    assert kinds["incident"] == 2


def test_both_countries_hold_some_of_the_same_subjects() -> None:
    """What a hit/no-hit query between the two demo nodes will find, even when the two
    were seeded on different days."""
    us, mx = build_plan("us-node", "USA", DAY), build_plan("mx-node", "MEX", date(2026, 9, 30))
    assert len(_documents(us, "vehicle", "vin") & _documents(mx, "vehicle", "vin")) == 4
    assert (
        len(_documents(us, "firearm", "serial_number") & _documents(mx, "firearm", "serial_number"))
        == 6
    )

    def curps(plan: Plan) -> set[str]:
        return {
            str(d).split(":")[1]
            for i in plan.items
            if i.kind == "person"
            for d in i.fields.get("documents", [])  # type: ignore[attr-defined]
            if str(d).startswith("CURP:")
        }

    assert len(curps(us) & curps(mx)) == 8


@needs_shared_data
def test_no_demo_person_is_named_like_a_sanctioned_individual() -> None:
    names: set[str] = set()
    with (SDN / "sdn.csv").open(encoding="cp1252", newline="") as handle:
        names |= {
            fold(r[1]) for r in csv.reader(handle) if len(r) > 2 and r[2].strip() == "individual"
        }
    with (SDN / "alt.csv").open(encoding="cp1252", newline="") as handle:
        names |= {fold(r[3]) for r in csv.reader(handle) if len(r) > 3}
    for country in ("USA", "MEX"):
        for item in build_plan("n1", country, DAY).items:
            if item.kind != "person":
                continue
            f = item.fields
            surnames = f"{f['paternal_surname']} {f.get('maternal_surname', '')}"
            assert fold(f"{surnames}, {f['given_names']}") not in names, f
