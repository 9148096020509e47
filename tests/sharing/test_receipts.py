"""A partner's receipt is kept only if every version it lists is one this node released to
that partner, with the same content: what a partner signs for is what crossed the border."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select

from puente.node import Node
from puente.policy.roles import Principal
from puente.records.models import Record
from puente.sharing import recalls, receipts, signing
from puente.sharing.models import Acknowledgement, Partner, Receipt
from puente.sharing.partners import PartnerPrincipal
from tests.support.partners import add_keyed_partner, signed_receipt, store


def _post(
    node: Node, key_path: Path, versions: list[tuple[str, str, str]], node_id: str = "mx-node"
) -> str | None:
    """Sign a receipt for ``versions`` as the partner and post it; the refusal, or None."""
    with node.db.session() as session:
        partner = session.execute(select(Partner).where(Partner.node_id == node_id)).scalar_one()
        requester = PartnerPrincipal(partner.id, partner.node_id, partner.country)
        signed = signed_receipt(node, key_path, versions, node_id)
        return receipts.accept(session, node, requester, signed)


def _versions(node: Node, *stix_ids: str) -> list[tuple[str, str, str]]:
    with node.db.session() as session:
        rows = session.execute(
            select(Record.stix_id, Record.modified_key, Record.content_hash)
            .where(Record.stix_id.in_(stix_ids))
            .order_by(Record.pk)
        ).all()
    return [(i, v, h) for i, v, h in rows]


def _held(node: Node) -> tuple[int, set[str]]:
    """How many receipts this node keeps, and the ids of the records acknowledged."""
    with node.db.session() as session:
        kept = len(session.execute(select(Receipt.id)).all())
        acknowledged = set(
            session.execute(
                select(Record.stix_id).join(Acknowledgement, Acknowledgement.record_pk == Record.pk)
            ).scalars()
        )
    return kept, acknowledged


def test_a_receipt_for_released_versions_acknowledges_each_of_them(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    key = add_keyed_partner(node, admin, tmp_path)
    shared = [store(node, analyst, f"Shared {n}") for n in range(3)]
    store(node, analyst, "Not listed")
    assert _post(node, key, _versions(node, *shared)) is None
    assert _held(node) == (1, set(shared))


def test_a_receipt_listing_anything_not_released_to_the_partner_is_refused_whole(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    key = add_keyed_partner(node, admin, tmp_path)
    shared = store(node, analyst, "Shared")
    kept_home = {
        "not REL TO MEX": store(node, analyst, "Home", rel_to=("USA",)),
        "TLP:RED": store(node, analyst, "Red", tlp="RED"),
        "an agency of the USA only": store(node, analyst, "Agency", agencies=frozenset({"CBP"})),
    }
    for why, stix_id in kept_home.items():
        refused = _post(node, key, _versions(node, shared, stix_id))
        assert refused is not None, why
    assert _held(node) == (0, set())


def test_a_receipt_naming_other_content_or_an_unknown_version_is_refused(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    key = add_keyed_partner(node, admin, tmp_path)
    first, second = store(node, analyst, "First"), store(node, analyst, "Second")
    (one, version, digest), other = _versions(node, first, second)
    assert _post(node, key, [(one, version, "0" * 64), other]) is not None
    assert _post(node, key, [(one, "2001-01-01T00:00:00.000Z", digest), other]) is not None
    assert _post(node, key, [(f"incident--{uuid.uuid4()}", version, digest), other]) is not None
    assert _held(node) == (0, set())


def test_a_version_recalled_since_it_was_released_is_still_acknowledged(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    key = add_keyed_partner(node, admin, tmp_path)
    recalled, kept = store(node, analyst, "Recalled"), store(node, analyst, "Kept")
    listed = _versions(node, recalled, kept)
    with node.db.session() as session:
        recalls.recall(session, node, analyst, recalled, "Wrong plate number")
    # The partner did receive it: its receipt still proves that.
    assert _post(node, key, listed) is None
    assert _held(node) == (1, {recalled, kept})


def test_a_recalled_version_never_released_to_the_partner_is_not_acknowledged(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    """A recall does not make a version released: one the gate never let out (TLP:RED, not
    REL TO the partner) stays refused once recalled, or a partner could sign for having
    received what never crossed the border."""
    key = add_keyed_partner(node, admin, tmp_path)
    shared = store(node, analyst, "Shared")
    kept_home = [store(node, analyst, "Red", tlp="RED"),
                 store(node, analyst, "Home", rel_to=("USA",))]  # fmt: skip
    for stix_id in kept_home:
        with node.db.session() as session:
            recalls.recall(session, node, analyst, stix_id, "Entered in error")
        assert _post(node, key, _versions(node, shared, stix_id)) is not None
    assert _held(node) == (0, set())


def test_a_receipt_whose_fields_the_node_cannot_keep_is_refused_with_a_reason(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    """A receipt is signed by the partner, and any of its fields may be malformed: an id that
    is no receipt id, or longer than its column, a collection id or dates that do not fit.
    Each was kept as written (SQLite) or raised a database error, a 500 for the whole post
    (PostgreSQL): it must be a refusal, and nothing kept."""
    key = add_keyed_partner(node, admin, tmp_path)
    listed = _versions(node, store(node, analyst, "Shared"))
    with node.db.session() as session:
        partner = session.execute(select(Partner)).scalar_one()
        requester = PartnerPrincipal(partner.id, partner.node_id, partner.country)
    good = signed_receipt(node, key, listed, "mx-node")
    for field, value in (
        ("id", f"{receipts.RECEIPT_TYPE}--{uuid.uuid4()}" + "0" * 100),
        ("id", "x-puente-receipt--not-a-uuid"),
        ("id", ["a", "b"]),
        ("id", 7),
        ("collection_id", "c" * 37),
        ("collection_id", {"a": 1}),
        ("first_date_added", "2026-02-01T09:00:00.000000Z" + "9" * 10),
        ("last_date_added", 12),
    ):
        body = {k: v for k, v in good.items() if k != "signature"}
        signed = signing.sign(key, {**body, field: value})
        with node.db.session() as session:
            assert receipts.accept(session, node, requester, signed) is not None, (field, value)
    assert _held(node) == (0, set())
    with node.db.session() as session:
        assert receipts.accept(session, node, requester, good) is None
