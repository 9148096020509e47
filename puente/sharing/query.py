"""TAXII 2.1 filtering and pagination over a collection (§3.4, §3.4.1, §3.5).

Pages are cut by keyset on (date_added, pk), the order §3.3 asks for ("ascending order by
the date it was added"), so the last page costs what the first does. ``added_after`` is
exclusive. ``next`` is an opaque token that carries the keyset position, signed with a key
derived from the node's own and bound to the collection, the requester and the query: a
token is useless with any other query, and is re-checked, not trusted (Appendix B).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from puente.errors import N_, InvalidInput, Problem
from puente.records.definitions import served as served_definitions
from puente.records.models import Record
from puente.records.rows import GATE_COLUMNS, GateValues
from puente.records.validation import is_timestamp, timestamp_key
from puente.sharing.collections import CollectionSpec

# The modified_key of an object with neither modified nor created (records.ingest keys it so).
UNVERSIONED = timestamp_key("")
DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000  # the server's own cap (§3.4: it "MAY" return fewer than asked)
# §2: TAXII timestamps; a client may send fewer fraction digits (taxii2-client strips zeros).
TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,6})?Z", re.ASCII)
# §3.4.1: a version is a STIX timestamp (STIX 2.1 §3.2 sets no limit on its fraction digits;
# records.validation takes up to nine, and keys keep six).
STIX_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?Z", re.ASCII)
FILTERS = ("added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
           "match[spec_version]")  # fmt: skip


@dataclass(frozen=True)
class Filters:
    added_after: str = ""  # as a date_added key: fixed-width microseconds
    limit: int = DEFAULT_LIMIT
    next: str = ""
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)  # "last", "first", "all" or version keys
    spec_versions: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        """What a next token is bound to: the query, not the page size or the position."""
        query = [self.added_after, self.ids, self.types, self.versions, self.spec_versions]
        return hashlib.sha256(orjson.dumps(query)).hexdigest()[:32]


def parse_filters(
    params: Sequence[tuple[str, str]], allowed: Sequence[str], default_version: str = "last"
) -> Filters:
    """The URL query of a TAXII request; any malformed parameter is a 400 (§3.4)."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for name, value in params:
        if name in seen:
            problems.append(Problem(N_("{name} may appear only once."), name, {"name": name}))
        seen[name] = value

    def bad(name: str, message: str) -> None:
        problems.append(Problem(message, name, {"name": name, "value": seen[name][:80]}))

    added_after = ""
    if "added_after" in seen:
        if key := instant_key(seen["added_after"]):
            added_after = key
        else:
            bad("added_after", N_("{name} must be a UTC timestamp such as 2026-01-31T17:05:00.000000Z, not {value}."))  # fmt: skip
    limit = DEFAULT_LIMIT
    if "limit" in seen:
        # ASCII digits only ("²" is a digit to isdigit, not to int), and few of them: any
        # limit over the server's cap is the cap (§3.4 lets the server return fewer).
        digits = seen["limit"].lstrip("0")
        if seen["limit"].isascii() and seen["limit"].isdigit() and digits:
            limit = MAX_LIMIT if len(digits) > 9 else min(int(digits), MAX_LIMIT)
        else:
            bad("limit", N_("{name} must be a whole number above 0, not {value}."))
    versions: tuple[str, ...] = (default_version,)
    if "match[version]" in seen:
        versions = tuple(seen["match[version]"].split(","))
        keys = []
        for value in versions:
            if value in ("last", "first", "all"):
                keys.append(value)
            elif key := instant_key(value, STIX_TIMESTAMP):
                keys.append(key)
            else:
                bad("match[version]", N_("{name} takes last, first, all or STIX timestamps, not {value}."))  # fmt: skip
        if "all" in keys and len(keys) > 1:
            bad("match[version]", N_("{name}: all may not be combined with other values."))
        if len(set(keys)) < len(keys):
            bad("match[version]", N_("{name} names the same value twice."))
        versions = tuple(keys)
    for name in seen:
        if name not in allowed and name in FILTERS:
            bad(name, N_("{name} does not apply to this endpoint."))
    if problems:
        raise InvalidInput(problems)

    def listed(name: str) -> tuple[str, ...]:
        return tuple(v for v in seen.get(name, "").split(",") if v)

    return Filters(
        added_after=added_after,
        limit=limit,
        next=seen.get("next", ""),
        ids=listed("match[id]"),
        types=listed("match[type]"),
        versions=versions,
        spec_versions=listed("match[spec_version]"),
        extra={k: v for k, v in seen.items() if k not in FILTERS},
    )


