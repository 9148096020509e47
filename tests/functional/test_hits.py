"""Hit/no-hit between two real nodes: Mexico asks, the United States answers blind."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import select

from puente.audit.models import AuditEntry
from puente.errors import InvalidInput
from puente.hits import transport as hit_transport
from puente.hits.answering import RECEIVED
from puente.hits.models import HitQuery, PartnerPrintState
from puente.hits.subjects import Subject
from puente.node import open_node
from puente.policy.markings import Markings, apply_markings
from puente.records import builder
from tests.support.nodes import US_SECRET, add_user
from tests.support.servers import Pair, import_objects, puente

SEARCHABLE = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"MEX"}))


def _person(given: str, paternal: str, maternal: str, dob: str) -> dict[str, object]:
    obj = builder.build("person", {"given_names": given, "paternal_surname": paternal,
                                   "maternal_surname": maternal, "date_of_birth": dob}, "CBP")  # fmt: skip
    apply_markings(obj, SEARCHABLE)
    return obj


def test_an_analyst_learns_hit_or_no_hit_and_nothing_else(pair: Pair, tmp_path: Path) -> None:
    import_objects(pair.us, [_person("José Luis", "Hernández", "Peña", "1984-03-12")], tmp_path)
    indexed = puente("hits", "index", data_dir=pair.us).stdout
    keys = int(indexed.split(": ")[1].split(" keys")[0])
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
                ("FGR", "FGR/UEIDCS/0042/2026", len(known.keys(1).keys)),
                ("FGR", "FGR/0043", len(unknown.keys(1).keys)),
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
