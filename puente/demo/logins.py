"""The demo's people at the keyboard: one login per role, at the agencies that do that work.

The same cast also says who records what: customs analysts record seizures and vehicles,
firearms analysts record guns and their traces, intelligence analysts record people and
criminal organizations. They are fictional officials.
"""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "puente-demo-2026"  # noqa: S105 - printed for everyone by `puente demo`, by design


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    agency: str


@dataclass(frozen=True)
class Account:
    login: DemoLogin
    display_name: str


@dataclass(frozen=True)
class Cast:
    """Who, on one country's node, records each kind of demo record."""

    accounts: tuple[Account, ...]
    customs: str  # seizures at ports, vehicles, couriers, ports themselves
    field: str  # seizures away from ports, vehicles on the road, incidents
    firearms: str  # guns, traces, straw purchasers
    intelligence: str  # criminal organizations, their members, notes
    liaison: str  # named recipient of the most sensitive records
    investigators: frozenset[str]  # agencies named on records restricted to an investigation

    def agency_of(self, username: str) -> str:
        return next(a.login.agency for a in self.accounts if a.login.username == username)

    @property
    def logins(self) -> list[DemoLogin]:
        return [a.login for a in self.accounts]


def _account(username: str, role: str, agency: str, display_name: str) -> Account:
    return Account(DemoLogin(username, PASSWORD, role, agency), display_name)


USA = Cast(
    accounts=(
        _account("inl.admin", "admin", "INL", "Morgan Ellis"),
        _account("cbp.analyst", "analyst", "CBP", "Rachel Dominguez"),
        _account("atf.analyst", "analyst", "ATF", "Kevin Brandt"),
        _account("dea.analyst", "analyst", "DEA", "Sofia Marquez"),
        _account("hsi.liaison", "liaison", "HSI", "Daniel Okafor"),
        _account("inl.coordinator", "coordinator", "INL", "Laura Whitman"),
        _account("inl.auditor", "auditor", "INL", "Thomas Reyes"),
    ),
    customs="cbp.analyst",
    field="cbp.analyst",
    firearms="atf.analyst",
    intelligence="dea.analyst",
    liaison="hsi.liaison",
    investigators=frozenset({"HSI"}),
)

MEX = Cast(
    accounts=(
        _account("sspc.admin", "admin", "SSPC", "Alejandra Cortés Villarreal"),
        _account("anam.analista", "analyst", "ANAM", "Rodrigo Esquivel Nava"),
        _account("fgr.analista", "analyst", "FGR", "Mariana Ibarra Solís"),
        _account("gn.analista", "analyst", "GN", "Jorge Luis Peña Castañeda"),
        _account("fgr.enlace", "liaison", "FGR", "Verónica Salgado Ríos"),
        _account("sre.coordinacion", "coordinator", "SRE", "Ana Paula Mendoza Lara"),
        _account("sspc.auditoria", "auditor", "SSPC", "Héctor Manuel Rivas Ortega"),
    ),
    customs="anam.analista",
    field="gn.analista",
    firearms="fgr.analista",
    intelligence="fgr.analista",
    liaison="fgr.enlace",
    investigators=frozenset({"FGR"}),
)


def cast_for(country: str) -> Cast:
    return MEX if country == "MEX" else USA