def instant_key(value: str, form: re.Pattern[str] = TIMESTAMP) -> str:
    """``value`` as a fixed-width key if it is an RFC 3339 UTC timestamp of a real instant
    (§2: "Z", no other offset; 2026-02-30 and 24:00 are not instants), else ""."""
    if form.fullmatch(value) is None or not is_timestamp(value):
        return ""
    return timestamp_key(value)


# -- next tokens ------------------------------------------------------------------------------


@cache
def _token_key(key_path: Path, mtime_ns: int) -> bytes:
    # Derived from the node's signing key (never the key itself): a restart or another worker
    # reading the same key accepts the same tokens. mtime_ns keys the cache to the key file.
    return hashlib.sha256(b"puente/taxii/next/1\x00" + key_path.read_bytes()).digest()


def token_key(key_path: Path) -> bytes:
    return _token_key(key_path, key_path.stat().st_mtime_ns)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(key: bytes, binding: str, date_added: str, pk: int) -> str:
    body = _b64(orjson.dumps([date_added, pk]))
    mac = hmac.new(key, f"{binding}|{body}".encode(), hashlib.sha256).digest()[:16]
    return f"{body}.{_b64(mac)}"


def read_token(key: bytes, binding: str, token: str) -> tuple[str, int]:
    """The keyset position in ``token``, if this node made it for this very query."""
    try:
        body, mac = token.split(".")
        expected = hmac.new(key, f"{binding}|{body}".encode(), hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(_unb64(mac), expected):
            raise ValueError("signature")
        date_added, pk = orjson.loads(_unb64(body))
        if not isinstance(date_added, str) or not isinstance(pk, int):
            raise ValueError("shape")
    except (ValueError, orjson.JSONDecodeError):
        raise InvalidInput(
            [Problem(N_("next is not a token this server gave for this query."), "next")]
        ) from None
    return date_added, pk


# -- pages ------------------------------------------------------------------------------------


class PageRow(NamedTuple):
    """One stored version on a page: what the envelope, the headers and the audit need."""

    pk: int
    date_added: str
    stix_id: str
    modified_key: str
    content_hash: str
    content: str
    is_current: bool
    gate: GateValues  # the row's GATE_COLUMNS, for the egress gate


# Plain Core rows read by position: an ORM row's attribute access costs several times as much,
# which on a page of 1,000 is more than the query itself.
ROW_COLUMNS = (Record.pk, Record.date_added, Record.stix_id, Record.modified_key,
               Record.content_hash, Record.content, Record.is_current, *GATE_COLUMNS)  # fmt: skip
GATE_START = 7


@dataclass
class Page:
    rows: list[PageRow]
    more: bool
    next: str = ""


def _version_condition(spec: CollectionSpec, versions: tuple[str, ...]) -> ColumnElement[bool]:
    """§3.4.1 match[version], where first and last are among the versions in the collection."""
    if "all" in versions:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if any(v not in ("last", "first") for v in versions):
        conditions.append(Record.modified_key.in_(bindparam("version_keys", expanding=True)))
        # An object with neither modified nor created is versioned by its date_added.
        unversioned = Record.modified_key == UNVERSIONED
        added = Record.date_added.in_(bindparam("version_added", expanding=True))
        conditions.append(and_(unversioned, added))
    if "last" in versions:
        # A collection holds an older version only while it holds the current one (the current
        # version governs the record: sharing/collections.governed), so its last is the current.
        conditions.append(Record.is_current.is_(True))
    if "first" in versions:
        other = aliased(Record)
        conditions.append(
            ~exists(
                select(other.pk).where(
                    other.stix_id == Record.stix_id,
                    other.modified_key < Record.modified_key,
                    spec.membership(other),
                )
            )
        )
    return or_(*conditions)


PageQuery = Select[*tuple[Any, ...]]

# (membership key, which filters are present) -> statement with bound parameters. Building
# and hashing a statement with the gate's conditions costs milliseconds; a sync asks for
# the same shape page after page. Bounded: cleared when full.
_STATEMENTS: dict[tuple[Hashable, ...], PageQuery] = {}
_STATEMENTS_MAX = 512


def _statement(spec: CollectionSpec, filters: Filters, by_object: bool) -> PageQuery:
    versions = tuple(v if v in ("last", "first", "all") else "key" for v in filters.versions)
    shape = (spec.membership_key, by_object, bool(filters.ids), bool(filters.types), versions,
             bool(filters.added_after), bool(filters.next))  # fmt: skip
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _build(spec, filters, by_object)
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        _STATEMENTS[shape] = statement
    return statement


def _build(spec: CollectionSpec, filters: Filters, by_object: bool) -> PageQuery:
    """The page query for this shape of ``filters``; values are bound at execution."""
    query = select(*ROW_COLUMNS).where(spec.membership(Record))
    if by_object:
        query = query.where(Record.stix_id == bindparam("object_id"))
    if filters.ids:
        query = query.where(Record.stix_id.in_(bindparam("ids", expanding=True)))
    if filters.types:
        query = query.where(Record.type.in_(bindparam("types", expanding=True)))
    query = query.where(_version_condition(spec, filters.versions))
    if filters.added_after:
        query = query.where(Record.date_added > bindparam("added_after"))
    if filters.next:
        position = tuple_(bindparam("after_date"), bindparam("after_pk", type_=Integer))
        query = query.where(tuple_(Record.date_added, Record.pk) > position)
    ordered = query.order_by(Record.date_added, Record.pk)
    return ordered.limit(bindparam("limit", type_=Integer))


def page(
    session: Session,
    spec: CollectionSpec,
    filters: Filters,
    key: bytes,
    binding: str,
    object_id: str | None = None,
) -> Page:
    """One page of the collection's rows matching ``filters``, oldest date_added first."""
    if filters.spec_versions and "2.1" not in filters.spec_versions:
        return Page([], False)  # every object Puente stores is STIX 2.1
    params: dict[str, Any] = {"limit": filters.limit + 1}
    if object_id is not None:
        params["object_id"] = object_id
    if filters.ids:
        params["ids"] = list(filters.ids)
    if filters.types:
        params["types"] = list(filters.types)
    params["version_keys"] = [v for v in filters.versions if v not in ("last", "first", "all")]
    params["version_added"] = params["version_keys"]
    if filters.added_after:
        params["added_after"] = filters.added_after
    if filters.next:
        params["after_date"], params["after_pk"] = read_token(key, binding, filters.next)
    if not params["version_keys"]:
        del params["version_keys"], params["version_added"]
    statement = _statement(spec, filters, object_id is not None)
    # Core, not the ORM session's execute: no ORM result processing for plain columns.
    found = session.connection().execute(statement, params).all()
    rows = [PageRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[GATE_START:]) for r in found]
    position = (params["after_date"], params["after_pk"]) if filters.next else None
    defined, served = _definitions(session, filters, position, object_id)
    if served:  # few, and on few pages: merged here rather than joined in SQL
        rows = sorted([*rows, *served], key=lambda r: (r.date_added, r.pk))
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    token = make_token(key, binding, rows[-1].date_added, rows[-1].pk) if more else ""
    # A definition a user imported (an export carries them) is also a record: it is served
    # once, as a definition. The page may hold fewer rows than the limit (§3.4 allows it).
    return Page([r for r in rows if is_definition(r) or r.stix_id not in defined], more, token)


