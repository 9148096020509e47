"""What every node publishes beside its records: the objects its records point at.

A Puente object names its originating agency (``created_by_ref``), its TLP 2.0 marking
definition (``object_marking_refs``, STIX 2.1 §7.2.1.4) and the extensions it uses
(``extensions``, STIX 2.1 §7.3). Those targets are the same on every node and none of them is
record content: Puente's extension definitions and the identity that publishes them, the TLP
2.0 marking definitions and the identities of both countries' agencies (a public catalog,
which every export carries too). Exports carry them first (:func:`published`); TAXII
collections serve them beside the records, from the ``definitions`` table, each with the date
it was added there (:func:`served`), so that a reader paging by date_added also gets a
definition a later release adds.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from puente.records.models import Definition
from puente.records.stamps import clock, latest_stamp
from puente.records.validation import timestamp_key


def published() -> list[dict[str, Any]]:
    """The definitions, in the order an export carries them: Puente's extension definitions,
    the TLP 2.0 marking definitions and theirs, the agencies' identities."""
    from puente.policy.agencies import CATALOG
    from puente.policy.markings import (
        TLP_LEVELS,
        tlp2_extension_definition,
        tlp_marking_definition,
    )
    from puente.records.builder import agency_identity
    from puente.records.extensions import definitions

    return [
        *definitions(),
        tlp2_extension_definition(),
        *(tlp_marking_definition(level) for level in TLP_LEVELS),
        *(agency_identity(a.code) for a in CATALOG),
    ]


def is_published(obj: Any) -> bool:
    """Whether ``obj`` is one of the definitions a Puente node publishes (a partner serves
    them beside its records; here they are not records): an agency's or Puente's identity, a
    TLP 2.0 marking definition, or an extension definition Puente publishes, this release's or
    another's."""
    if not isinstance(obj, dict):
        return False
    from puente.policy.markings import TLP2_EXTENSION, TLP_MARKING_IDS
    from puente.records.kinds import PUENTE_IDENTITY

    kind, stix_id = obj.get("type"), obj.get("id")
    if type(stix_id) is not str:
        return False  # a malformed object is no definition: the checks that follow refuse it
    if kind == "extension-definition":
        return obj.get("created_by_ref") == PUENTE_IDENTITY or stix_id == TLP2_EXTENSION
    if kind == "marking-definition":
        return stix_id in TLP_MARKING_IDS.values()
    return kind == "identity" and (stix_id == PUENTE_IDENTITY or stix_id in _agency_identities())


@cache
def _agency_identities() -> frozenset[str]:
    from puente.policy.agencies import CATALOG
    from puente.records.builder import agency_identity_id

    return frozenset(agency_identity_id(a.code) for a in CATALOG)


def _version(obj: dict[str, Any]) -> str:
    return timestamp_key(str(obj.get("modified") or obj.get("created") or ""))


def served(session: Session) -> list[Definition]:
    """The definitions as stored, oldest added first; this release's are stored first if they
    are not yet (a new node, or one just upgraded)."""
    expected = _expected()
    rows = _stored(session)
    held = {(r.stix_id, r.modified_key): r.content_hash for r in rows}
    if any(held.get(key) != digest for key, (_, digest) in expected.items()):
        try:
            with session.begin_nested():
                _store(session, expected, held)
        except IntegrityError:  # another worker stored them first: theirs are the same
            pass
        rows = _stored(session)
    return rows


@cache
def _expected() -> dict[tuple[str, str], tuple[bytes, str]]:
    """This release's definitions by (id, version): their bytes and hash. The same for the
    life of the process, and asked for on every TAXII page: made once."""
    expected = {}
    for obj in published():
        content = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        expected[(obj["id"], _version(obj))] = (content, hashlib.sha256(content).hexdigest())
    return expected


def _stored(session: Session) -> list[Definition]:
    return list(
        session.execute(select(Definition).order_by(Definition.date_added, Definition.pk)).scalars()
    )


def _store(
    session: Session,
    expected: dict[tuple[str, str], tuple[bytes, str]],
    held: dict[tuple[str, str], str],
) -> None:
    """Store what is missing or changed, each with a new date_added, later than any record's
    (as :mod:`puente.records.stamps` hands them out): a reader that paged past the others
    still gets these."""
    changed = [key for key, (_, digest) in expected.items() if held.get(key) != digest]
    stamps = clock.take(len(changed), latest_stamp(session))
    for (stix_id, version), stamp in zip(changed, stamps, strict=True):
        content, digest = expected[(stix_id, version)]
        values = {"content": content.decode(), "content_hash": digest, "date_added": stamp}
        if (stix_id, version) in held:  # the same version, rewritten by a release: added anew
            session.execute(
                update(Definition)
                .where(Definition.stix_id == stix_id, Definition.modified_key == version)
                .values(**values)
            )
        else:
            session.add(Definition(stix_id=stix_id, modified_key=version, is_current=True,
                                   **values))  # fmt: skip
    session.flush()
    # One current version per definition: the newest (a later release may publish another).
    newest: dict[str, str] = {}
    for stix_id, version in session.execute(select(Definition.stix_id, Definition.modified_key)):
        newest[stix_id] = max(version, newest.get(stix_id, ""))
    for row in session.execute(select(Definition)).scalars():
        row.is_current = row.modified_key == newest[row.stix_id]
    session.flush()
