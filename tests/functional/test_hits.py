"""Hit/no-hit between two real nodes: Mexico asks, the United States answers blind; and two
nodes of different match-key spec versions answer each other (issue 16)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import select

from puente.audit.models import AuditEntry
from puente.errors import InvalidInput
from puente.hits import psi
from puente.hits import transport as hit_transport
from puente.hits.answering import QUERY_TYPE, RECEIVED, SENT
from puente.hits.keys import LATEST
from puente.hits.models import HitQuery, PartnerPrintState
from puente.hits.subjects import Subject
from puente.node import Node, open_node
from puente.policy.markings import Markings, apply_markings
from puente.records import builder
from puente.sharing import signing
from tests.support.nodes import US_SECRET, add_user, make_node, pair
from tests.support.servers import Pair, free_port, import_objects, puente, start_server

SEARCHABLE = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"MEX"}))


def _person(given: str, paternal: str, maternal: str, dob: str) -> dict[str, object]:
    obj = builder.build("person", {"given_names": given, "paternal_surname": paternal,
                                   "maternal_surname": maternal, "date_of_birth": dob}, "CBP")  # fmt: skip
    apply_markings(obj, SEARCHABLE)
    return obj


def test_an_analyst_learns_hit_or_no_hit_and_nothing_else(pair: Pair, tmp_path: Path) -> None:
    import_objects(pair.us, [_person("José Luis", "Hernández", "Peña", "1984-03-12")], tmp_path)
    indexed = puente("hits", "index", data_dir=pair.us).stdout
    # One line per spec version served; both nodes serve every version: the copy is the latest's.
    latest = next(line for line in indexed.splitlines() if f"spec version {LATEST}:" in line)
    keys = int(latest.split(": ")[1].split(" keys")[0])
    puente("sync", "us-node", data_dir=pair.mx)  # brings the partner's index along
    mx = open_node(pair.mx)
    try:
        with mx.db.session() as session:
            held = session.execute(select(PartnerPrintState)).scalar_one()
            assert (held.seq, held.key_count) == (1, keys)
        analyst = add_user(mx, "fer", "FGR", ["analyst"])
        known = Subject("person", "Pepe", "Hernandez", date_of_birth="1984-03-12")
        answer = hit_transport.ask(mx, analyst, "us-node", [known], case_reference="FGR/UEIDCS/0042/2026",
                            legal_basis="Tratado de Asistencia Jurídica Mutua, art. 1")  # fmt: skip
        assert answer.hit("person")
        assert "person.name-dob" in answer.matched["person"]
        assert answer.subjects[0].matched == answer.matched["person"]
        unknown = Subject("person", "Ana", "Ruiz", date_of_birth="1990-05-01")
        miss = hit_transport.ask(mx, analyst, "us-node", [unknown], case_reference="FGR/0043",
                          legal_basis="TAJM art. 1")  # fmt: skip
        assert not miss.hit("person")
        with pytest.raises(InvalidInput):
            hit_transport.ask(mx, analyst, "us-node", [known], case_reference=" ", legal_basis="")
        with mx.db.session() as session:
            refusals = list(session.execute(
                select(AuditEntry).where(AuditEntry.action == "hits.refused")
            ).scalars())  # fmt: skip
        assert [(e.actor, e.target) for e in refusals] == [("fer", "us-node")]
    finally:
        mx.close()
    us = open_node(pair.us)
    try:
        with us.db.session() as session:
            received = list(session.execute(
                select(HitQuery).where(HitQuery.direction == RECEIVED).order_by(HitQuery.created_at)
            ).scalars())  # fmt: skip
            assert [(q.agency, q.case_reference, q.key_count) for q in received] == [
                ("FGR", "FGR/UEIDCS/0042/2026", len(known.keys(LATEST).keys)),
                ("FGR", "FGR/0043", len(unknown.keys(LATEST).keys)),
            ]
            assert {q.subjects for q in received} == {"[]"}  # the subjects never cross
            logged = " ".join(
                str(e.details) for e in session.execute(
                    select(AuditEntry).where(AuditEntry.action == "hits.answer")
                ).scalars()
            )  # fmt: skip
            assert "FGR/UEIDCS/0042/2026" in logged
            assert "HERNANDES" not in logged.upper()  # the asked node never sees the keys
    finally:
        us.close()


def test_a_replayed_or_unsigned_query_is_refused(pair: Pair, tmp_path: Path) -> None:
    mx = open_node(pair.mx)
    try:
        analyst = add_user(mx, "fer", "FGR", ["analyst"])
        sent: list[bytes] = []
        original = httpx.Client.post

        def keep(self: httpx.Client, url: str, **kwargs: object) -> httpx.Response:
            sent.append(kwargs["content"])  # type: ignore[arg-type]
            return original(self, url, **kwargs)  # type: ignore[arg-type]

        httpx.Client.post = keep  # type: ignore[method-assign]
        try:
            hit_transport.ask(mx, analyst, "us-node", [Subject("person", "Ana", "Ruiz",
                       date_of_birth="1990-05-01")], case_reference="C-1",
                       legal_basis="L-1")  # fmt: skip
        finally:
            httpx.Client.post = original  # type: ignore[method-assign]
    finally:
        mx.close()
    auth = ("mx-node", US_SECRET)  # Mexico signs in to the US node with it
    url = f"{pair.us_url}{hit_transport.QUERY_PATH}"
    replay = httpx.post(url, content=sent[0], auth=auth,
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert replay.status_code == 409
    assert "replay" in replay.json()["detail"]
    forged = orjson.loads(sent[0])
    forged["case_reference"] = "another case"
    refused = httpx.post(url, content=orjson.dumps(forged), auth=auth)
    assert refused.status_code == 401
    garbage = httpx.post(url, content=b'{"type": "x-puente-hit-query"', auth=auth)
    assert garbage.status_code == 422


# --- Spec versions: each node lists the versions it serves (hits.spec_versions) ------------

FOR_MEXICO = SEARCHABLE
FOR_US = Markings(tlp="AMBER", rel_to=frozenset({"MEX"}), searchable_by=frozenset({"USA"}))


def _held(agency: str, markings: Markings, who: tuple[str, str, str, str], serial: str,
          vin: str) -> list[dict[str, object]]:  # fmt: skip
    """A person, a firearm and a vehicle a node holds for the other to search."""
    given, paternal, maternal, dob = who
    objects = [
        builder.build("person", {"given_names": given, "paternal_surname": paternal,
                                 "maternal_surname": maternal, "date_of_birth": dob}, agency),
        builder.build("firearm", {"name": "Pistola", "manufacturer": "Glock",
                                  "serial_number": serial}, agency),
        builder.build("vehicle", {"name": "Camioneta", "vin": vin}, agency),
    ]  # fmt: skip
    for obj in objects:
        apply_markings(obj, markings)
    return objects


US_HOLDS = ("José Luis", "Hernández", "Peña", "1984-03-12"), "BKRT512", "1HGCM82633A004352"
MX_HOLDS = ("María Guadalupe", "Chávez", "Ruiz", "1979-11-02"), "ABC1234", "3VWFE21C04M000001"


def _subjects(holds: tuple[tuple[str, str, str, str], str, str]) -> list[Subject]:
    (given, paternal, maternal, dob), serial, vin = holds
    return [
        Subject("person", given, paternal, maternal, date_of_birth=dob),
        Subject.from_dict({"category": "firearm", "manufacturer": "Glock", "serial": serial}),
        Subject.from_dict({"category": "vehicle", "vin": vin}),
    ]


UNKNOWN = [
    Subject("person", "Ana", "Ruiz", date_of_birth="1990-05-01"),
    Subject.from_dict({"category": "firearm", "manufacturer": "Glock", "serial": "ZZZ999"}),
    Subject.from_dict({"category": "vehicle", "vin": "1FTFW1ET5DFC10312"}),
]


@contextmanager
def _served(
    tmp_path: Path, database_url: str, mx_database_url: str, us: list[int], mx: list[int]
) -> Iterator[Pair]:
    """Both nodes served, each listing its spec versions, holding records the other may
    search, their indexes built (`puente hits index`)."""
    us_dir, mx_dir = tmp_path / "us", tmp_path / "mx"
    us_port, mx_port = free_port(), free_port()
    us_url, mx_url = f"http://127.0.0.1:{us_port}", f"http://127.0.0.1:{mx_port}"
    nodes = [
        make_node(folder, url, country, node_id,
                  sections={"sync": {"enabled": False}, "hits": {"spec_versions": versions}})
        for folder, url, country, node_id, versions in (
            (us_dir, database_url, "USA", "us-node", us),
            (mx_dir, mx_database_url, "MEX", "mx-node", mx),
        )
    ]  # fmt: skip
    try:
        pair(nodes[0], nodes[1], us_url, mx_url)
    finally:
        for node in nodes:
            node.close()
    import_objects(us_dir, _held("CBP", FOR_MEXICO, *US_HOLDS), tmp_path)
    import_objects(mx_dir, _held("SSPC", FOR_US, *MX_HOLDS), tmp_path)
    for folder in (us_dir, mx_dir):
        puente("hits", "index", data_dir=folder)
    served = Pair(us_dir, mx_dir, us_url, {}, mx_url)
    try:
        served.servers[us_dir] = start_server(us_dir, us_port)
        served.servers[mx_dir] = start_server(mx_dir, mx_port)
        yield served
    finally:
        for server in served.servers.values():
            server.terminate()
            server.wait(timeout=30)


def _asks(asker: Node, partner: str, subjects: list[Subject]) -> tuple[list[bool], int]:
    analyst = add_user(asker, "analista", "FGR" if partner == "us-node" else "CBP", ["analyst"])
    answer = hit_transport.ask(asker, analyst, partner, subjects, case_reference="C-16",
                               legal_basis="TAJM art. 1")  # fmt: skip
    with asker.db.session() as session:
        sent = session.get(HitQuery, (answer.query_id, SENT))
        assert sent is not None
        assert sent.spec_version == answer.spec_version
    return [s.hit for s in answer.subjects], answer.spec_version


def _both_ways(served: Pair) -> dict[str, tuple[list[bool], int]]:
    """Each node asks the other about what it holds and about what nobody holds."""
    found = {}
    for asker, partner, holds in ((served.mx, "us-node", US_HOLDS),
                                  (served.us, "mx-node", MX_HOLDS)):  # fmt: skip
        node = open_node(asker)
        try:
            found[f"{partner}:held"] = _asks(node, partner, _subjects(holds))
            found[f"{partner}:unknown"] = _asks(node, partner, UNKNOWN)
        finally:
            node.close()
    return found


def _received_versions(data_dir: Path) -> set[int]:
    node = open_node(data_dir)
    try:
        with node.db.session() as session:
            return set(session.execute(
                select(HitQuery.spec_version).where(HitQuery.direction == RECEIVED)
            ).scalars())  # fmt: skip
    finally:
        node.close()


def test_a_node_of_version_1_and_one_of_versions_1_and_2_answer_each_other_in_1(
    tmp_path: Path, database_url: str, mx_database_url: str
) -> None:
    with _served(tmp_path, database_url, mx_database_url, us=[1, 2], mx=[1]) as served:
        assert _both_ways(served) == {
            "us-node:held": ([True, True, True], 1),
            "us-node:unknown": ([False, False, False], 1),
            "mx-node:held": ([True, True, True], 1),
            "mx-node:unknown": ([False, False, False], 1),
        }
        assert _received_versions(served.us) == _received_versions(served.mx) == {1}


def test_two_nodes_of_versions_1_and_2_answer_each_other_in_2(
    tmp_path: Path, database_url: str, mx_database_url: str
) -> None:
    with _served(tmp_path, database_url, mx_database_url, us=[1, 2], mx=[1, 2]) as served:
        assert _both_ways(served) == {
            "us-node:held": ([True, True, True], 2),
            "us-node:unknown": ([False, False, False], 2),
            "mx-node:held": ([True, True, True], 2),
            "mx-node:unknown": ([False, False, False], 2),
        }
        assert _received_versions(served.us) == _received_versions(served.mx) == {2}
        _an_old_node_gets_version_1(served)


def _an_old_node_gets_version_1(served: Pair) -> None:
    """A node from before spec versions names none, in its download or its query: it gets
    version 1's index and answer, from a node that serves 1 and 2."""
    auth = ("mx-node", US_SECRET)
    index = httpx.get(f"{served.us_url}{hit_transport.INDEX_PATH}", params={"since": 0},
                      auth=auth)  # fmt: skip
    assert index.status_code == 200
    assert (index.json()["spec_version"], index.json()["spec_versions"]) == (1, [1, 2])
    asked = Subject("person", "Pepe", "Hernandez", date_of_birth="1984-03-12").keys(1)
    blinding = psi.Blinding()
    body = {"type": QUERY_TYPE, "id": str(uuid.uuid4()), "created": builder.stix_now(),
            "asking_node": "mx-node", "asked_node": "us-node", "agency": "FGR",
            "case_reference": "C-old", "legal_basis": "TAJM art. 1",
            "points": [base64.b64encode(blinding.blind(k)).decode() for k in asked.encoded()]}  # fmt: skip
    signed = signing.sign(served.mx / "node_signing_key.pem", body)
    answered = httpx.post(f"{served.us_url}{hit_transport.QUERY_PATH}", content=orjson.dumps(signed),
                          auth=auth, headers={"Content-Type": "application/json"})  # fmt: skip
    assert answered.status_code == 200
    assert answered.json()["spec_version"] == 1
    published = base64.b64decode(index.json()["added"])
    prints = {published[i : i + 8] for i in range(0, len(published), 8)}
    found = [blinding.unblind(base64.b64decode(a)) for a in answered.json()["answers"]]
    assert prints & set(found)  # a hit, in version 1's index
