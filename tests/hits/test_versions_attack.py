"""Attacks on hit/no-hit's spec versions: a record withdrawn from a partner's search must not
hit in any version (a version dropped and listed again, an index never refreshed, a first
build racing a recall); a query or a download in a version other than its keys' must not hit
or crash; each version's secret stays on its node; an RFI's candidates come only from what
the partner could search; a malicious partner's versions make the asking node fail clearly,
never loop or crash."""

from __future__ import annotations

import base64
import threading
import uuid
from contextlib import suppress
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from puente.errors import Unavailable
from puente.hits import answering, index, psi, refresh
from puente.hits import transport as hit_transport
from puente.hits.models import HitIndexEntry, HitIndexState, PartnerPrintState
from puente.hits.subjects import Subject
from puente.records import service as records
from puente.records.builder import stix_now
from puente.records.models import Record
from puente.rfis.candidates import matching_records
from puente.rfis.models import Rfi
from puente.sharing import recalls, signing
from puente.sharing.models import Partner
from puente.sharing.partners import PartnerPrincipal
from tests.support.linked import HELD_FIREARM, HELD_PERSON, SEARCHABLE, Linked
from tests.support.nodes import US_SECRET, add_user

PERSON = Subject.from_dict({"category": "person", **HELD_PERSON})
FIREARM = Subject.from_dict({"category": "firearm", "manufacturer": "Glock",
                             "serial": HELD_FIREARM["serial_number"]})  # fmt: skip


def _officer(linked: Linked) -> Any:
    return add_user(linked.us, "cbp1", "CBP", ["analyst"])


def _mexico(linked: Linked) -> PartnerPrincipal:
    with linked.us.db.session() as session:
        row = session.execute(select(Partner).where(Partner.node_id == "mx-node")).scalar_one()
        return PartnerPrincipal(row.id, row.node_id, row.country)


def _ask(linked: Linked, *subjects: Subject) -> tuple[list[bool], int]:
    fer = add_user(linked.mx, "fer", "FGR", ["analyst"])
    answer = hit_transport.ask(linked.mx, fer, "us-node", list(subjects or (PERSON, FIREARM)),
                               case_reference="FGR/0042", legal_basis="TAJM art. 1")  # fmt: skip
    return [s.hit for s in answer.subjects], answer.spec_version


def _prints(linked: Linked, stix_id: str, version: int) -> set[bytes]:
    """Every fingerprint the record ever gave Mexico's index in ``version``."""
    with linked.us.db.session() as session:
        versions = select(Record.pk).where(Record.stix_id == stix_id)
        return set(
            session.execute(
                select(HitIndexEntry.fingerprint).where(
                    HitIndexEntry.record_pk.in_(versions), HitIndexEntry.spec_version == version
                )
            ).scalars()
        )


def _split(raw: str) -> set[bytes]:
    data = base64.b64decode(raw)
    return {data[i : i + 8] for i in range(0, len(data), 8)}


def _download(linked: Linked, since: int, version: int) -> dict[str, Any]:
    """Mexico's download of its US index, as the endpoint gives it (the served versions the
    US node's settings say)."""
    client = _us_client(linked)
    response = client.get("/api/v1/hits/index", params={"since": since, "version": version})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] == ""
    body["added"], body["removed"] = _split(body["added"]), _split(body["removed"])
    return body


def _us_client(linked: Linked) -> TestClient:
    from puente.web.app import create_app

    client = TestClient(create_app(linked.us), base_url="http://us.test")
    client.auth = httpx.BasicAuth("mx-node", US_SECRET)
    return client


def _seq(linked: Linked, version: int) -> int:
    with linked.us.db.session() as session:
        state = session.get(HitIndexState, (_mexico(linked).partner_id, version))
        return state.seq if state is not None else 0


def _recall(linked: Linked, stix_id: str) -> None:
    with linked.us.db.session() as session:
        recalls.recall(session, linked.us, _officer(linked), stix_id, "shared by mistake")


def _new_person(linked: Linked, **fields: str) -> str:
    with linked.us.db.session() as session:
        return records.create(session, linked.us.settings, _officer(linked), "person",
                              {**HELD_PERSON, **fields}, SEARCHABLE).stix_id  # fmt: skip


