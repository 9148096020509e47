"""Asking the partner over HTTP: hit/no-hit by private set intersection (a job: it opens its
own units of work and calls the partner, never inside a caller's transaction).

:func:`ask` brings this node's copy of the partner's published index up to date (only what
changed since the last time, :func:`refresh_copy`, which also runs after every pull), sends
the blinded keys in a query signed with this node's key under the analyst's agency, case
reference and legal basis, unblinds the answers and looks them up. The answer is hit or no hit
per subject asked about (and per category), with the key types that matched: nothing of the
partner's records crosses.

Spec versions: the copy follows the highest match-key spec version both nodes serve (this
node's ``hits.spec_versions``, and the ``spec_versions`` the partner's last download named; a
partner that names none serves version 1 only). A first download asks in this node's highest;
a download that names a better common version than the copy's (the partner moved), or a
partner that no longer serves the copy's, has the copy dropped and that version's index
downloaded whole. The query's keys follow the copy's version, and say so (``spec_version``).
"""

from __future__ import annotations

import base64
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import IO, Any

import httpx
import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import now
from puente.db import get_or_add
from puente.errors import N_, Forbidden, PuenteError, QuotaExceeded, Unavailable
from puente.hits import psi
from puente.hits.answering import QUERY_TYPE, SENT
from puente.hits.asking import Answer, SubjectAnswer, check_quota, check_request
from puente.hits.index import copy_rows
from puente.hits.keys import SPEC_VERSIONS, Keys, MatchKey
from puente.hits.models import HitQuery, PartnerPrint, PartnerPrintState
from puente.hits.subjects import Subject
from puente.node import Node
from puente.policy.roles import Principal, require
from puente.records.builder import stix_now
from puente.sharing import signing
from puente.sharing.client import partner_client
from puente.sharing.models import Partner
from puente.sharing.partners import get_partner
from puente.statistics import refresh_statistics

INDEX_PATH = "/api/v1/hits/index"  # the asked node's endpoints, for partner nodes only
QUERY_PATH = "/api/v1/hits/query"
LOOKUP_BATCH = 500
INSERT_BATCH = 50_000
MAX_RESTARTS = 3


def _partner_error(response: httpx.Response, partner: str) -> PuenteError:
    try:
        detail = str(orjson.loads(response.content).get("detail", ""))
    except (orjson.JSONDecodeError, AttributeError):
        detail = response.text[:200]
    if response.status_code == 429:
        return QuotaExceeded(N_("{node} refused the query: {reason}"), node=partner, reason=detail)
    return Unavailable(N_("Could not query {node}: {reason}"), node=partner,
                       reason=f"HTTP {response.status_code} {detail}".strip())  # fmt: skip


class _Unserved(Exception):
    """The partner does not serve the version asked for; the versions it serves."""

    def __init__(self, served: list[int]) -> None:
        super().__init__(served)
        self.served = served


def _versions(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip().isdigit()] or [1]


def _announced(body: Any) -> list[int]:
    """The spec versions a partner's answer says it serves: none said, version 1 only."""
    found = body.get("spec_versions") if isinstance(body, dict) else None
    if not isinstance(found, list):
        return [1]
    return sorted({v for v in found if isinstance(v, int) and not isinstance(v, bool)}) or [1]


def common_version(own: Sequence[int], partner: Sequence[int], partner_node_id: str) -> int:
    """The highest match-key spec version both nodes serve; none: the partner can't be asked."""
    both = set(own) & set(partner)
    if not both:
        raise Unavailable(N_("Could not query {node}: {reason}"), node=partner_node_id,
                          reason=f"no match-key spec version in common (this node serves "
                                 f"{list(own)}, the partner {list(partner)})")  # fmt: skip
    return max(both)


