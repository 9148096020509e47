"""Who may change a record: the rule every path that writes a version asks.

Only the originating agency makes new versions of a record or changes its markings (its
users with records.write); an admin of another agency may revoke it, and recall it from the
partners, but never rewrite it: a re-marked record would leave the node under the
originator's name. A record received from a partner is changed only by that partner.
"""

from __future__ import annotations

from puente.errors import N_, Forbidden
from puente.policy.roles import Principal

ANOTHER_AGENCY = N_(
    "Only {agency} on node {node}, which owns {id}, may make new versions of it or change its "
    "markings. An admin may revoke it; to change it, ask {agency}."
)
ANOTHER_NODE = N_("Only {agency} on node {node}, which owns {id}, may make new versions of it.")


# The joint action plan's objects are this node's, not an agency's: the plan's service decides
# who changes them (plan.write, and only the node that wrote an element), and imports of
# records refuse new versions of them (puente.records.service), so the rule skips them.
PLAN_TYPE_PREFIX = "x-puente-plan-"  # puente.plan.stix and .meetings name them all so


def may_version(principal: Principal, originating_agency: str, received: bool) -> bool:
    """Whether ``principal`` may make a new version of (or re-mark) a record this node holds;
    the caller checks the permission its path needs (records.write, records.import)."""
    return not received and originating_agency == principal.agency


def may_revoke(principal: Principal, originating_agency: str, received: bool) -> bool:
    """Whether ``principal`` may revoke or recall it: its agency, or an admin of this node."""
    return not received and (originating_agency == principal.agency or "admin" in principal.roles)


def refusal(
    stix_id: str, originating_agency: str, owner_node: str, received: bool, pointer: str = ""
) -> Forbidden:
    """The 403 that says who may version the record, and what an admin may do instead."""
    return Forbidden(
        ANOTHER_NODE if received else ANOTHER_AGENCY,
        pointer=pointer,
        agency=originating_agency,
        node=owner_node,
        id=stix_id,
    )
