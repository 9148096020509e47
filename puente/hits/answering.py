"""The asked side of hit/no-hit: a partner's copy of its index, and answers to its queries.

A query is a signed object (Ed25519, the partner's pinned key) naming the asking agency, the
case reference and the legal basis, with the partner's blinded keys. The answer raises each to
this node's secret for that partner; nothing in it depends on what this node holds, so the
answer discloses nothing, and this node learns only the metadata and the number of keys. A
query seen before, or older than ``hits.query_max_age_seconds``, is refused (replay).

The partner has an index in each match-key spec version this node serves
(``hits.spec_versions``): a download names the version it wants (``version``, absent: 1, what
a node from before versions never names) and a query the version its keys follow
(``spec_version``, absent: 1); each is answered from that version's index and secret, and a
version not served is refused, naming the ones that are.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import as_utc, now
from puente.errors import (
    N_,
    Conflict,
    InvalidInput,
    Problem,
    PuenteError,
    QuotaExceeded,
    Unauthenticated,
)
from puente.hits import psi
from puente.hits.index import state_of
from puente.hits.models import HitIndexEntry, HitIndexState, HitQuery
from puente.node import Node
from puente.sharing import signing
from puente.sharing.models import Partner
from puente.sharing.partners import PartnerPrincipal

QUERY_TYPE = "x-puente-hit-query"
SENT, RECEIVED = "sent", "received"


def _b64(prints: list[bytes]) -> str:
    return base64.b64encode(b"".join(prints)).decode()


class UnservedVersion(PuenteError):
    """A download of an index in a spec version this node does not serve (HTTP 400); the
    problem names the versions it serves, and carries them for the asking node to choose."""

    def __init__(self, version: int, served: Sequence[int]) -> None:
        super().__init__(N_("This node serves match keys of spec versions {served} only, not "
                            "of version {version}."), pointer="/version", version=version,
                         served=", ".join(map(str, served)))  # fmt: skip
        self.served = list(served)


PAGE = 250_000  # fingerprints a page gives at most (2 MB): memory stays flat at any size
CHECK_BATCH = 500


def index_changes(
    session: Session,
    requester: PartnerPrincipal,
    since: int,
    *,
    seq: int | None = None,
    after: bytes = b"",
    version: int = 1,
    served: Sequence[int] = (1,),
) -> dict[str, Any]:
    """One page of what the partner must add and drop to hold this node's index for it in spec
    ``version``, one of the ``served`` ones (hits.spec_versions; :class:`UnservedVersion`
    if not). The page names the version it gives and every version served.

    ``since`` is the refresh the partner holds (0: none): it gets what changed after it, or
    the whole index when it holds nothing or a refresh this node does not know. The answer is
    the index as it stood at refresh ``seq`` (the one the first page named: later pages ask
    for it again, so that a refresh between two pages adds nothing to what they give), less
    what has been removed since (by a refresh, or by the write that withdrew a record: see
    puente.hits.withdrawals): a fingerprint removed (a record recalled, revoked, no longer
    searchable) never leaves again, whatever refresh the partner names, and the next
    delta drops nothing the copy still needs. In fingerprint order, the fingerprints above
    ``after`` (the ``next`` of the page before); ``next`` is empty on the last page. When
    that refresh can no longer be given (removed entries compacted since), the answer is the
    first page at the current refresh: its ``seq`` tells the partner to start again.
    """
    if version not in served:
        raise UnservedVersion(version, served)
    partner = session.get(Partner, requester.partner_id)
    assert partner is not None
    state = state_of(session, partner, version)
    full = since <= 0 or since > state.seq or since < state.compacted_seq
    if seq is None or not state.compacted_seq <= seq <= state.seq or (not full and seq < since):
        seq, after = state.seq, b""
    mine = (HitIndexEntry.partner_id == partner.id) & (HitIndexEntry.spec_version == version)
    # Added by refresh seq and live now: an entry removed after seq is not given back (the
    # partner names seq, and may name an old one); the copy it makes is a subset of the index
    # at seq that the next delta brings to the index then, as it drops what was removed.
    live = (HitIndexEntry.seq <= seq) & HitIndexEntry.removed_seq.is_(None)
    added_where = [mine, live, HitIndexEntry.fingerprint > after]
    if not full:
        added_where.append(HitIndexEntry.seq > since)
    added = _page(session, added_where)
    removed: list[bytes] = []
    if not full:
        # Removed since the partner's refresh, up to now (not only up to seq: see above).
        removed = _removed_page(session, mine, partner.id, version, since, after)
    # Both lists run in fingerprint order: a page ends where the first full one ends, and the
    # next page starts there for both.
    ends = [found[-1] for found in (added, removed) if len(found) == PAGE]
    end = min(ends) if ends else None
    if end is not None:
        added = [f for f in added if f <= end]
        removed = [f for f in removed if f <= end]
    if removed:
        # Two records can share a key: a fingerprint stays while any entry given has it.
        # (Liveness tested here, not in SQL, so the fingerprint index is the one used.)
        still_live: set[bytes] = set()
        for start in range(0, len(removed), CHECK_BATCH):
            rows = session.execute(
                select(HitIndexEntry.fingerprint, HitIndexEntry.seq, HitIndexEntry.removed_seq)
                .where(mine, HitIndexEntry.fingerprint.in_(removed[start : start + CHECK_BATCH]))
            )  # fmt: skip
            still_live |= {fingerprint for fingerprint, added_seq, removed_seq in rows
                           if added_seq <= seq and removed_seq is None}  # fmt: skip
        removed = [f for f in removed if f not in still_live]
    audit.append(session, requester.name, "hits.index", partner.node_id,
                 details={"spec_version": version, "since": since, "seq": seq, "full": full,
                          "after": after.hex(),
                          "added": len(added), "removed": len(removed)})  # fmt: skip
    if not full:
        _holds(session, partner.id, version, since)
    return {"spec_version": version, "spec_versions": list(served), "seq": seq, "full": full,
            "fingerprint_bytes": psi.FINGERPRINT_BYTES, "added": _b64(added),
            "removed": _b64(removed), "next": end.hex() if end is not None else ""}  # fmt: skip


def _holds(session: Session, partner_id: int, version: int, since: int) -> None:
    """Note that the partner holds refresh ``since`` (see index.compact), unless a refresh or
    a write withdrawing a record holds the index's state: after the audit chain's head, this
    never waits for it, as such a write may hold the state and wait for the head
    (puente.hits.withdrawals). The partner says it again with its next download."""
    state = session.execute(
        select(HitIndexState)
        .where(HitIndexState.partner_id == partner_id, HitIndexState.spec_version == version)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if state is not None:
        state.partner_seq = max(state.partner_seq, since)


# SQLite's approximate statistics (puente.statistics) cannot tell that few entries are removed
# after a refresh: it walked the whole (partner, version, fingerprint) index for the order, a
# second a query at a million keys. The removed entries' own index is named.
_REMOVED_PAGE_SQLITE = text(
    "SELECT DISTINCT fingerprint FROM hit_index_entries"
    " INDEXED BY ix_hit_index_entries_index_removed"
    " WHERE partner_id = :partner AND spec_version = :version AND removed_seq > :since"
    " AND seq <= :since AND fingerprint > :after ORDER BY fingerprint LIMIT :limit"
)


def _removed_page(
    session: Session, mine: Any, partner_id: int, version: int, since: int, after: bytes
) -> list[bytes]:
    """The first :data:`PAGE` fingerprints removed since refresh ``since`` (of entries given
    by then), above ``after``, in order."""
    if session.get_bind().dialect.name == "sqlite":
        params = {"partner": partner_id, "version": version, "since": since, "after": after,
                  "limit": PAGE}  # fmt: skip
        return list(session.execute(_REMOVED_PAGE_SQLITE, params).scalars())
    return _page(session, [mine, HitIndexEntry.seq <= since, HitIndexEntry.removed_seq > since,
                           HitIndexEntry.fingerprint > after])  # fmt: skip


def _page(session: Session, where: list[Any]) -> list[bytes]:
    """The first :data:`PAGE` distinct fingerprints of the entries ``where`` says, in order."""
    return list(
        session.execute(
            select(HitIndexEntry.fingerprint)
            .where(*where)
            .distinct()
            .order_by(HitIndexEntry.fingerprint)
            .limit(PAGE)
        ).scalars()
    )


def _text(body: dict[str, Any], name: str, limit: int, problems: list[Problem]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(N_("{name} is required."), f"/{name}", {"name": name}))
        return ""
    if len(value) > limit:
        problems.append(Problem(N_("{name} is longer than {limit} characters."), f"/{name}",
                                {"name": name, "limit": limit}))  # fmt: skip
    return value.strip()


def _points(body: dict[str, Any], most: int, problems: list[Problem]) -> list[bytes]:
    raw = body.get("points")
    if not isinstance(raw, list) or not raw:
        problems.append(Problem(N_("points must be a list of blinded keys."), "/points"))
        return []
    if len(raw) > most:
        problems.append(Problem(N_("A query may hold at most {limit} keys, not {count}."),
                                "/points", {"limit": most, "count": len(raw)}))  # fmt: skip
        return []
    points = []
    for i, item in enumerate(raw):
        try:
            point = base64.b64decode(item, validate=True) if isinstance(item, str) else b""
        except (binascii.Error, ValueError):
            point = b""
        if len(point) != 32:
            problems.append(Problem(N_("Each point must be 32 bytes in base64."), f"/points/{i}"))
            return []
        points.append(point)
    return points


def _created(body: dict[str, Any], node: Node, problems: list[Problem]) -> datetime | None:
    try:
        created = as_utc(
            datetime.fromisoformat(str(body.get("created", "")).replace("Z", "+00:00"))
        )
    except ValueError:
        problems.append(Problem(N_("created must be a UTC timestamp."), "/created"))
        return None
    window = timedelta(seconds=node.settings.hits.query_max_age_seconds)
    if abs(now() - created) > window:
        problems.append(Problem(N_("The query is too old or too far in the future to answer."),
                                "/created"))  # fmt: skip
    return created


def _version(body: dict[str, Any], node: Node, problems: list[Problem]) -> int:
    """The spec version the query's keys follow: absent, 1 (a node from before versions)."""
    version = body.get("spec_version", 1)
    served = node.settings.hits.spec_versions
    if isinstance(version, bool) or not isinstance(version, int) or version not in served:
        problems.append(Problem(N_("This node answers queries in match-key spec versions "
                                   "{served}, not {version}."), "/spec_version",
                                {"served": ", ".join(map(str, served)),
                                 "version": str(version)[:20]}))  # fmt: skip
        return 0
    return version


