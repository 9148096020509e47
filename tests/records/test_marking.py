"""What a stored record is marked with when it comes without markings: its own node's
defaults, whichever other nodes the same process has opened."""

from __future__ import annotations

from pathlib import Path

from puente.config import load_settings
from puente.node import Node
from puente.records.marking import default_markings
from tests.support.nodes import make_node


def test_each_nodes_defaults_are_its_own_however_many_nodes_one_process_opens(
    node: Node, tmp_path: Path, partner_database_url: str
) -> None:
    """A freed settings object's id goes to a later one (CPython): defaults cached by id gave
    a Mexican node's unmarked record REL TO USA, and its persons the United States'
    searchable-by, in about one read of five when one process opened both nodes in turn (the
    demo, the command line in tests)."""
    make_node(tmp_path / "mx", partner_database_url, "MEX", "mx-node").close()
    folders = {"USA": node.settings.data_dir, "MEX": tmp_path / "mx"}
    wrong = []
    for round_ in range(2000):
        country = ("USA", "MEX")[round_ % 2]
        person = default_markings(load_settings(Path(folders[country])), "person")
        if person.rel_to != frozenset({country}) or country in person.searchable_by:
            wrong.append((round_, country, sorted(person.rel_to)))
    assert wrong == []
