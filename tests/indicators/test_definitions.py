"""Indicators in the plan file: defined, computed from imported figures or entered by hand,
with clear errors for a target without a date or an observation in the wrong unit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from puente.errors import InvalidInput
from puente.i18n import translate
from puente.indicators import compute, store
from puente.indicators.definitions import Point
from puente.node import Node
from puente.plan import indicators, yaml_io
from puente.policy.roles import Principal
from tests.support.indicators import INDICATORS, SAMPLE
from tests.support.nodes import add_user

HEADER = "FY,Month (abbv),Component,Region,Land Filter,Area of Responsibility,Drug Type," \
         "Count of Event,Sum Qty (lbs)\n"  # fmt: skip


@pytest.fixture
def coordinator(node: Node) -> Principal:
    return add_user(node, "laura", "INL", ["coordinator"])


def _import(node: Node, who: Principal, text: str) -> yaml_io.ImportReport:
    with node.db.session() as session:
        return yaml_io.import_plan(session, node, who, text)


def test_indicators_are_computed_from_the_imported_figures_and_from_entries(
    node: Node, coordinator: Principal, tmp_path: Path
) -> None:
    figures = tmp_path / "drugs.csv"
    figures.write_text(HEADER + "".join(
        f"2024,OCT,Office of Field Operations,Southwest Border,Land Only,{aor},{drug},1,{lbs}\n"
        for aor, drug, lbs in (("SAN DIEGO FIELD OFFICE", "Fentanyl", 60.5),
                               ("TUCSON FIELD OFFICE", "Fentanyl", 40),
                               ("TUCSON FIELD OFFICE", "Cocaine", 999))), encoding="utf-8")  # fmt: skip
    with node.db.session() as session:
        store.import_files(session, coordinator, "cbp-drugs", [figures])
    report = _import(node, coordinator, SAMPLE + INDICATORS)
    assert (report.indicators, report.observations_added) == (2, 1)
    with node.db.session() as session:
        fentanyl, _ = indicators.get(session, "I1")
        assert fentanyl.objective_code == "1.1.1"
        assert compute.series(session, fentanyl) == {
            "San Diego Field Office": [Point(date(2023, 10, 1), 60.5)],
            "Tucson Field Office": [Point(date(2023, 10, 1), 40.0)],
        }
        manual, _ = indicators.get(session, "I2")
        assert compute.series(session, manual) == {"": [Point(date(2026, 10, 1), 4.0)]}
        exported = yaml_io.export(session, coordinator)
    again = _import(node, coordinator, exported)
    assert (again.indicators, again.observations_added, again.changed) == (0, 0, 0)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ('- {date: "2024-09-01", value: "150"}', '- {value: "150"}'),
            "Line 55: A target or baseline needs a date.",
        ),
        (
            ("unit: operations, note", "unit: kg, note"),
            "Line 62: I2 is measured in operations, not kg.",
        ),
        (
            ("measure: weight_lb", "measure: tonnes"),
            "Line 50: cbp.drugs has no measure tonnes; use one of: weight_lb, events.",
        ),
        (
            ('value: "4", unit', 'value: "1,5", unit'),
            "Line 62: 1,5: write decimals with a point (1.5); a comma only separates thousands "
            "(12,345.6).",
        ),
        (('value: "4", unit', "unit"), "Line 62: An observation needs a value."),
        (
            ("filters: {region: Southwest Border, drug: Fentanyl}",
             "filters: {region: Southwest Border, drug: [Fentanyl, Cocaine]}"),
            "Line 51: The filter drug takes one value, written as text.",
        ),
        (
            ("filters: {region: Southwest Border, drug: Fentanyl}",
             "filters: {region: Southwest Border, drug: }"),
            "Line 51: The filter drug needs a value.",
        ),
        (
            ("    source: manual\n", "    source: manual\n    dataset: cbp.drugs\n"),
            "Line 61: A manual indicator has no dataset: its figures do not come from a dataset.",
        ),
        (('value: "100"}', 'value: "0x10"}'), "Line 53: 0x10 is not a number."),
        (('value: "4", unit', 'value: "1_5", unit'), "Line 62: 1_5 is not a number."),
        (('period: "2026-10"', 'period: "2999-10"'),
         "Line 62: 2999-10 has not begun: enter a month's figure once the month has begun."),
    ],
    ids=["target without a date", "observation in the wrong unit", "unknown measure",
         "decimal comma", "observation without a value", "filter of two values", "empty filter",
         "manual indicator with a dataset", "hexadecimal", "underscore", "month ahead"],
)  # fmt: skip
def test_bad_indicators_name_the_line_and_import_nothing(
    node: Node, coordinator: Principal, edit: tuple[str, str], expected: str
) -> None:
    old, new = edit
    assert old in INDICATORS
    with pytest.raises(InvalidInput) as refused:
        _import(node, coordinator, SAMPLE + INDICATORS.replace(old, new))
    messages = [translate("en", p.message, **p.params) for p in refused.value.problems]
    assert expected in messages, messages
    assert len(messages) == 1, messages  # one problem, said once
    with node.db.session() as session:
        assert indicators.indicators(session) == []


def test_a_thousands_separator_still_reads(node: Node, coordinator: Principal) -> None:
    _import(node, coordinator, SAMPLE + INDICATORS.replace('value: "150"', 'value: "12,345.5"'))
    with node.db.session() as session:
        fentanyl, _ = indicators.get(session, "I1")
    assert fentanyl.targets[0].value == 12345.5


def test_the_same_figure_without_its_id_is_added_once(node: Node, coordinator: Principal) -> None:
    # A plan file written by hand carries no ids: read twice, its figures must not double.
    for _ in range(2):
        _import(node, coordinator, SAMPLE + INDICATORS)
    with node.db.session() as session:
        manual, _ = indicators.get(session, "I2")
        assert compute.series(session, manual) == {"": [Point(date(2026, 10, 1), 4.0)]}
