"""What each TAXII collection holds, and page queries whose plans do not grow with the store."""

from __future__ import annotations

import orjson
from sqlalchemy import text

from puente.node import Node
from puente.policy.markings import Markings
from puente.policy.roles import Principal
from puente.policy.schemas import MarkingsIn
from puente.records import service as records
from puente.records.definitions import is_published
from puente.sharing import query, taxii
from puente.sharing.collections import CollectionSpec, Requester, collections_for
from puente.sharing.partners import PartnerPrincipal

PARTNER = PartnerPrincipal(0, "mx-node", "MEX")


def marks(tlp: str = "GREEN") -> Markings:
    return MarkingsIn(tlp=tlp, rel_to=["MEX"]).to_markings("USA")


def _spec(node: Node, requester: Requester) -> CollectionSpec:
    with node.db.session() as session:
        return next(s for s in collections_for(session, node.settings, requester) if s.can_read)


def _listed(node: Node, requester: Requester, versions: tuple[str, ...]) -> list[tuple[str, str]]:
    spec = _spec(node, requester)
    with node.db.session() as session:
        served = taxii.get_objects(session, node, requester, spec.id,
                                   query.Filters(versions=versions))  # fmt: skip
    objects = orjson.loads(served.body).get("objects", [])
    return [(o["name"], str(o.get("revoked", False))) for o in objects if not is_published(o)]


def _store(node: Node, analyst: Principal) -> None:
    """Kept: one record of two versions; deleted through TAXII (revoked): one of two."""
    with node.db.session() as session:
        kept = records.create(session, node.settings, analyst, "incident", {"name": "Kept"},
                              marks())  # fmt: skip
        records.new_version(session, node.settings, analyst, kept.stix_id, {"name": "Kept 2"},
                            marks())  # fmt: skip
        gone = records.create(session, node.settings, analyst, "incident", {"name": "Gone"},
                              marks())  # fmt: skip
        records.new_version(session, node.settings, analyst, gone.stix_id, {"name": "Gone 2"},
                            marks())  # fmt: skip
        records.revoke(session, node.settings, analyst, gone.stix_id)


def test_an_object_deleted_through_taxii_leaves_the_users_collection_with_every_version(
    node: Node, analyst: Principal
) -> None:
    _store(node, analyst)
    assert _listed(node, analyst, ("last",)) == [("Kept 2", "False")]
    assert _listed(node, analyst, ("all",)) == [("Kept", "False"), ("Kept 2", "False")]
    assert _listed(node, analyst, ("first",)) == [("Kept", "False")]
    # A partner is told of the revocation: its collection keeps the revoked version.
    assert _listed(node, PARTNER, ("last",)) == [("Kept 2", "False"), ("Gone 2", "True")]
    assert len(_listed(node, PARTNER, ("all",))) == 5


def _plan(node: Node, spec: CollectionSpec, filters: query.Filters, analyze: bool) -> str:
    statement = query._build(spec, filters, False)
    with node.db.session() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        if analyze:
            session.execute(text("ANALYZE"))
        elif sqlite and session.execute(text("SELECT 1 FROM sqlite_master "
                                             "WHERE name = 'sqlite_stat1'")).first():  # fmt: skip
            session.execute(text("DELETE FROM sqlite_stat1"))
            # The node analyzes after bulk writes now: make its connections read the emptied
            # statistics again (SQLite keeps them in memory until told).
            session.execute(text("ANALYZE sqlite_schema"))
    with node.db.session() as session:
        dialect = session.get_bind().dialect
        sql = statement.params(limit=101).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}
        )
        if sqlite:
            rows = [r[-1] for r in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()]
        else:
            # Every part of the plan must have an index to use: with sequential scans priced
            # out, one still chosen is a part that reads the whole table whatever its size.
            session.execute(text("SET LOCAL enable_seqscan = off"))
            rows = list(session.execute(text(f"EXPLAIN {sql}")).scalars())
    return "\n".join(str(r) for r in rows)


def test_page_queries_read_by_index_whatever_the_size(node: Node, analyst: Principal) -> None:
    """The user collection's check for deleted objects used to read every current row for
    each row on a page (77 s for a first page at 100,000 records on SQLite): every lookup of a
    version's current one goes through the stix_id index, on SQLite without statistics too."""
    _store(node, analyst)
    # SQLite: without statistics (the case that was slow; with statistics of five rows a full
    # scan is the right plan). PostgreSQL: without and with.
    postgresql = node.db.engine.dialect.name == "postgresql"
    for requester in (analyst, PARTNER):
        spec = _spec(node, requester)
        for versions in (("last",), ("all",), ("first",)):
            for analyze in (False, True) if postgresql else (False,):
                plan = _plan(node, spec, query.Filters(versions=versions), analyze)
                if postgresql:
                    assert "Seq Scan on records" not in plan, plan
                else:
                    lines = plan.splitlines()
                    assert all("USING" in line for line in lines if line.startswith("SCAN")), plan
                    assert not any(line.startswith("SCAN records_1") for line in lines), plan
                    lookups = [line for line in lines if "records_1" in line]
                    assert all("uq_records_version" in line for line in lookups), plan