def answer(session: Session, node: Node, requester: PartnerPrincipal, body: Any) -> dict[str, Any]:
    """Answer a partner's signed query; it is recorded (metadata only) and audited."""
    partner = session.get(Partner, requester.partner_id)
    assert partner is not None
    if not isinstance(body, dict) or body.get("type") != QUERY_TYPE:
        raise InvalidInput([Problem(N_("The body must be a hit/no-hit query."), "/type")])
    if not signing.verify(partner.public_key, body):
        raise Unauthenticated(N_("The query's signature does not verify with the partner's pinned key."))  # fmt: skip
    problems: list[Problem] = []
    if (
        body.get("asking_node") != partner.node_id
        or body.get("asked_node") != node.settings.node_id
    ):
        problems.append(Problem(N_("The query names other nodes than its sender and this one."), "/asked_node"))  # fmt: skip
    query_id = str(body.get("id", ""))
    try:
        uuid.UUID(query_id)
    except ValueError:
        problems.append(Problem(N_("id must be a UUID."), "/id"))
    agency = _text(body, "agency", 16, problems)
    case_reference = _text(body, "case_reference", 200, problems)
    legal_basis = _text(body, "legal_basis", 500, problems)
    created = _created(body, node, problems)
    points = _points(body, node.settings.hits.max_keys_per_query, problems)
    version = _version(body, node, problems)
    if problems or created is None:
        raise InvalidInput(problems)
    if session.get(HitQuery, (query_id, RECEIVED)) is not None:
        raise Conflict(N_("Query {id} was already answered: a replay is refused."), id=query_id)
    today = session.execute(
        select(func.count()).where(
            HitQuery.partner_id == partner.id,
            HitQuery.direction == RECEIVED,
            HitQuery.created_at >= now() - timedelta(days=1),
        )
    ).scalar_one()
    if today >= node.settings.hits.queries_per_partner_per_day:
        raise QuotaExceeded(N_("Node {node} has used its {limit} queries for the last 24 hours."),
                            node=partner.node_id,
                            limit=node.settings.hits.queries_per_partner_per_day)  # fmt: skip
    state = state_of(session, partner, version)
    secret = psi.IndexSecret(state.secret)
    try:
        answers = [base64.b64encode(secret.answer(point)).decode() for point in points]
    except ValueError:  # a point of small order: not something a key blinds to
        raise InvalidInput([Problem(N_("A point is not a blinded key."), "/points")]) from None
    session.add(HitQuery(id=query_id, direction=RECEIVED, partner_id=partner.id, agency=agency,
                         case_reference=case_reference, legal_basis=legal_basis,
                         key_count=len(points), spec_version=version,
                         created_at=now()))  # fmt: skip
    audit.append(session, requester.name, "hits.answer", query_id,
                 details={"agency": agency, "case_reference": case_reference,
                          "legal_basis": legal_basis, "keys": len(points),
                          "spec_version": version})  # fmt: skip
    return {"id": query_id, "answers": answers, "seq": state.seq, "spec_version": version}


def record_refusal(
    session: Session, requester: PartnerPrincipal, body: Any, error: PuenteError
) -> None:
    """Audit a refused query (in a unit of work of its own: the refused one rolled back)."""
    query_id = str(body.get("id", ""))[:100] if isinstance(body, dict) else ""
    audit.append(session, requester.name, "hits.refused", query_id,
                 details={"kind": error.kind, "reason": error.problems[0].message,
                          "where": [p.pointer for p in error.problems][:10]})  # fmt: skip
