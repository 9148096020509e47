"""Derive the demo's ports of entry and seizure profile from the public source files.

Run from the repository root, with the project's shared data beside it::

    python puente/demo/data/derive_ports.py ../shared/data

It rewrites ``ports_of_entry.csv`` and ``seizure_profile.csv`` next to this script. The
product never runs it and never reads the source files: it ships the two CSVs, and
PROVENANCE.md says where every column comes from.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent

STATE_NAMES = {"CA": "California", "AZ": "Arizona", "NM": "New Mexico", "TX": "Texas"}
# CBP port codes are DDPP: the district (two digits) names the field office in charge.
FIELD_OFFICES = {"23": "LAREDO", "24": "EL PASO", "25": "SAN DIEGO", "26": "TUCSON"}

# Curated: the Mexican city across from each port, and its state (ISO 3166-2).
MEXICAN_SIDE = {
    "2301": ("Matamoros", "MX-TAM"),
    "2302": ("Ciudad Acuña", "MX-COA"),
    "2303": ("Piedras Negras", "MX-COA"),
    "2304": ("Nuevo Laredo", "MX-TAM"),
    "2305": ("Reynosa", "MX-TAM"),
    "2307": ("Camargo", "MX-TAM"),
    "2309": ("Nuevo Progreso", "MX-TAM"),
    "2310": ("Ciudad Miguel Alemán", "MX-TAM"),
    "2402": ("Ciudad Juárez", "MX-CHH"),
    "2403": ("Ojinaga", "MX-CHH"),
    "2404": ("Guadalupe", "MX-CHH"),
    "2406": ("Puerto Palomas", "MX-CHH"),
    "2408": ("San Jerónimo", "MX-CHH"),
    "2410": ("Boquillas del Carmen", "MX-COA"),
    "2502": ("Los Algodones", "MX-BCN"),
    "2503": ("Mexicali", "MX-BCN"),
    "2504": ("Tijuana", "MX-BCN"),
    "2505": ("Tecate", "MX-BCN"),
    "2506": ("Tijuana", "MX-BCN"),
    "2507": ("Mexicali", "MX-BCN"),
    "2582": ("Tijuana", "MX-BCN"),
    "2601": ("Agua Prieta", "MX-SON"),
    "2602": ("Sonoyta", "MX-SON"),
    "2603": ("Naco", "MX-SON"),
    "2604": ("Nogales", "MX-SON"),
    "2606": ("El Sásabe", "MX-SON"),
    "2608": ("San Luis Río Colorado", "MX-SON"),
}

# Ports outside Texas have no row in the Texas crossings file: approximate public
# coordinates, rounded to two decimals (about 1 km).
APPROXIMATE = {
    "2406": (31.78, -107.64),
    "2408": (31.78, -106.68),
    "2502": (32.72, -114.73),
    "2503": (32.66, -115.50),
    "2504": (32.54, -117.03),
    "2505": (32.58, -116.63),
    "2506": (32.55, -116.94),
    "2507": (32.67, -115.39),
    "2582": (32.55, -116.97),
    "2601": (31.33, -109.56),
    "2602": (31.88, -112.82),
    "2603": (31.33, -109.95),
    "2604": (31.33, -110.94),
    "2606": (31.48, -111.54),
    "2608": (32.49, -114.78),
}

# Where the Texas file names the port differently from BTS.
TEXAS_PORT_NAMES = {"Tornillo-Fabens": "Marcelino Serna", "Boquillas": ""}
TEXAS_PORT_CITIES = {"Tornillo-Fabens": "Tornillo", "Boquillas": "Big Bend National Park"}
NOT_A_ROAD = ("Rail", "Railroad", "Dam", "Ferry")

DRUGS = ("Fentanyl", "Methamphetamine", "Cocaine", "Heroin", "Marijuana")


def texas_crossings(path: Path) -> dict[str, list[dict[str, str]]]:
    by_port: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if any(word in row["Border Crossing Name"] for word in NOT_A_ROAD):
                continue
            by_port[row["Port Of Entry"].strip()].append(row)
    return by_port


def derive_ports(source: Path) -> list[dict[str, str]]:
    ports: dict[str, dict[str, str]] = {}
    traffic: dict[str, int] = defaultdict(int)
    counted = ("Personal Vehicles", "Trucks", "Pedestrians", "Buses")
    with (source / "border/bts_us_mexico_border_feb2020.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ports.setdefault(row["Port Code"], {"name": row["Port Name"], "state": row["State"]})
            if row["Measure"] in counted:
                traffic[row["Port Code"]] += int(row["Value"])
    crossings = texas_crossings(source / "border/TX-MX-Border-Crossings-Coordinates.csv")
    rows = []
    for code, port in sorted(ports.items()):
        name = port["name"]
        latitude = longitude = source_note = ""
        names: list[str] = []
        if port["state"] == "TX":
            texas_name = TEXAS_PORT_NAMES.get(name, name)
            candidates = crossings.get(texas_name, [])
            if not texas_name:
                candidates = [
                    r for rs in crossings.values() for r in rs if name in r["Border Crossing Name"]
                ]
            city = TEXAS_PORT_CITIES.get(name, name)
            in_city = [r for r in candidates if r["City"] == city] or candidates
            main = min(in_city, key=lambda r: int(r["Order"]))
            latitude, longitude = main["Lat"], main["Lon"]
            source_note = f"TX crossings file: {main['Border Crossing Name']}"
            names = [
                r["Border Crossing Name"] for r in sorted(candidates, key=lambda r: int(r["Order"]))
            ]
        elif code in APPROXIMATE:
            lat, lon = APPROXIMATE[code]
            latitude, longitude = f"{lat:.2f}", f"{lon:.2f}"
            source_note = "approximate public coordinates (about 1 km)"
        mx_city, mx_state = MEXICAN_SIDE[code]
        rows.append(
            {
                "port_code": code,
                "name": name,
                "state": port["state"],
                "state_name": STATE_NAMES[port["state"]],
                "field_office": FIELD_OFFICES[code[:2]],
                "latitude": latitude,
                "longitude": longitude,
                "coordinates": source_note,
                "crossings": "; ".join(names),
                "traffic_feb2020": str(traffic[code]),
                "mx_city": mx_city,
                "mx_state": mx_state,
            }
        )
    return rows


def derive_profile(source: Path) -> list[dict[str, str]]:
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    path = source / "cbp/nationwide-drugs-fy23-fy26-apr.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if (
                row["Region"] != "Southwest Border"
                or row["Component"] != "Office of Field Operations"
            ):
                continue
            if row["Drug Type"] not in DRUGS:
                continue
            office = row["Area of Responsibility"].removesuffix(" FIELD OFFICE")
            total = totals[(office, row["Drug Type"])]
            total[0] += int(row["Count of Event"])
            total[1] += float(row["Sum Qty (lbs)"] or 0)
    return [
        {
            "field_office": office,
            "drug": drug,
            "events": str(int(events)),
            "pounds": f"{pounds:.1f}",
            "pounds_per_event": f"{pounds / events:.2f}",
        }
        for (office, drug), (events, pounds) in sorted(totals.items())
    ]


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    write(HERE / "ports_of_entry.csv", derive_ports(source))
    write(HERE / "seizure_profile.csv", derive_profile(source))


if __name__ == "__main__":
    main()
