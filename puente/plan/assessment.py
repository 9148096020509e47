"""The assessment for a meeting (DESIGN.md, "Cooperation"): the period since the previous
meeting of the same kind — progress by goal and objective, actions completed, actions overdue
or at risk, the gaps with their evidence, the indicators against their path — and a draft of
expectations for the next period, which the coordinator edits and adopts.

Everything here is read from the node's data as it stands, and nothing from the clock but
the meeting's own date: the same data gives the same assessment (the briefing is
reproducible).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from puente.errors import N_, NotFound
from puente.i18n import Text
from puente.indicators import reading as indicator_reading
from puente.node import Node
from puente.plan import gaps, indicators, reading, service
from puente.plan.meetings import Expectation, Meeting


@dataclass
class Progress:
    code: str
    title: Text
    level: str
    progress: int
    children: list[Progress] = field(default_factory=list)


@dataclass
class Assessment:
    meeting: Meeting
    previous: Meeting | None
    start: date  # the previous meeting of the same kind, or the plan's first date
    end: date  # this meeting
    progress: list[Progress]  # goals, each with its areas and objectives
    completed: list[reading.TreeNode]  # actions completed in the period
    overdue: list[reading.TreeNode]
    at_risk: list[reading.TreeNode]  # at risk or delayed, not overdue
    found_gaps: list[gaps.Gap]
    indicators: list[indicator_reading.Reading]
    draft: list[Expectation]  # expectations proposed for the next period


def _walk(items: list[reading.TreeNode]) -> Iterator[reading.TreeNode]:
    for item in items:
        yield item
        yield from _walk(item.children)


def _progress(node: reading.TreeNode) -> Progress:
    e = node.element
    kept = [c for c in node.children if c.element.level != "action"]
    return Progress(e.code, e.title, e.level, node.progress, [_progress(c) for c in kept])


def find_meeting(session: Session, code: str) -> tuple[Meeting, Meeting | None]:
    """The meeting ``code`` and the previous one of its kind."""
    listed = [m for m, _ in service.meetings(session)]
    for index, meeting in enumerate(listed):
        if meeting.code == code:
            earlier = [m for m in listed[:index] if m.kind == meeting.kind and m.on < meeting.on]
            return meeting, (earlier[-1] if earlier else None)
    raise NotFound(N_("No meeting {code} in the plan."), code=code)


def assess(session: Session, node: Node, code: str, locale: str = "en") -> Assessment:
    """The assessment for meeting ``code``; indicator charts labelled in ``locale``."""
    meeting, previous = find_meeting(session, code)
    end = meeting.on
    roots = reading.tree(session, end)
    actions = [n for n in _walk(roots) if n.element.is_action]
    start = previous.on if previous else min(
        (a.element.start_date for a in actions if a.element.start_date), default=end)  # fmt: skip
    completed_in_period = {
        u.element_id for u in reading.updates(session)
        if u.status == "completed" and start < u.on <= end
    }  # fmt: skip
    completed = [a for a in actions if a.status == "completed"
                 and (a.element.stix_id in completed_in_period
                      or (a.element.due_date and start < a.element.due_date <= end))]  # fmt: skip
    overdue = [a for a in actions if a.overdue]
    at_risk = [a for a in actions if a.status in ("at_risk", "delayed") and not a.overdue]
    moment = datetime.combine(end, time(12), tzinfo=UTC)
    readings = [indicator_reading.read(session, i, owner, locale, (start.replace(day=1), end))
                for i, owner in indicators.indicators(session)]  # fmt: skip
    found_gaps = gaps.find_gaps(session, node, moment, readings)
    return Assessment(meeting, previous, start, end, [_progress(r) for r in roots], completed,
                      overdue, at_risk, found_gaps, readings,
                      draft_expectations(overdue, at_risk, found_gaps, readings, end))  # fmt: skip


def _both(message: str, **params: object) -> Text:
    """The same words in English and Spanish, from the catalogs."""
    from puente.i18n import translate

    def say(locale: str) -> str:
        words = {k: (v.get(locale) if isinstance(v, Text) else v) for k, v in params.items()}
        return translate(locale, message, **words)

    return Text(say("en"), say("es"))


def draft_expectations(overdue: list[reading.TreeNode], at_risk: list[reading.TreeNode],
                       found: list[gaps.Gap], readings: list[indicator_reading.Reading],
                       end: date) -> list[Expectation]:  # fmt: skip
    """What to ask of the next period, one proposal per problem the assessment found; due six
    months after the meeting unless an indicator's next target says otherwise."""
    due = date(end.year + (end.month > 6), (end.month + 5) % 12 + 1, 1)
    draft = []
    for action in [*overdue, *at_risk]:
        e = action.element
        draft.append(Expectation(_both(N_("Bring action {code} ({title}) back on track."),
                                       code=e.code, title=e.title), e.code, due))  # fmt: skip
    for gap in found:
        if gap.rule == "objective-without-action":
            draft.append(Expectation(_both(N_("Agree an action for objective {code}."),
                                           code=gap.subject), gap.subject, due))  # fmt: skip
        elif gap.rule == "action-without-lead":
            draft.append(Expectation(_both(N_("Name a lead agency on each side for action "
                                              "{code}."), code=gap.subject), gap.subject, due))  # fmt: skip
    for read in readings:
        target = next((t for t in read.indicator.targets if t.on > end), None)
        if read.on_track is False and target is not None:
            i = read.indicator
            draft.append(Expectation(_both(N_("Return {code} ({name}) to its path: {value} {unit} "
                                              "by {date}."), code=i.code, name=i.name,
                                           value=f"{target.value:,.0f}", unit=i.unit,
                                           date=target.on.isoformat()), i.code, target.on))  # fmt: skip
    return list({(d.subject, d.text): d for d in draft}.values())  # one per subject and text