def _forget_version(linked: Linked, version: int) -> None:
    """The US node as if it had never built Mexico's index in ``version``."""
    with linked.us.db.session() as session:
        session.execute(delete(HitIndexEntry).where(HitIndexEntry.spec_version == version))
        session.execute(delete(HitIndexState).where(HitIndexState.spec_version == version))


# -- 1. Leaks: a withdrawn record hits in no version ----------------------------------------


def test_a_version_dropped_then_listed_again_holds_nothing_withdrawn_meanwhile(
    linked: Linked,
) -> None:
    person, _ = linked.held
    linked.mx.settings.hits.spec_versions = [1]
    assert _ask(linked) == ([True, True], 1)  # Mexico holds a v1 copy
    held_seq = _seq(linked, 1)
    gone = _prints(linked, person, 1)
    assert gone
    linked.us.settings.hits.spec_versions = [2]  # v1 dropped: neither refreshed nor served
    _recall(linked, person)
    refresh.refresh_partners(linked.us)
    linked.us.settings.hits.spec_versions = [1, 2]  # listed again, not yet refreshed
    whole = _download(linked, 0, 1)
    assert not gone & whole["added"]
    since = _download(linked, held_seq, 1)
    assert not since["full"]
    assert gone <= since["removed"]
    assert not gone & since["added"]
    assert _ask(linked) == ([False, True], 1)
    refresh.refresh_partners(linked.us)
    assert _ask(linked) == ([False, True], 1)


def test_an_index_never_refreshed_gives_nothing_withdrawn(linked: Linked) -> None:
    """The US node served version 1 only; a record is recalled; version 2 is listed and Mexico
    downloads it before, and after, its first refresh."""
    person, _ = linked.held
    _forget_version(linked, 2)
    _recall(linked, person)
    empty = _download(linked, 0, 2)  # the state is made on first use: nothing in it yet
    assert empty["full"]
    assert not empty["added"]
    refresh.refresh_partners(linked.us)
    assert not _prints(linked, person, 2)
    assert _download(linked, 0, 2)["added"]  # the firearm
    assert _ask(linked) == ([False, True], 2)


def test_a_recall_during_a_versions_first_build_leaves_no_key_behind(linked: Linked) -> None:
    """The first refresh of a version (the node just listed it, or the partner is new) makes
    the index's state in its own, long, transaction. A recall committing meanwhile once found
    no state of that version to lock and withdraw from, and the build's keys of the recalled
    record stayed live until the next refresh: the recall now waits for the build's state."""
    if linked.us.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes writers take turns")
    _forget_version(linked, 2)
    fresh = _new_person(linked, given_names="Eva", paternal_surname="Soto")
    officer = _officer(linked)
    partner_id = _mexico(linked).partner_id
    failures: list[BaseException] = []

    def recall() -> None:
        try:
            with linked.us.db.session() as session:
                recalls.recall(session, linked.us, officer, fresh, "shared by mistake")
        except BaseException as exc:
            failures.append(exc)

    with linked.us.db.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        assert index.refresh(session, partner, 2).added > 0  # the first build, uncommitted
        thread = threading.Thread(target=recall, daemon=True)
        thread.start()
        thread.join(3)  # the recall waits on the build, or commits without it
        recalled_first = not thread.is_alive()
    thread.join(30)
    assert not thread.is_alive()
    assert not failures
    leaked = _prints(linked, fresh, 2) & _download(linked, 0, 2)["added"]
    assert not leaked, f"recall committed first: {recalled_first}; the v2 index still gives it"


# -- 2. Cross-version confusion ----------------------------------------------------------


def test_keys_of_one_version_answered_with_the_other_versions_secret_never_hit(
    linked: Linked,
) -> None:
    with linked.us.db.session() as session:
        states = {s.spec_version: s for s in session.execute(select(HitIndexState)).scalars()}
        published = {v: index.live_fingerprints(session, session.get(Partner, 1), v)
                     for v in (1, 2)}  # fmt: skip
    assert states[1].secret != states[2].secret
    for keys_version in (1, 2):
        keys = PERSON.keys(keys_version).encoded() + FIREARM.keys(keys_version).encoded()
        for secret_version in (1, 2):
            prints = {psi.IndexSecret(states[secret_version].secret).fingerprint(k) for k in keys}
            hits = prints & (published[1] | published[2])
            if keys_version == secret_version:
                assert prints & published[keys_version]
                assert not prints & published[3 - keys_version]
            else:
                assert not hits


