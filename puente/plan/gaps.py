"""The gap rules (docs/plan-gaps.md): what an assessment must point out, each rule explicit.

Each rule finds its gaps in the node's own data, says which rule found them and on what
(an element's code, a request's id, a partner's node id), and links to the page that shows
the evidence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.clock import as_utc, now
from puente.errors import N_, NP_, Label
from puente.indicators.reading import Reading
from puente.node import Node
from puente.plan import reading
from puente.plan.elements import CLOSED, COUNTRIES
from puente.rfis import states
from puente.rfis.models import Rfi
from puente.sharing.models import Partner

RULES = {
    "objective-without-action": N_("A joint objective with no active action"),
    "action-overdue": N_("An action past its due date and not completed"),
    "action-without-lead": N_("An action without a lead agency on one side"),
    "code-shared": N_("A code two nodes gave to different elements"),
    "rfi-overdue": N_("A request for information past its due time"),
    "partner-sync-lag": N_("A partner whose sync lags beyond the threshold"),
    "indicator-stale": N_("An indicator with no recent observation"),
    "indicator-off-path": N_("An indicator off the straight path from baseline to target"),
}
COUNTRY_LABELS = {"USA": N_("the United States"), "MEX": N_("Mexico")}


@dataclass(frozen=True)
class Gap:
    rule: str
    subject: str  # what it is about: a code, a request id, a node id
    message: str  # a message id, with ``params``
    params: dict[str, Any] = field(default_factory=dict)
    link: str = ""  # the page that shows the evidence


def _walk(items: list[reading.TreeNode]) -> Iterator[reading.TreeNode]:
    for item in items:
        yield item
        yield from _walk(item.children)


def plan_gaps(session: Session, today: date) -> list[Gap]:
    """The rules on the plan itself."""
    found: list[Gap] = []
    for (first, first_node), *others in reading.shared_codes(session):
        for other, other_node in others:
            found.append(Gap("code-shared", first.code,
                             N_("Code {code} is {first} for {first_node} and {other} for "
                                "{other_node}; each node's plan shows its own: {other_node} "
                                "should cancel its element and record it under a free code."),
                             {"code": first.code, "first": first.title.en,
                              "first_es": first.title.es, "first_node": first_node,
                              "other": other.title.en, "other_es": other.title.es,
                              "other_node": other_node}, f"/plan/{first.code}"))  # fmt: skip
    for item in _walk(reading.tree(session, today)):
        e = item.element
        link = f"/plan/{e.code}"
        if e.level == "objective":
            active = [c for c in item.children if c.element.is_action and c.status not in CLOSED]
            if not active:
                found.append(Gap("objective-without-action", e.code,
                                 N_("Objective {code} {title} has no active action."),
                                 {"code": e.code, "title": e.title.en, "title_es": e.title.es},
                                 link))  # fmt: skip
        if not e.is_action:
            continue
        if item.overdue and e.due_date is not None:
            found.append(Gap("action-overdue", e.code,
                             N_("Action {code} was due on {due} and is {progress}% done."),
                             {"code": e.code, "due": e.due_date.isoformat(),
                              "progress": item.progress, "title": e.title.en,
                              "title_es": e.title.es}, link))  # fmt: skip
        if item.status not in CLOSED:
            for country in COUNTRIES:
                if not e.leads.get(country):
                    found.append(Gap("action-without-lead", e.code,
                                     N_("Action {code} has no lead agency for {country}."),
                                     {"code": e.code, "country": Label(COUNTRY_LABELS[country]),
                                      "title": e.title.en, "title_es": e.title.es}, link))  # fmt: skip
    return found


def rfi_gaps(session: Session, moment: datetime) -> list[Gap]:
    """Requests for information still open past their due time, either way."""
    rows = session.execute(
        select(Rfi, Partner.node_id)
        .join(Partner, Partner.id == Rfi.partner_id)
        .where(Rfi.state.in_(states.OPEN))
        .order_by(Rfi.due_at)
    ).all()
    found = []
    for rfi, partner in rows:
        if states.overdue(rfi.state, rfi.due_at, moment):
            assert rfi.due_at is not None
            message = (N_("Our request {title} to {node} is overdue since {due}.")
                       if rfi.direction == states.OUTGOING
                       else N_("The request {title} from {node} is overdue since {due}."))  # fmt: skip
            found.append(Gap("rfi-overdue", rfi.id, message,
                             {"title": rfi.title, "node": partner,
                              "due": as_utc(rfi.due_at).strftime("%Y-%m-%d %H:%M UTC")},
                             f"/rfis/{rfi.id}"))  # fmt: skip
    return found


def sync_gaps(session: Session, node: Node, moment: datetime) -> list[Gap]:
    """Enabled partners this node has not pulled from successfully within the threshold."""
    limit = timedelta(hours=node.settings.plan.sync_lag_hours)
    found = []
    for partner in session.execute(select(Partner).where(Partner.enabled.is_(True))).scalars():
        last = partner.last_success_at
        if last is None:
            found.append(Gap("partner-sync-lag", partner.node_id,
                             N_("Partner {node} has never been synced."),
                             {"node": partner.node_id}, f"/partners/{partner.node_id}"))  # fmt: skip
        elif moment - as_utc(last) > limit:
            hours = int((moment - as_utc(last)).total_seconds() // 3600)
            found.append(Gap("partner-sync-lag", partner.node_id,
                             NP_("Partner {node} was last synced {count} hour ago (threshold "
                                 "{limit} h).", "Partner {node} was last synced {count} hours "
                                 "ago (threshold {limit} h)."),
                             {"node": partner.node_id, "count": hours,
                              "limit": node.settings.plan.sync_lag_hours},
                             f"/partners/{partner.node_id}"))  # fmt: skip
    return found


Rule = Callable[[], list[Gap]]


def indicator_gaps(session: Session, node: Node, moment: datetime,
                   readings: list[Reading] | None = None) -> list[Gap]:  # fmt: skip
    """Indicators with no observation in the last ``[plan] indicator_stale_months`` months,
    and those whose latest observation is on the wrong side of the straight path from the
    baseline to the targets (below it when up is good, above it when down is good).
    ``readings``: the indicators as the caller has already read them (an assessment's)."""
    from puente.indicators import reading
    from puente.plan import indicators

    months = node.settings.plan.indicator_stale_months
    first = moment.year * 12 + moment.month - 1 - months  # months since year 0, zero-based
    since = date(first // 12, first % 12 + 1, 1)
    if readings is None:
        readings = [reading.read(session, indicator, owner, "en")
                    for indicator, owner in indicators.indicators(session)]  # fmt: skip
    found = []
    for read in readings:
        indicator = read.indicator
        link = f"/indicators/{indicator.code}"
        names = {"code": indicator.code, "title": indicator.name.en, "title_es": indicator.name.es}
        # Freshness is judged on every figure, not the assessment's period: an indicator
        # last observed before the period began is stale since that month, not "never".
        last = read.last_observed
        if last is None:
            found.append(Gap("indicator-stale", indicator.code,
                             N_("Indicator {code} {title} has no observation yet."), names,
                             link))  # fmt: skip
        elif last < since:
            found.append(Gap("indicator-stale", indicator.code,
                             N_("Indicator {code} {title} has no observation since {last} (more "
                                "than {months} months)."),
                             names | {"last": last.isoformat()[:7], "months": months}, link))  # fmt: skip
        if read.on_track is False and read.latest is not None and read.expected is not None:
            found.append(Gap("indicator-off-path", indicator.code,
                             N_("Indicator {code} {title} stood at {value} in {month}; the path "
                                "to its target is at {expected}."),
                             names | {"value": f"{read.latest.value:,.0f}",
                                      "month": read.latest.on.isoformat()[:7],
                                      "expected": f"{read.expected:,.0f}"}, link))  # fmt: skip
    return found


def find_gaps(session: Session, node: Node, moment: datetime | None = None,
              readings: list[Reading] | None = None) -> list[Gap]:  # fmt: skip
    """Every gap the rules find now, grouped by rule in the order of :data:`RULES`."""
    moment = moment or now()
    found = [*plan_gaps(session, moment.date()), *rfi_gaps(session, moment),
             *sync_gaps(session, node, moment),
             *indicator_gaps(session, node, moment, readings)]  # fmt: skip
    order = list(RULES)
    return sorted(found, key=lambda g: (order.index(g.rule), g.subject))


def describe(gap: Gap, locale: str) -> str:
    """The gap as a sentence in ``locale`` (titles in that language, labels translated)."""
    from puente.i18n import translate

    params = dict(gap.params)
    for key, value in gap.params.items():  # title_es stands for title in Spanish
        if locale == "es" and key.endswith("_es") and value:
            params[key.removesuffix("_es")] = value
    return translate(locale, gap.message, **params)
