"""Who is acting, and what each role permits.

Authorization lives here: every service entry point takes a :class:`Principal` and calls
:func:`require`, so the CLI, REST API and web views are held to the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from puente.errors import N_, Forbidden
from puente.policy.gate import LocalUser

ROLES = ("analyst", "liaison", "coordinator", "auditor", "admin")

# permission → roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "records.read": frozenset(ROLES),
    "records.write": frozenset({"analyst", "liaison", "admin"}),
    "records.import": frozenset({"analyst", "admin"}),
    "records.export": frozenset({"analyst", "liaison", "admin"}),
    "hits.query": frozenset({"analyst", "liaison", "admin"}),
    "rfis.request": frozenset({"analyst", "liaison", "admin"}),
    "rfis.answer": frozenset({"liaison", "admin"}),
    # Every request either way, not only one's own: for the partnership's oversight.
    "rfis.oversee": frozenset({"liaison", "coordinator", "auditor", "admin"}),
    "plan.write": frozenset({"coordinator", "admin"}),
    "plan.update": frozenset({"coordinator", "liaison", "admin"}),
    "audit.read": frozenset({"auditor", "admin"}),
    "accounts.admin": frozenset({"admin"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user of this node, or the node itself (system jobs, the CLI's admin)."""

    username: str
    agency: str
    country: str
    roles: frozenset[str]
    user_id: int | None = None
    locale: str = ""

    def can(self, permission: str) -> bool:
        return bool(self.roles & PERMISSIONS[permission])

    @property
    def audience(self) -> LocalUser:
        return LocalUser(self.username, self.country, self.agency)


def require(principal: Principal, permission: str) -> None:
    if not principal.can(permission):
        raise Forbidden(
            N_("Your role does not allow this action ({permission})."), permission=permission
        )