def refresh_copy(node: Node, partner_id: int, partner_node_id: str, http: httpx.Client) -> int:
    """Bring this node's copy of the partner's published index up to date; its size.

    The copy follows the highest spec version both nodes serve (see the module's text): when
    that changes, the copy is dropped and that version's index downloaded whole.
    The partner gives it in pages; they go to temporary files first (8 bytes a fingerprint),
    then into the database in one transaction, a batch at a time: memory stays flat however
    large the index, and no transaction stays open while the partner answers."""
    own = node.settings.hits.spec_versions
    with node.db.session() as session:
        state = session.get(PartnerPrintState, partner_id)
        held: tuple[int, int | None] = (0, None)
        version = max(own)  # a first download: the partner's answer says what it serves
        if state is not None:
            held = (state.seq, state.spec_version)
            # None in common when the partner last spoke: it may have moved since, ask again.
            both = set(own) & set(_versions(state.partner_versions))
            version = max(both) if both else max(own)
    count = 0
    for _ in range(MAX_RESTARTS):  # the version changes once, twice if the partner moves
        since = held[0] if version == held[1] else 0
        with tempfile.TemporaryFile() as added, tempfile.TemporaryFile() as removed:
            try:
                seq, full, served, announced = _download(http, partner_node_id, version,
                                                         since, added, removed)  # fmt: skip
            except _Unserved as exc:  # the partner no longer serves it (or never did)
                best = common_version(own, exc.served, partner_node_id)
                if best == version:
                    raise Unavailable(N_("Could not query {node}: {reason}"),
                                      node=partner_node_id,
                                      reason=f"it refused version {version}") from None  # fmt: skip
                version = best
                continue
            if served not in own:  # a partner from before versions gives version 1's
                common_version(own, [served], partner_node_id)
            added.seek(0)
            removed.seek(0)
            with node.db.session() as session:
                count, held = _store(session, partner_id, held, since, seq, full,
                                     (served, announced), added, removed)  # fmt: skip
        version = common_version(own, announced, partner_node_id)
        if version == served:
            return count
    return count


def _download(
    http: httpx.Client,
    partner_node_id: str,
    version: int,
    since: int,
    added: IO[bytes],
    removed: IO[bytes],
) -> tuple[int, bool, int, list[int]]:
    """The pages of what changed since refresh ``since`` of the index in spec ``version``,
    written to the two files; the refresh they bring the copy to, whether they are the whole
    index, the version they follow (a partner from before versions gives version 1's and does
    not say so) and the versions the partner serves."""
    params: dict[str, Any] = {"since": since, "version": version}
    snapshot: tuple[int, bool] | None = None
    restarts = 0
    while True:
        response = http.get(INDEX_PATH, params=params, headers={"Accept": "application/json"})
        if response.status_code == 400:
            try:
                refused = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                refused = None
            if isinstance(refused, dict) and isinstance(refused.get("spec_versions"), list):
                raise _Unserved(_announced(refused))
        if response.status_code != 200:
            raise _partner_error(response, partner_node_id)
        body: dict[str, Any] = orjson.loads(response.content)
        served, announced = body.get("spec_version", 1), _announced(body)
        # A partner's word, not trusted: int() took "2", 2.5 and true, and raised on the rest.
        if isinstance(served, bool) or not isinstance(served, int):
            raise Unavailable(N_("Could not query {node}: {reason}"), node=partner_node_id,
                              reason="its index names no spec version")  # fmt: skip
        page = (int(body["seq"]), bool(body["full"]))
        if snapshot is not None and page != snapshot:
            # The partner could no longer give the refresh the first page named (it compacted
            # its index meanwhile): what came so far is dropped and the copy starts again.
            restarts += 1
            if restarts > MAX_RESTARTS:
                raise Unavailable(N_("Could not query {node}: {reason}"), node=partner_node_id,
                                  reason="its index changed under every download")  # fmt: skip
            for file in (added, removed):
                file.seek(0)
                file.truncate()
            params, snapshot = {"since": since, "version": version}, None
            continue
        snapshot = page
        added.write(base64.b64decode(body["added"]))
        removed.write(base64.b64decode(body["removed"]))
        after = str(body.get("next") or "")  # a partner that does not page never gives one
        if not after:
            return (*snapshot, served, announced)
        params = {"since": since, "version": version, "seq": page[0], "after": after}


