"""Reading the plan: the tree with each element's effective status and progress, the
elements as data (for export), and an element's updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.i18n import Text
from puente.plan.elements import CLOSED, Element, Evidence, Milestone
from puente.plan.models import PlanElement, PlanUpdate
from puente.plan.stix import ELEMENT_TYPE
from puente.records.models import Record


def element_of(row: PlanElement, codes: dict[str, str]) -> Element:
    """The element a row holds; ``codes`` maps STIX ids to codes (for the parent's)."""
    milestones: list[dict[str, Any]] = orjson.loads(row.milestones)
    evidence: list[dict[str, Any]] = orjson.loads(row.evidence)
    return Element(
        level=row.level, code=row.code, title=Text(row.title_en, row.title_es),
        description=Text(row.description_en, row.description_es),
        parent_code=codes.get(row.parent_id, ""), stix_id=row.stix_id, status=row.status,
        progress=row.progress, start_date=row.start_date, due_date=row.due_date,
        leads=orjson.loads(row.leads), supporting=orjson.loads(row.supporting),
        milestones=[Milestone(Text(m.get("title", {}).get("en", ""),
                                   m.get("title", {}).get("es", "")),
                              _day(m.get("due_date")), _day(m.get("done_date")))
                    for m in milestones],
        evidence=[Evidence(e.get("kind", ""), e.get("ref", ""), e.get("label", ""))
                  for e in evidence],
    )  # fmt: skip


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split(".") if part.isdigit())


@dataclass
class TreeNode:
    element: Element
    owner_node: str
    status: str  # the latest update's, else the element's own
    progress: int  # an action's as above; a parent's the mean of its children's
    last_update: date | None
    overdue: bool
    children: list[TreeNode] = field(default_factory=list)


def elements(session: Session) -> list[tuple[Element, str]]:
    """Every element with its owner node, in code order."""
    rows = list(session.execute(select(PlanElement)).scalars())
    codes = {row.stix_id: row.code for row in rows}
    # Code order, then id: where both nodes gave one code to an element of their own (each
    # offline), both nodes put the same one first.
    return sorted(((element_of(r, codes), r.owner_node) for r in rows),
                  key=lambda pair: (_code_key(pair[0].code), pair[0].stix_id))  # fmt: skip


def shared_codes(session: Session) -> list[list[tuple[Element, str]]]:
    """Codes more than one element holds, each with its elements and their owners, in the
    order both nodes agree on. Each node checks only its own writes, so two nodes working
    apart can both give out one code; until one gives its element another, each node's tree
    shows its own."""
    groups: dict[str, list[tuple[Element, str]]] = {}
    for element, owner in elements(session):
        groups.setdefault(element.code, []).append((element, owner))
    return [group for group in groups.values() if len(group) > 1]


def updates(session: Session, element_id: str | None = None) -> list[PlanUpdate]:
    query = select(PlanUpdate).order_by(PlanUpdate.on, PlanUpdate.created)
    if element_id is not None:
        query = query.where(PlanUpdate.element_id == element_id)
    return list(session.execute(query).scalars())


def tree(session: Session, today: date | None = None) -> list[TreeNode]:
    """The goals, each with its areas, objectives and actions, in code order."""
    today = today or date.today()
    latest: dict[str, PlanUpdate] = {}
    for written in updates(session):
        latest[written.element_id] = written  # in date order: the last one wins
    listed = elements(session)
    shown = _shown_for_each_code(session, listed)
    nodes: dict[str, TreeNode] = {}
    for element, owner in listed:
        if shown[element.code] != element.stix_id:  # a code two nodes gave out (gaps.py)
            continue
        update = latest.get(element.stix_id)
        status = update.status if update else element.status
        progress = update.progress if update else element.progress
        late = bool(element.due_date and element.due_date < today and status not in CLOSED)
        nodes[element.code] = TreeNode(element, owner, status, progress,
                                       update.on if update else None,
                                       late and element.is_action)  # fmt: skip
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.element.parent_code)
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    for root in roots:
        _roll_up(root)
    return roots


def _shown_for_each_code(session: Session, listed: list[tuple[Element, str]]) -> dict[str, str]:
    """The element the tree shows for each code: where two nodes gave out one code, this
    node's own, so that a partner's element cannot hide it (whatever id the partner chose);
    among a partner's, the first."""
    received = set(session.execute(select(Record.stix_id).where(
        Record.type == ELEMENT_TYPE, Record.received.is_(True))).scalars())  # fmt: skip
    shown: dict[str, str] = {}
    for element, _owner in sorted(listed, key=lambda pair: pair[0].stix_id in received):
        shown.setdefault(element.code, element.stix_id)  # a stable sort: canonical order kept
    return shown


def _roll_up(node: TreeNode) -> int:
    if node.children:
        active = [c for c in node.children if c.status != "cancelled"] or node.children
        node.progress = round(sum(_roll_up(c) for c in active) / len(active))
        for child in node.children:
            if child not in active:
                _roll_up(child)
    return node.progress
