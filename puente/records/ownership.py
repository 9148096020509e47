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


def may_version(principal: Principal, originating_agency: str, received: bool) -> bool:
    """Whether ``principal`` may make a new version (or re-mark) a record this node holds."""
    return (
        not received and principal.can("records.write") and originating_agency == principal.agency
    )


def may_revoke(principal: Principal, originating_agency: str, received: bool) -> bool:
    """Whether ``principal`` may revoke or recall it: its agency, or an admin of this node."""
    return (
        not received
        and principal.can("records.write")
        and (originating_agency == principal.agency or "admin" in principal.roles)
    )


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
