"""Importing public datasets into the node: idempotent, revisions replace, bad files store
nothing, and every import is recorded with what it skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from puente.errors import InvalidInput
from puente.indicators import store
from puente.indicators.models import SourceFigure, SourceImport
from puente.node import Node
from puente.policy.roles import Principal
from tests.support.nodes import add_user

HEADER = "FY,Month (abbv),Component,Region,Land Filter,Area of Responsibility,Drug Type," \
         "Count of Event,Sum Qty (lbs)\n"  # fmt: skip
ROW = "2024,{month},Office of Field Operations,Southwest Border,Land Only," \
      "SAN DIEGO FIELD OFFICE,Fentanyl,{events},{lbs}\n"  # fmt: skip


@pytest.fixture
def coordinator(node: Node) -> Principal:
    return add_user(node, "laura", "INL", ["coordinator"])


def _write(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _count(node: Node, model: type[SourceFigure] | type[SourceImport]) -> int:
    with node.db.session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_an_import_is_idempotent_and_a_revision_replaces_the_figure(
    node: Node, coordinator: Principal, tmp_path: Path
) -> None:
    first = _write(tmp_path / "v1.csv", ROW.format(month="OCT", events=10, lbs=120.5),
                   ROW.format(month="NOV", events=12, lbs=99.0))  # fmt: skip
    with node.db.session() as session:
        stored = store.import_files(session, coordinator, "cbp-drugs", [first])
    assert (stored.added, stored.changed, stored.unchanged) == (4, 0, 0)
    with node.db.session() as session:
        again = store.import_files(session, coordinator, "cbp-drugs", [first])
    assert (again.added, again.changed, again.unchanged) == (0, 0, 4)
    revised = _write(tmp_path / "v2.csv", ROW.format(month="OCT", events=11, lbs=120.5),
                     ROW.format(month="NOV", events=12, lbs=99.0))  # fmt: skip
    with node.db.session() as session:
        third = store.import_files(session, coordinator, "cbp-drugs", [revised])
        figure = session.execute(
            select(SourceFigure).where(SourceFigure.measure == "events")
            .order_by(SourceFigure.period)
        ).scalars().first()  # fmt: skip
        assert figure is not None
        assert (str(figure.period), figure.value, figure.source) == ("2023-10-01", 11.0, "v2.csv")
    assert (third.added, third.changed, third.unchanged) == (0, 1, 3)
    assert _count(node, SourceImport) == 3


def test_a_bad_file_stores_nothing(node: Node, coordinator: Principal, tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.csv", ROW.format(month="OCT", events=10, lbs=1.0),
                 ROW.format(month="XYZ", events=1, lbs=2.0))  # fmt: skip
    with pytest.raises(InvalidInput) as refused, node.db.session() as session:
        store.import_files(session, coordinator, "cbp-drugs", [bad])
    assert refused.value.problems[0].pointer == "/bad.csv/line/3/Month (abbv)"
    assert _count(node, SourceFigure) == 0
    assert _count(node, SourceImport) == 0


def test_the_shipped_subset_imports(node: Node, coordinator: Principal) -> None:
    with node.db.session() as session:
        stored = store.import_shipped(session, coordinator)
    assert stored.added > 1000
    assert _count(node, SourceFigure) == stored.added


def test_only_coordinators_import(node: Node, tmp_path: Path) -> None:
    from puente.errors import Forbidden

    analyst = add_user(node, "ana", "CBP", ["analyst"])
    with pytest.raises(Forbidden), node.db.session() as session:
        store.import_files(session, analyst, "cbp-drugs", [tmp_path / "x.csv"])