def is_definition(row: PageRow) -> bool:
    """Whether the row is one of the definitions served beside the records (not a record: no
    markings, not for the egress gate; see :mod:`puente.records.definitions`)."""
    return row.pk < 0


def _definitions(
    session: Session, filters: Filters, position: tuple[str, int] | None, object_id: str | None
) -> tuple[set[str], list[PageRow]]:
    """The ids of the definitions every collection serves, and those that match ``filters``
    after ``position`` as page rows: their pks negated, so that a next token orders them
    among the records."""
    stored = served_definitions(session)
    first: dict[str, str] = {}
    for row in stored:
        first[row.stix_id] = min(row.modified_key, first.get(row.stix_id, row.modified_key))
    keys = set(filters.versions)
    found = []
    for row in stored:
        if (
            (object_id is not None and row.stix_id != object_id)
            or (filters.ids and row.stix_id not in filters.ids)
            or (filters.types and row.stix_id.partition("--")[0] not in filters.types)
            or (filters.added_after and row.date_added <= filters.added_after)
            or (position is not None and (row.date_added, -row.pk) <= position)
        ):
            continue
        if "all" in keys or (
            ("last" in keys and row.is_current)
            or ("first" in keys and row.modified_key == first[row.stix_id])
            or row.modified_key in keys
        ):
            found.append(PageRow(-row.pk, row.date_added, row.stix_id, row.modified_key,
                                 row.content_hash, row.content, row.is_current, ()))  # fmt: skip
    return {row.stix_id for row in stored}, found


def version_key(row: Record | PageRow) -> str:
    """The key match[version] compares with a row's version (see :func:`version_of`)."""
    return row.date_added if row.modified_key == UNVERSIONED else row.modified_key


def version_of(row: Record | PageRow) -> str:
    """A row's version (§3.4.1, §5.3.1): its modified, else its created, as a STIX timestamp in
    milliseconds when that loses nothing; for an object with neither (a cyber-observable),
    its date_added, "a value for the version that is consistent to the server"."""
    key = row.modified_key
    if key == UNVERSIONED:
        return row.date_added
    return key[:-4] + "Z" if key.endswith("000Z") else key