def _batches(file: IO[bytes], size: int) -> Iterator[list[bytes]]:
    step = psi.FINGERPRINT_BYTES
    while raw := file.read(size * step):
        yield [raw[i : i + step] for i in range(0, len(raw), step)]


def _store(
    session: Session,
    partner_id: int,
    held: tuple[int, int | None],
    since: int,
    seq: int,
    full: bool,
    versions: tuple[int, list[int]],
    added: IO[bytes],
    removed: IO[bytes],
) -> tuple[int, tuple[int, int | None]]:
    """Apply what was downloaded since refresh ``since`` to the copy, which was ``held`` (its
    refresh and version; none: no copy yet); ``versions``: the spec version downloaded, and
    those the partner serves. One download at a time (every query brings the copy up to date
    first, and analysts ask at once): the copy's state is locked, and a download that finds
    the copy moved meanwhile leaves it as the other one made it. The copy's size and state."""
    served, announced = versions
    state = _locked_state(session, partner_id, served)
    now_held = (state.seq, state.spec_version)
    moved = state.seq != held[0] or (held[1] is not None and state.spec_version != held[1])
    if moved or (not full and state.spec_version != served):
        return state.key_count, now_held
    connection = session.connection()
    count = 0 if full else state.key_count
    written = 0
    if full:
        result = connection.execute(
            delete(PartnerPrint).where(PartnerPrint.partner_id == partner_id)
        )
        written += int(getattr(result, "rowcount", 0) or 0)
    for batch in _batches(removed, LOOKUP_BATCH):
        result = connection.execute(
            delete(PartnerPrint).where(PartnerPrint.partner_id == partner_id,
                                       PartnerPrint.fingerprint.in_(batch))
        )  # fmt: skip
        gone = int(getattr(result, "rowcount", 0) or 0)
        count -= gone
        written += gone
    postgresql = connection.dialect.name == "postgresql"
    last, ordered = b"", True
    for batch in _batches(added, INSERT_BATCH):
        # The pages of a whole index hold each fingerprint once, in order, into an emptied
        # copy: nothing to skip (a partner of an older version sends them unordered).
        ordered = ordered and batch[0] > last and all(a < b for a, b in pairwise(batch))
        last = batch[-1]
        if full and postgresql and ordered:
            copy_rows(session, PartnerPrint.__tablename__, ("partner_id", "fingerprint"),
                      ((partner_id, fingerprint) for fingerprint in batch))  # fmt: skip
            fresh = len(batch)
        else:  # a fingerprint two records share may be held already: only new ones count
            fresh = _insert_prints(session, partner_id, batch)
        count += fresh
        written += fresh
    if written:
        refresh_statistics(session, {PartnerPrint.__tablename__: written})
    state.seq = seq
    state.spec_version = served
    # Kept in 40 characters: the versions this code knows (no other can be in common), else
    # the first named (none in common: the next download asks in this node's highest again).
    known = [v for v in announced if v in SPEC_VERSIONS] or announced[:1]
    state.partner_versions = ",".join(map(str, known))[:40]
    state.key_count = count  # kept as it changes: counting a million rows costs a query
    state.fetched_at = now()
    return state.key_count, (state.seq, state.spec_version)


def _locked_state(session: Session, partner_id: int, version: int) -> PartnerPrintState:
    """The copy's state, locked until the transaction ends; made if there is none yet."""
    return get_or_add(
        session, PartnerPrintState, partner_id,
        lambda: PartnerPrintState(partner_id=partner_id, spec_version=version, seq=0,
                                  key_count=0), lock=True,
    )  # fmt: skip


