"""The agencies of each partner country, with their official names in both languages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AgencyInfo:
    code: str
    country: str
    name_en: str
    name_es: str


CATALOG: tuple[AgencyInfo, ...] = (
    AgencyInfo(
        "CBP",
        "USA",
        "U.S. Customs and Border Protection",
        "Oficina de Aduanas y Protección Fronteriza de EE. UU.",
    ),
    AgencyInfo(
        "DEA", "USA", "Drug Enforcement Administration", "Administración para el Control de Drogas"
    ),
    AgencyInfo(
        "ATF",
        "USA",
        "Bureau of Alcohol, Tobacco, Firearms and Explosives",
        "Oficina de Alcohol, Tabaco, Armas de Fuego y Explosivos",
    ),
    AgencyInfo(
        "HSI", "USA", "Homeland Security Investigations", "Investigaciones de Seguridad Nacional"
    ),
    AgencyInfo("FBI", "USA", "Federal Bureau of Investigation", "Buró Federal de Investigaciones"),
    AgencyInfo(
        "INL",
        "USA",
        "Bureau of International Narcotics and Law Enforcement Affairs, U.S. Department of State",
        "Oficina de Asuntos Internacionales de Narcóticos y Aplicación de la Ley, "
        "Departamento de Estado de EE. UU.",
    ),
    AgencyInfo(
        "SSPC",
        "MEX",
        "Secretariat of Security and Citizen Protection",
        "Secretaría de Seguridad y Protección Ciudadana",
    ),
    AgencyInfo(
        "FGR",
        "MEX",
        "Office of the Attorney General of the Republic",
        "Fiscalía General de la República",
    ),
    AgencyInfo(
        "SEDENA", "MEX", "Secretariat of National Defense", "Secretaría de la Defensa Nacional"
    ),
    AgencyInfo("SEMAR", "MEX", "Secretariat of the Navy", "Secretaría de Marina"),
    AgencyInfo("GN", "MEX", "National Guard", "Guardia Nacional"),
    AgencyInfo(
        "ANAM", "MEX", "National Customs Agency of Mexico", "Agencia Nacional de Aduanas de México"
    ),
    AgencyInfo("UIF", "MEX", "Financial Intelligence Unit", "Unidad de Inteligencia Financiera"),
    AgencyInfo("CNI", "MEX", "National Intelligence Center", "Centro Nacional de Inteligencia"),
    AgencyInfo(
        "SRE", "MEX", "Secretariat of Foreign Affairs", "Secretaría de Relaciones Exteriores"
    ),
)

BY_CODE = {a.code: a for a in CATALOG}


def for_country(country: str) -> list[AgencyInfo]:
    return [a for a in CATALOG if a.country == country]


def agency_countries() -> dict[str, str]:
    return {a.code: a.country for a in CATALOG}


def agency_namer(locale: str) -> Callable[[str], str]:
    """An agency's official name in ``locale`` from its code (an unknown code as it is)."""

    def name(code: str) -> str:
        info = BY_CODE.get(code)
        if info is None:
            return code
        return info.name_es if locale == "es" else info.name_en

    return name