def test_a_query_whose_keys_are_of_another_version_than_it_says_never_hits(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mexico's copy is of version 2; its keys are version 1's but the query says 2."""
    assert _ask(linked) == ([True, True], 2)
    real = hit_transport._keys
    monkeypatch.setattr(hit_transport, "_keys", lambda subjects, version: real(subjects, 1))
    assert _ask(linked) == ([False, False], 2)


def _signed_query(linked: Linked, version: int) -> dict[str, Any]:
    blinding = psi.Blinding()
    body = {
        "type": answering.QUERY_TYPE, "id": str(uuid.uuid4()), "created": stix_now(),
        "asking_node": "mx-node", "asked_node": "us-node", "agency": "FGR",
        "case_reference": "FGR/0042", "legal_basis": "TAJM art. 1", "spec_version": version,
        "points": [base64.b64encode(blinding.blind(k)).decode()
                   for k in PERSON.keys(version).encoded()],
    }  # fmt: skip
    return signing.sign(linked.mx.settings.key_path, body)


def test_the_signature_covers_the_queries_spec_version(linked: Linked) -> None:
    client = _us_client(linked)
    signed = _signed_query(linked, 2)
    replayed = {**signed, "spec_version": 1}
    response = client.post("/api/v1/hits/query", content=orjson.dumps(replayed),
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 401
    dropped = {k: v for k, v in signed.items() if k != "spec_version"}  # absent: 1
    response = client.post("/api/v1/hits/query", content=orjson.dumps(dropped),
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 401
    ok = client.post("/api/v1/hits/query", content=orjson.dumps(signed),
                     headers={"Content-Type": "application/json"})  # fmt: skip
    assert ok.status_code == 200
    assert ok.json()["spec_version"] == 2


@pytest.mark.parametrize("version", [0, -1, 3, 99, "2", 2.0, True, None, [2], {"v": 2}, 2**63 - 1])
def test_a_query_in_an_odd_spec_version_is_refused_at_spec_version(
    linked: Linked, version: Any
) -> None:
    signed = _signed_query(linked, 2)
    del signed["signature"]
    signed = signing.sign(linked.mx.settings.key_path, {**signed, "spec_version": version})
    response = _us_client(linked).post("/api/v1/hits/query", content=orjson.dumps(signed),
                                       headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 422, response.text
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert "/spec_version" in pointers


@pytest.mark.parametrize(
    "query",
    ["version=0", "version=-1", "version=3", "version=99999999999999999999999", "version=abc",
     "version=1.0", "version=", "version[]=2", "version=2&version=abc"],
)  # fmt: skip
def test_an_odd_version_parameter_is_a_problem_not_a_crash(linked: Linked, query: str) -> None:
    response = _us_client(linked).get(f"/api/v1/hits/index?since=0&{query}")
    if query in ("version[]=2", "version=1.0"):  # an unknown parameter (absent: 1), or 1
        assert response.status_code == 200
        assert response.json()["spec_version"] == 1
        return
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_repeated_version_parameter_gives_one_version_and_says_which(linked: Linked) -> None:
    response = _us_client(linked).get("/api/v1/hits/index?since=0&version=1&version=2")
    assert response.status_code == 200
    body = response.json()
    assert body["spec_version"] in (1, 2)
    with linked.us.db.session() as session:
        live = index.live_fingerprints(session, session.get(Partner, 1), body["spec_version"])
    assert _split(body["added"]) == live


# -- 2b. A malicious partner's versions on the asking side -------------------------------


class _Partner:
    """A partner that answers every index download with ``page`` (or a 400 ``refusal``)."""

    def __init__(self, page: dict[str, Any] | None, refusal: dict[str, Any] | None = None):
        self.page, self.refusal, self.calls = page, refusal, 0

    def get(self, url: str, *, params: dict[str, Any], **kwargs: Any) -> httpx.Response:
        self.calls += 1
        assert self.calls < 20, "the asking node loops"
        if self.refusal is not None:
            return httpx.Response(400, content=orjson.dumps(self.refusal))
        assert self.page is not None
        return httpx.Response(200, content=orjson.dumps(self.page))


def _page(**fields: Any) -> dict[str, Any]:
    return {"spec_version": 2, "spec_versions": [1, 2], "seq": 1, "full": True,
            "fingerprint_bytes": 8, "added": "", "removed": "", "next": "", **fields}  # fmt: skip


def _refresh_copy(linked: Linked, partner: _Partner) -> int:
    with linked.mx.db.session() as session:
        us = session.execute(select(Partner).where(Partner.node_id == "us-node")).scalar_one()
        partner_id = us.id
    return hit_transport.refresh_copy(linked.mx, partner_id, "us-node", partner)  # type: ignore[arg-type]


ANNOUNCED = {
    "huge": list(range(1, 100_000)),
    "huge-ints": [2**62, 2, 2**61],
    "non-int": ["1", "2", 2.0],
    "bools": [True, False],
    "nested": [[1, 2], {"v": 2}, None],
    "negative": [-2, -1, 0],
    "a string": "1,2",
    "unknown": [99],
}


@pytest.mark.parametrize("announced", ANNOUNCED.values(), ids=list(ANNOUNCED))
def test_a_partner_announcing_odd_versions_never_crashes_or_loops_the_asker(
    linked: Linked, announced: Any
) -> None:
    partner = _Partner(_page(spec_versions=announced))
    with suppress(Unavailable):  # a clear refusal; anything else fails the test
        _refresh_copy(linked, partner)
    assert partner.calls <= hit_transport.MAX_RESTARTS + 1
    with linked.mx.db.session() as session:
        state = session.execute(select(PartnerPrintState)).scalar_one_or_none()
        if state is not None:
            assert state.spec_version in linked.mx.settings.hits.spec_versions


@pytest.mark.parametrize("announced", ANNOUNCED.values(), ids=list(ANNOUNCED))
def test_a_partner_refusing_with_odd_versions_fails_clearly(linked: Linked, announced: Any) -> None:
    partner = _Partner(None, {"title": "Bad Request", "detail": "no", "spec_versions": announced})
    with pytest.raises(Unavailable):
        _refresh_copy(linked, partner)
    assert partner.calls <= hit_transport.MAX_RESTARTS + 1


def test_a_partner_announcing_only_an_unknown_version_fails_clearly(linked: Linked) -> None:
    partner = _Partner(None, {"title": "Bad Request", "spec_versions": [99]})
    with pytest.raises(Unavailable, match="no match-key spec version in common") as caught:
        _refresh_copy(linked, partner)
    assert partner.calls == 1
    assert caught.value.problems[0].message  # a gettext message, the reason as detail


@pytest.mark.parametrize("served", ["2", "abc", None, [2], {"v": 2}, 2.5, 2**63 - 1, True])
def test_a_page_with_an_odd_spec_version_fails_clearly(linked: Linked, served: Any) -> None:
    partner = _Partner(_page(spec_version=served))
    with suppress(Unavailable):  # a clear refusal; anything else fails the test
        _refresh_copy(linked, partner)
    with linked.mx.db.session() as session:
        state = session.execute(select(PartnerPrintState)).scalar_one_or_none()
        if state is not None:
            assert state.spec_version in linked.mx.settings.hits.spec_versions


# -- 3. Secrets -------------------------------------------------------------------------


def test_no_versions_secret_ever_leaves_the_node(linked: Linked) -> None:
    with linked.us.db.session() as session:
        secrets = [s.secret for s in session.execute(select(HitIndexState)).scalars()]
    assert len(secrets) == len(set(secrets)) == 2
    client = _us_client(linked)
    bodies = [client.get("/api/v1/hits/index", params={"since": 0, "version": v}).content
              for v in (1, 2)]  # fmt: skip
    bodies.append(client.get("/api/v1/hits/index", params={"since": 0, "version": 7}).content)
    for version in (1, 2):
        bodies.append(client.post("/api/v1/hits/query",
                                  content=orjson.dumps(_signed_query(linked, version)),
                                  headers={"Content-Type": "application/json"}).content)  # fmt: skip
    bodies.append(client.get("/openapi.json").content)
    for secret in secrets:
        forms = (secret, secret.hex().encode(), base64.b64encode(secret),
                 base64.b64encode(secret).rstrip(b"="), base64.urlsafe_b64encode(secret))  # fmt: skip
        for body in bodies:
            assert not any(form in body for form in forms)


def test_secrets_are_per_partner_and_per_version(linked: Linked) -> None:
    from puente.clock import now

    mexico_id = _mexico(linked).partner_id
    with linked.us.db.session() as session:
        canada = Partner(node_id="ca-node", country="CAN", display_name="Canada",
                         base_url="http://ca.test", public_key="", inbound_secret_hash="",
                         inbound_secret_prefix="", outbound_secret="", created_at=now())  # fmt: skip
        session.add(canada)
        session.flush()
        mexico = session.get(Partner, mexico_id)
        assert mexico is not None
        secrets = [index.state_of(session, p, v).secret for p in (mexico, canada) for v in (1, 2)]
    assert len(set(secrets)) == 4


# -- 4. RFI candidates --------------------------------------------------------------------


def _rfi(linked: Linked, hit_query_id: str = "") -> Rfi:
    return Rfi(id=str(uuid.uuid4()), direction="incoming", partner_id=_mexico(linked).partner_id,
               state="open", priority="routine", title="t", question="q",
               case_reference="FGR/0042", legal_basis="TAJM art. 1", category="person",
               subject=orjson.dumps(PERSON.as_dict()).decode(), hit_query_id=hit_query_id,
               matched="", requester="fer", requester_agency="FGR", recipients="")  # fmt: skip


def _candidates(linked: Linked, rfi: Rfi) -> list[str]:
    liaison = add_user(linked.us, "liaison", "CBP", ["admin"])
    with linked.us.db.session() as session:
        return [c.stix_id for c in matching_records(session, linked.us, liaison, rfi)]


def test_an_rfi_finds_no_record_withdrawn_in_any_version(linked: Linked) -> None:
    person, _ = linked.held
    assert _candidates(linked, _rfi(linked)) == [person]
    linked.us.settings.hits.spec_versions = [2]
    _recall(linked, person)
    linked.us.settings.hits.spec_versions = [1, 2]
    assert _candidates(linked, _rfi(linked)) == []
    for served in ([1], [2]):
        linked.us.settings.hits.spec_versions = served
        assert _candidates(linked, _rfi(linked)) == []


def test_an_rfi_finds_no_record_the_partner_could_never_search(linked: Linked) -> None:
    from puente.policy.markings import Markings

    hidden = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"CAN"}))
    with linked.us.db.session() as session:
        records.create(session, linked.us.settings, _officer(linked), "person",
                       {**HELD_PERSON, "given_names": "José"}, hidden)  # fmt: skip
    refresh.refresh_partners(linked.us)
    person, _ = linked.held
    # The hit query of another version, of another partner, or none: the same records.
    for query_id in ("", str(uuid.uuid4())):
        assert _candidates(linked, _rfi(linked, query_id)) == [person]


@pytest.mark.parametrize("asker", ["us", "mx"])
def test_a_partner_announcing_many_versions_is_stored_or_refused_clearly(
    linked: Linked, asker: str
) -> None:
    """The versions a partner announces are kept as text (hit_partner_states.partner_versions,
    VARCHAR(40)): a partner naming many must not make the asking node's download fail with a
    database error. Both nodes asked, as one of them runs on PostgreSQL when the tests do."""
    node = linked.us if asker == "us" else linked.mx
    other = "mx-node" if asker == "us" else "us-node"
    with node.db.session() as session:
        partner_id = session.execute(
            select(Partner.id).where(Partner.node_id == other)
        ).scalar_one()
    partner = _Partner(_page(spec_versions=[1, 2, *range(1000, 1020)]))
    hit_transport.refresh_copy(node, partner_id, other, partner)  # type: ignore[arg-type]
    with node.db.session() as session:
        state = session.get(PartnerPrintState, partner_id)
        assert state is not None
        assert (state.spec_version, state.partner_versions) == (2, "1,2")
