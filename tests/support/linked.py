"""Two nodes in one process: Mexico asks, the United States answers, over an in-memory HTTP.

Faster than tests/functional's pair of real processes, and the same code runs on both sides:
Mexico's calls to the partner go to the United States node's app through a test client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from puente.hits import refresh
from puente.hits import transport as hit_transport
from puente.node import Node
from puente.policy.markings import Markings
from puente.records import service as records
from tests.support.nodes import MX_SECRET, US_SECRET, add_user, make_node, pair

SEARCHABLE = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"MEX"}))
# What the United States node holds: nothing of it may reach Mexico's analyst.
HELD_PERSON = {"given_names": "José Luis", "paternal_surname": "Hernández",
               "maternal_surname": "Peña", "date_of_birth": "1984-03-12"}  # fmt: skip
HELD_FIREARM = {"name": "Pistola asegurada", "manufacturer": "Glock", "serial_number": "BKRT512"}


@dataclass
class Linked:
    us: Node
    mx: Node
    held: list[str]  # the stix ids of the US records Mexico may search


def link(
    node: Node, tmp_path: Path, mx_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Linked]:
    """The `linked` fixture (tests/conftest.py): the US node ``node`` and a Mexico node."""
    mx = make_node(tmp_path / "mx", mx_url, "MEX", "mx-node")
    add_user(mx, "mxadmin", "FGR", ["admin"])
    pair(node, mx, "http://us.test")
    officer = add_user(node, "cbp1", "CBP", ["analyst"])
    held = []
    with node.db.session() as session:
        for kind, fields in (("person", HELD_PERSON), ("firearm", HELD_FIREARM)):
            view = records.create(session, node.settings, officer, kind, dict(fields), SEARCHABLE)
            held.append(view.stix_id)
    refresh.refresh_partners(node)
    us_app = TestClient(_app(node), base_url="http://us.test")

    @contextmanager
    def to_us(_node: Node, _partner_id: int) -> Iterator[httpx.Client]:
        us_app.auth = httpx.BasicAuth("mx-node", US_SECRET)
        yield us_app

    monkeypatch.setattr(hit_transport, "partner_client", to_us)
    yield Linked(node, mx, held)
    mx.close()


def _app(node: Node) -> object:
    from puente.web.app import create_app

    return create_app(node)


def route_both_ways(linked: Linked, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """Each node's calls to its partner (messages, syncs) reach the other's app, signed in as
    for TAXII; the two apps, US first."""
    from puente.rfis import transport
    from puente.sharing import sync

    us_app, mx_app = _app(linked.us), _app(linked.mx)
    to_us = TestClient(us_app, base_url="http://us.test")
    to_us.auth = httpx.BasicAuth("mx-node", US_SECRET)
    to_mx = TestClient(mx_app, base_url="http://mx.test")
    to_mx.auth = httpx.BasicAuth("us-node", MX_SECRET)

    @contextmanager
    def partner_client(node: Node, _partner_id: int) -> Iterator[httpx.Client]:
        yield to_us if node is linked.mx else to_mx

    monkeypatch.setattr(transport, "partner_client", partner_client)
    monkeypatch.setattr(sync, "partner_client", partner_client)
    return us_app, mx_app