def _insert_prints(session: Session, partner_id: int, prints: list[bytes]) -> int:
    """Insert the fingerprints not held yet; how many were new."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One statement with an array: executemany spends its time row by row in Python.
        result = connection.exec_driver_sql(
            "INSERT INTO hit_partner_prints (partner_id, fingerprint) "
            "SELECT %(partner)s, unnest(%(prints)s::bytea[]) ON CONFLICT DO NOTHING",
            {"partner": partner_id, "prints": prints},
        )
    else:
        result = connection.exec_driver_sql(
            "INSERT OR IGNORE INTO hit_partner_prints (partner_id, fingerprint) VALUES (?, ?)",
            [(partner_id, fingerprint) for fingerprint in prints],
        )
    return int(result.rowcount or 0)


def _held(session: Session, partner_id: int, prints: list[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    for start in range(0, len(prints), LOOKUP_BATCH):
        found |= set(
            session.execute(
                select(PartnerPrint.fingerprint).where(
                    PartnerPrint.partner_id == partner_id,
                    PartnerPrint.fingerprint.in_(prints[start : start + LOOKUP_BATCH]),
                )
            ).scalars()
        )
    return found


def ask(
    node: Node,
    principal: Principal,
    partner_node_id: str,
    subjects: list[Subject],
    *,
    case_reference: str,
    legal_basis: str,
) -> Answer:
    """Ask the partner whether it holds records of these subjects; hit or no hit for each.

    Opens its own units of work and calls the partner over HTTP: never call it while holding
    a transaction (on SQLite, the request's would keep the write lock from it).
    A refusal, here or by the partner, is audited (in a transaction of its own) and raised.
    """
    require(principal, "hits.query")
    # The version the copy follows now; the download before the query may move it (_ask).
    with node.db.session() as session:
        held = session.execute(
            select(PartnerPrintState.spec_version)
            .join(Partner, Partner.id == PartnerPrintState.partner_id)
            .where(Partner.node_id == partner_node_id)
        ).scalar_one_or_none()
    version = held if held is not None else max(node.settings.hits.spec_versions)
    subject_keys, keys = _keys(subjects, version)
    try:
        return _ask(node, principal, partner_node_id, subjects, (version, subject_keys, keys),
                    case_reference, legal_basis)  # fmt: skip
    except PuenteError as exc:
        with node.db.session() as session:
            audit.append(session, principal.username, "hits.refused", partner_node_id,
                         details={"kind": exc.kind, "reason": exc.problems[0].message,
                                  "case_reference": case_reference[:200],
                                  "subjects": len(subjects), "keys": len(keys)})  # fmt: skip
        raise


def _keys(subjects: list[Subject], version: int) -> tuple[list[Keys], set[MatchKey]]:
    """Each subject's keys in spec ``version``, and all of them (a key two share asked once)."""
    subject_keys = [subject.keys(version) for subject in subjects]
    keys: set[MatchKey] = set()
    for found in subject_keys:
        keys |= found.keys
    return subject_keys, keys


def _copy_version(node: Node, partner_id: int) -> int:
    with node.db.session() as session:
        state = session.get(PartnerPrintState, partner_id)
        return state.spec_version if state is not None else 1


def _ask(
    node: Node,
    principal: Principal,
    partner_node_id: str,
    subjects: list[Subject],
    planned: tuple[int, list[Keys], set[MatchKey]],
    case_reference: str,
    legal_basis: str,
) -> Answer:
    version, subject_keys, keys = planned
    check_request(node, subjects, keys, case_reference, legal_basis)
    with node.db.session() as session:
        check_quota(session, node, principal)
        partner = get_partner(session, partner_node_id)
        if not partner.enabled:
            raise Forbidden(N_("Partner {node} is disabled."), node=partner_node_id)
        partner_id = partner.id
    blinding = psi.Blinding()
    try:
        with partner_client(node, partner_id) as http:
            refresh_copy(node, partner_id, partner_node_id, http)
            # The keys follow the version of the copy their answers are looked up in.
            if (copied := _copy_version(node, partner_id)) != version:
                version = copied
                subject_keys, keys = _keys(subjects, version)
                check_request(node, subjects, keys, case_reference, legal_basis)
            ordered: list[MatchKey] = sorted(keys)
            body: dict[str, Any] = {
                "type": QUERY_TYPE,
                "id": str(uuid.uuid4()),
                "created": stix_now(),
                "asking_node": node.settings.node_id,
                "asked_node": partner_node_id,
                "agency": principal.agency,
                "case_reference": case_reference.strip(),
                "legal_basis": legal_basis.strip(),
                "spec_version": version,
                "points": [base64.b64encode(blinding.blind(k.encode())).decode()
                           for k in ordered],
            }  # fmt: skip
            signed = signing.sign(node.settings.key_path, body)
            response = http.post(QUERY_PATH, content=orjson.dumps(signed),
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/json"})  # fmt: skip
    except httpx.HTTPError as exc:
        raise Unavailable(N_("Could not query {node}: {reason}"), node=partner_node_id,
                          reason=str(exc) or type(exc).__name__) from None  # fmt: skip
    if response.status_code != 200:
        raise _partner_error(response, partner_node_id)
    answered = orjson.loads(response.content)
    answers = answered.get("answers", [])
    # A partner from before versions says none: it answered in version 1, all it was sent.
    if (
        not isinstance(answers, list)
        or len(answers) != len(ordered)
        or answered.get("spec_version", 1) != version
    ):
        raise Unavailable(N_("Could not query {node}: {reason}"), node=partner_node_id,
                          reason="the answer does not match the query")  # fmt: skip
    prints = [blinding.unblind(base64.b64decode(a)) for a in answers]
    asked = list(zip(subjects, subject_keys, strict=True))
    return _record(node, principal, partner_id, partner_node_id, signed, asked, ordered, prints)


def _record(
    node: Node,
    principal: Principal,
    partner_id: int,
    partner_node_id: str,
    signed: dict[str, Any],
    asked: list[tuple[Subject, Keys]],
    ordered: list[MatchKey],
    prints: list[bytes],
) -> Answer:
    with node.db.session() as session:
        # Another query may have moved the copy to another version since this one's keys were
        # made (the partner moved): its fingerprints are not these keys', and a miss there
        # would read as a no-hit.
        copy = session.get(PartnerPrintState, partner_id)
        if copy is None or copy.spec_version != signed["spec_version"]:
            raise Unavailable(N_("Could not query {node}: {reason}"), node=partner_node_id,
                              reason="its index changed spec version meanwhile; ask again")  # fmt: skip
        held = _held(session, partner_id, prints)
        hits = {key for key, fingerprint in zip(ordered, prints, strict=True)
                if fingerprint in held}  # fmt: skip
        answer = Answer(str(signed["id"]), partner_node_id, len(ordered),
                        case_reference=signed["case_reference"],
                        legal_basis=signed["legal_basis"], created_at=now(),
                        spec_version=int(signed["spec_version"]))  # fmt: skip
        for category in sorted({k.category for k in ordered}):
            answer.matched[category] = sorted({k.type for k in hits if k.category == category})
        for subject, keys in asked:
            matched = sorted({k.type for k in keys.keys & hits})
            answer.subjects.append(SubjectAnswer(subject, matched, list(keys.warnings)))
        session.add(HitQuery(
            id=answer.query_id, direction=SENT, partner_id=partner_id,
            username=principal.username, agency=principal.agency,
            case_reference=signed["case_reference"], legal_basis=signed["legal_basis"],
            key_count=len(ordered), spec_version=answer.spec_version,
            categories=",".join(answer.matched),
            hits=orjson.dumps(answer.matched).decode(),
            subjects=orjson.dumps([s.as_dict() for s in answer.subjects]).decode(),
            created_at=answer.created_at,
        ))  # fmt: skip
        # The audit log names the key types, never the subjects: the query row holds those.
        audit.append(session, principal.username, "hits.ask", answer.query_id,
                     details={"partner": partner_node_id, "case_reference":
                              signed["case_reference"], "legal_basis": signed["legal_basis"],
                              "subjects": len(asked), "keys": len(ordered),
                              "spec_version": answer.spec_version,
                              "key_types": sorted({k.type for k in ordered}),
                              "hit_subjects": [i for i, s in enumerate(answer.subjects) if s.hit],
                              "matched": answer.matched})  # fmt: skip
    return answer
