"""``seed``: put the demo data set into a node, through the same services as everyone else.

The demo's users are created with :func:`puente.accounts.service.create_user`; every record
is built from its kind's form fields by the same builder the forms use, marked, and stored
with :func:`puente.records.service.import_objects` as the analyst who records it, so it is
validated, marked and audited like any other. It all happens in one transaction: a node is
seeded entirely or not at all, and seeding it again adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from sqlalchemy.orm import Session

from puente.accounts import service as accounts
from puente.demo.logins import Cast, DemoLogin
from puente.demo.plan import Item, Plan
from puente.demo.scenario import build_plan
from puente.errors import NotFound
from puente.node import Node
from puente.policy.markings import apply_markings
from puente.policy.roles import Principal
from puente.records import builder
from puente.records import service as records

__all__ = ["DemoLogin", "DemoSummary", "seed"]

BATCH = 50  # objects per import: a progress step, and one audit entry each

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    logins: list[DemoLogin]
    records: int


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def stix_objects(item: Item, agency: str) -> Iterator[dict[str, Any]]:
    """The item's first version and each later one, as its author's form would build them."""
    first = builder.build(item.kind, item.fields, agency)
    first["id"] = item.stix_id
    first["created"] = first["modified"] = stamp(item.created)
    apply_markings(first, item.markings)
    yield first
    previous = first
    for revision in item.revisions:
        later = builder.build(item.kind, revision.fields, agency, previous=previous)
        later["modified"] = builder.later_than(previous["modified"], stamp(revision.when))
        if revision.revoke:
            later["revoked"] = True
        apply_markings(later, item.markings)
        yield later
        previous = later


def _principals(session: Session, node: Node, cast: Cast) -> dict[str, Principal]:
    """The demo's users, created where they do not exist yet (never the node's own admin)."""
    system = accounts.system_principal(node.settings)
    principals = {}
    for account in cast.accounts:
        login = account.login
        try:
            user = accounts.get_user(session, login.username)
        except NotFound:
            user = accounts.create_user(
                session,
                system,
                login.username,
                login.password,
                login.agency,
                [login.role],
                account.display_name,
                node.settings,
            )
        principals[login.username] = accounts.principal_for(user, node.settings)
    return principals


def _stored(session: Session, principal: Principal, item: Item) -> bool:
    # The author may always see what they recorded, so the gate answers for them.
    try:
        records.get(session, principal, item.stix_id, audit_read=False)
    except NotFound:
        return False
    return True


def seed(node: Node, progress: Progress | None = None) -> DemoSummary:
    """Seed ``node`` with the demo data set for its country; idempotent."""
    plan: Plan = build_plan(node.settings.node_id, node.settings.country, datetime.now(UTC).date())
    cast = plan.cast
    total = len(cast.accounts) + plan.versions
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(min(done, total), total)

    with node.db.session() as session:
        principals = _principals(session, node, cast)
        step(len(cast.accounts))
        missing = [
            item for item in plan.items if not _stored(session, principals[item.author], item)
        ]
        step(plan.versions - sum(1 + len(i.revisions) for i in missing))
        for author, items in groupby(
            sorted(missing, key=lambda i: i.author), key=lambda i: i.author
        ):
            principal = principals[author]
            objects = [obj for item in items for obj in stix_objects(item, principal.agency)]
            for start in range(0, len(objects), BATCH):
                batch = objects[start : start + BATCH]
                records.import_objects(session, node.settings, principal, batch)
                step(len(batch))
    return DemoSummary(cast.logins, len(plan.items))
