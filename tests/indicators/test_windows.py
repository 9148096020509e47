"""CBP drug windows across separate imports: each fiscal year is held whole from the newest
window imported so far, whatever order the windows come in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from puente.indicators import store
from puente.indicators.models import SourceFigure, SourceFiscalYear
from puente.indicators.sources.cbp_drugs import read_cbp_drugs
from puente.node import Node
from puente.policy.roles import Principal
from tests.support.indicators import DATA, DRUG_HEADER, drug_row, real_data, write_csv
from tests.support.nodes import add_user

Cell = tuple[date, str, str]


@pytest.fixture
def coordinator(node: Node) -> Principal:
    return add_user(node, "laura", "INL", ["coordinator"])


def figures(node: Node) -> dict[Cell, float]:
    with node.db.session() as session:
        rows = session.execute(select(SourceFigure.period, SourceFigure.dims,
                                      SourceFigure.measure, SourceFigure.value))  # fmt: skip
        return {(period, dims, measure): value for period, dims, measure, value in rows}


def read_together(*paths: Path) -> dict[Cell, float]:
    observations, _ = read_cbp_drugs(list(paths))
    return {(o.period, store.dims_key(o), o.measure): o.value for o in observations}


def load(node: Node, who: Principal, *paths: Path) -> store.Stored:
    with node.db.session() as session:
        return store.import_files(session, who, "cbp-drugs", list(paths))


def windows(tmp_path: Path) -> tuple[Path, Path]:
    older = write_csv(tmp_path / "fy23_24.csv", DRUG_HEADER, [
        drug_row("2023", "OCT", "SAN DIEGO FIELD OFFICE", "Fentanyl", "10", "100.5"),
        drug_row("2024 (FYTD)", "JAN", "SAN DIEGO FIELD OFFICE", "Fentanyl", "7", "70"),
        drug_row("2024 (FYTD)", "FEB", "TUCSON FIELD OFFICE", "Heroin", "1", "2"),
    ])  # fmt: skip
    newer = write_csv(tmp_path / "fy24_25.csv", DRUG_HEADER, [
        # CBP revised January 2024 and no longer lists February's heroin seizure.
        drug_row("2024", "JAN", "San Diego Field Office", "Fentanyl", "8", "71.25"),
        drug_row("2025 (FYTD)", "MAR", "San Diego Field Office", "Fentanyl", "3", "30"),
    ])  # fmt: skip
    return older, newer


def test_an_older_window_imported_later_leaves_the_newer_years_alone(
    node: Node, coordinator: Principal, tmp_path: Path
) -> None:
    older, newer = windows(tmp_path)
    load(node, coordinator, newer)
    again = load(node, coordinator, older)
    assert figures(node) == read_together(older, newer)
    # Only FY2023 comes in: no newer window holds it.
    assert (again.added, again.changed, again.removed) == (2, 0, 0)
    (note,) = again.skipped_notes
    assert (note.source, note.line) == ("fy23_24.csv", 3)
    assert note.text() == ("FY2024 is held from a newer file (fy24_25.csv, through 2025-03); "
                           "the figures of fy23_24.csv for that year are left out.")  # fmt: skip
    with node.db.session() as session:
        held = session.execute(select(SourceFiscalYear.fiscal_year, SourceFiscalYear.through,
                                      SourceFiscalYear.source)).all()  # fmt: skip
    assert sorted(held) == [(2023, date(2024, 2, 1), "fy23_24.csv"),
                            (2024, date(2025, 3, 1), "fy24_25.csv"),
                            (2025, date(2025, 3, 1), "fy24_25.csv")]  # fmt: skip


def test_a_newer_window_replaces_its_years_whole(
    node: Node, coordinator: Principal, tmp_path: Path
) -> None:
    older, newer = windows(tmp_path)
    load(node, coordinator, older)
    stored = load(node, coordinator, newer)
    assert figures(node) == read_together(older, newer)
    assert not any("Heroin" in dims for _, dims, _ in figures(node))
    assert stored.removed == 2  # February's heroin events and pounds
    assert any("2 figures that fy24_25.csv no longer lists" in n.text() for n in stored.warnings)


def test_the_same_window_twice_changes_nothing(
    node: Node, coordinator: Principal, tmp_path: Path
) -> None:
    newer = windows(tmp_path)[1]
    load(node, coordinator, newer)
    before = figures(node)
    again = load(node, coordinator, newer)
    assert (again.added, again.changed, again.removed, again.skipped) == (0, 0, 0, 0)
    assert again.unchanged == len(before)
    assert figures(node) == before


@real_data
def test_real_windows_in_any_order_store_what_reading_them_together_gives(
    node: Node, coordinator: Principal
) -> None:
    older = DATA / "cbp" / "cbp_drug_seizures_fy22_25.csv"
    newer = DATA / "cbp" / "nationwide-drugs-fy23-fy26-apr.csv"
    expected = read_together(older, newer)
    assert len(expected) == 22304
    load(node, coordinator, newer)
    again = load(node, coordinator, older)
    assert figures(node) == expected
    assert again.changed == 0
    assert {n.params["year"] for n in again.skipped_notes} == {2023, 2024, 2025}
    load(node, coordinator, newer)
    assert figures(node) == expected
    # Older first, then newer: FY2025 cells only the older window listed are removed, e.g.
    # San Diego Sector ecstasy in April 2025 (1765.8846 lb).
    with node.db.session() as session:
        session.execute(SourceFigure.__table__.delete())  # type: ignore[attr-defined]
        session.execute(SourceFiscalYear.__table__.delete())  # type: ignore[attr-defined]
    load(node, coordinator, older)
    ecstasy = [v for (period, dims, measure), v in figures(node).items()
               if period == date(2025, 4, 1) and "aor=San Diego Sector" in dims
               and "drug=Ecstasy" in dims and measure == "weight_lb"]  # fmt: skip
    assert ecstasy == [1765.8846]
    stored = load(node, coordinator, newer)
    assert figures(node) == expected
    assert stored.removed > 0


def test_years_held_before_windows_were_recorded_count_as_their_file(
    node: Node, coordinator: Principal, tmp_path: Path
) -> None:
    # A node upgraded with figures already held has no window recorded for them.
    older, newer = windows(tmp_path)
    load(node, coordinator, newer)
    before = figures(node)
    with node.db.session() as session:
        session.execute(SourceFiscalYear.__table__.delete())  # type: ignore[attr-defined]
    again = load(node, coordinator, older)
    assert {n.params["year"] for n in again.skipped_notes} == {2024}
    assert again.removed == 0
    assert {cell: v for cell, v in figures(node).items() if cell in before} == before


@real_data
def test_the_shipped_subset_keeps_its_years_when_an_older_window_comes(
    node: Node, coordinator: Principal
) -> None:
    with node.db.session() as session:
        store.import_shipped(session, coordinator)
    shipped = figures(node)
    again = load(node, coordinator, DATA / "cbp" / "cbp_drug_seizures_fy22_25.csv")
    assert {n.params["year"] for n in again.skipped_notes} == {2023, 2024, 2025}
    assert again.removed == 0
    assert {cell: v for cell, v in figures(node).items() if cell in shipped} == shipped
