"""Which TAXII collections a requester has, and which stored rows each one holds.

A partner node sees one collection: what the egress gate releases to its country (TAXII 2.1
§5.2: can_read, not can_write). A user of this node, signed in with an API token, sees the
node's records that the gate lets them see, and may add to it and delete from it as their
role allows. Collection ids are random version-4 UUIDs (TAXII 2.1 §2), made once and stored,
so a partner's sync keeps working across restarts; nobody can reach another requester's
collection by guessing, since the collection is looked up among the requester's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from puente.config import Settings
from puente.errors import N_, NotFound
from puente.policy.gate import Audience
from puente.policy.roles import Principal
from puente.records.models import Record
from puente.records.prefilter import Entity, released_to_partner, visible_to_user
from puente.sharing.models import TaxiiCollection
from puente.sharing.partners import PartnerPrincipal

Requester = Principal | PartnerPrincipal
# The SQL condition for "this row is in the collection", for any alias of the records table.
Membership = Callable[[Entity], ColumnElement[bool]]

COLLECTION_NAMESPACE = uuid.UUID("5b0f1a52-8c1e-4f6e-9d1e-3f7a2c4b9e10")
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


@dataclass(frozen=True)
class CollectionSpec:
    id: str
    name: str  # what it is, as stored with its id (see collection_ids)
    alias: str
    title: str
    description: str
    can_read: bool
    can_write: bool
    audience: Audience
    membership: Membership
    # Everything ``membership`` depends on (page statements are cached by it).
    membership_key: Hashable
    kind: str  # "released" or "inbox" (a partner's), "records" (this node's, for its users)


def collection_ids(session: Session, names: list[str]) -> dict[str, str]:
    """The stored id of each named collection; one not made yet is made now (a new partner's)."""
    found = dict(
        session.execute(
            select(TaxiiCollection.name, TaxiiCollection.id).where(TaxiiCollection.name.in_(names))
        )
        .tuples()
        .all()
    )
    for name in names:
        if name in found:
            continue
        try:
            with session.begin_nested():
                session.add(TaxiiCollection(name=name, id=str(uuid.uuid4())))
        except IntegrityError:  # another request made it first: theirs is the one
            pass
        found[name] = session.execute(
            select(TaxiiCollection.id).where(TaxiiCollection.name == name)
        ).scalar_one()
    return found


def collection_id(session: Session, name: str) -> str:
    return collection_ids(session, [name])[name]


def legacy_id(settings: Settings, name: str) -> str:
    """The id this node gave the collection before ids were stored (a UUIDv5 from its node id).
    A partner that found its collection then keeps its address: it is still answered."""
    return str(uuid.uuid5(COLLECTION_NAMESPACE, f"{settings.node_id}/{name}"))


def requester_name(requester: Requester) -> str:
    return requester.name if isinstance(requester, PartnerPrincipal) else requester.username


def collections_for(
    session: Session, settings: Settings, requester: Requester
) -> list[CollectionSpec]:
    if isinstance(requester, PartnerPrincipal):
        audience = requester.audience
        released, inbox = f"released/{requester.node_id}", f"inbox/{requester.node_id}"
        ids = collection_ids(session, [released, inbox])
        return [
            CollectionSpec(
                id=ids[released],
                name=released,
                alias=f"released-to-{requester.node_id}",
                title=f"{settings.display_name} → {requester.node_id}",
                description=(
                    f"What node {settings.node_id} ({settings.country}) releases to "
                    f"{requester.country}: its own records marked REL TO {requester.country}, "
                    "never TLP:RED, recalled or received records."
                ),
                can_read=True,
                can_write=False,
                audience=audience,
                membership=lambda entity: governed(
                    entity, lambda e: released_to_partner(audience, e)
                ),
                # The partner's agencies come from the fixed catalog: the country decides.
                membership_key=("released", requester.country),
                kind="released",
            ),
            CollectionSpec(
                id=ids[inbox],
                name=inbox,
                alias=f"receipts-from-{requester.node_id}",
                title=f"{requester.node_id} → {settings.display_name}: receipts",
                description=(
                    "Where the partner posts its signed receipts for what it stored, and its "
                    "acknowledgements of recalls."
                ),
                can_read=False,
                can_write=True,
                audience=audience,
                membership=lambda entity: false(),
                membership_key=("inbox",),
                kind="inbox",
            ),
        ]
    user = requester.audience

    def visible(entity: Entity) -> ColumnElement[bool]:
        # Deleted through TAXII is revoked: the current version says so, and it governs the
        # others. Checked with the row's own columns for a current version (the usual page,
        # and every page of match[version]=last), by the stix_id index for an older one.
        return governed(entity, lambda e: visible_to_user(user, e), _not_revoked)

    return [
        CollectionSpec(
            id=collection_id(session, "records"),
            name="records",
            alias="records",
            title=f"{settings.display_name}: records",
            description=(
                "The records of this node that you may see. Adding objects imports them as "
                "you; deleting an object revokes it."
            ),
            can_read=requester.can("records.read"),
            can_write=requester.can("records.import"),
            audience=user,
            membership=visible,
            membership_key=("records", user),
            kind="records",
        )
    ]


def governed(
    entity: Entity, releasable: Membership, current_only: Membership | None = None
) -> ColumnElement[bool]:
    """``releasable`` for a version, and for an older one its current version's too: the
    current version's markings govern the whole record (DESIGN.md, "Records and markings").
    ``current_only`` is what the current version must also be (it holds for the whole record).

    A current version is decided on its own columns; only an older one looks its current
    version up, by stix_id. is_current is wrapped there so that no index can serve it: SQLite
    without statistics would otherwise pick the is_current index and read every current row
    for each row on a page (77 s for a first page at 100,000 records)."""
    current = aliased(Record)
    extra = current_only or (lambda e: true())
    lookup = select(current.pk).where(
        current.stix_id == entity.stix_id,
        func.coalesce(current.is_current, False).is_(True),
        releasable(current),
        extra(current),
    )
    return and_(
        releasable(entity),
        or_(and_(entity.is_current.is_(True), extra(entity)), exists(lookup)),
    )


def _not_revoked(entity: Entity) -> ColumnElement[bool]:
    """Not deleted through TAXII (that is, revoked)."""
    return entity.revoked.is_(False)


def find_collection(
    session: Session, settings: Settings, requester: Requester, key: str
) -> CollectionSpec:
    """The requester's collection with this id (TAXII 2.1 §5.2), or its alias (§5.2.1: "used
    ... to alias a collection ID"), or 404 as for any other."""
    for spec in collections_for(session, settings, requester):
        if key in (spec.id, spec.alias, legacy_id(settings, spec.name)):
            return spec
    raise NotFound(N_("No collection {id} that you may use."), id=key)
