"""Real public reference records: the US–Mexico land ports of entry and the criminal
organizations the United States designated in February 2025, with the crossings public
reporting ties them to."""

from __future__ import annotations

from puente.demo import catalog
from puente.demo.plan import HISTORY_DAYS, Item, Planner
from puente.demo.stories import say

# Spanish names of the US ports where they differ.
PORT_NAMES_ES = {"Calexico East": "Calexico Este", "Otay Mesa": "Mesa de Otay"}
MX_STATE_NAMES = {
    "MX-BCN": "Baja California",
    "MX-SON": "Sonora",
    "MX-CHH": "Chihuahua",
    "MX-COA": "Coahuila",
    "MX-TAM": "Tamaulipas",
}


def port_label(planner: Planner, port: catalog.Port) -> str:
    """How the node's analysts name the crossing in running text."""
    return port.mx_city if planner.lang == "es" else port.name


def add_ports(planner: Planner) -> dict[str, Item]:
    author = planner.cast.customs
    created = planner.moment(HISTORY_DAYS + 30)
    items = {}
    for port in catalog.ports():
        if planner.lang == "es":
            name = say(
                "es",
                "port.name",
                mx_city=port.mx_city,
                name_es=PORT_NAMES_ES.get(port.name, port.name),
            )
            fields: dict[str, object] = {
                "name": name,
                "country": "MX",
                "administrative_area": MX_STATE_NAMES[port.mx_state],
                "city": port.mx_city,
                "description": say(
                    "es", "port.description", name=port.name, code=port.code, state=port.state_name
                ),
            }
        else:
            crossings = (
                say("en", "port.crossings", names="; ".join(port.crossings))
                if port.crossings
                else ""
            )
            fields = {
                "name": say("en", "port.name", name=port.name),
                "country": "US",
                "administrative_area": port.state_name,
                "city": port.name,
                "description": say(
                    "en",
                    "port.description",
                    code=port.code,
                    office=port.field_office.title(),
                    mx_city=port.mx_city,
                    crossings=crossings,
                ),
            }
        fields["port_code"] = port.code
        if port.latitude is not None and port.longitude is not None:
            fields["latitude"], fields["longitude"] = port.latitude, port.longitude
        items[port.code] = planner.add(
            f"port/{port.code}", "location", author, fields, planner.palette.public(), created
        )
    return items


def add_organizations(planner: Planner, ports: dict[str, Item]) -> dict[str, Item]:
    author = planner.cast.intelligence
    created = planner.moment(HISTORY_DAYS + 20)
    items = {}
    for org in catalog.criminal_organizations():
        spanish = planner.lang == "es"
        name = org.name_es if spanish else org.name_en
        fields = {
            "name": name,
            "aliases": [a for a in org.aliases if a != name],
            "description": org.description_es if spanish else org.description_en,
        }
        items[org.key] = planner.add(
            f"org/{org.key}",
            "criminal-organization",
            author,
            fields,
            planner.palette.partners(),
            created,
        )
    for org in catalog.criminal_organizations():
        for code in org.plazas:
            planner.relate(items[org.key], "located-at", ports[code], "rel.plaza")
    return items
