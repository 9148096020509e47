"""Derive the indicator demo subset that Puente ships from the public data files.

Run from the repository root, with the project's shared data beside the clone::

    python tools/derive_indicator_data.py ../shared/data

It reads the CBP drug seizure windows (newest figures per fiscal year), the CBP weapons and
ammunition seizures and the SESNSP state-level incidence with the product's own readers,
keeps the subsets named in ``puente.indicators.sources.shipped.SUBSETS`` and rewrites
``puente/indicators/data/*.csv`` and ``PROVENANCE.md``. The product never runs it and never
reads the public files; tests/indicators/test_sources.py checks the shipped files against a
fresh derivation whenever the public files are at hand.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

# Run as a script from a clone, where the package need not be installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from puente.indicators.sources.cbp_drugs import read_cbp_drugs
from puente.indicators.sources.cbp_weapons import read_cbp_weapons
from puente.indicators.sources.common import ImportReport, Observation
from puente.indicators.sources.sesnsp import read_sesnsp
from puente.indicators.sources.shipped import SUBSETS, Subset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "puente" / "indicators" / "data"
DRUG_FILES = (
    "cbp/cbp_drug_seizures_fy19_22.csv",
    "cbp/cbp_drug_seizures_fy22_25.csv",
    "cbp/nationwide-drugs-fy23-fy26-apr.csv",
)
WEAPONS_FILE = "cbp/cbp_weapons_seizures_fy22_25.csv"
SESNSP_FILE = "sesnsp/IDEFC_NM_may22_latin1.csv"


def read_all(data: Path) -> tuple[list[Observation], dict[str, ImportReport]]:
    """Every observation the subsets draw on, and each reader's report."""
    drugs, drugs_report = read_cbp_drugs([data / name for name in DRUG_FILES])
    weapons, weapons_report = read_cbp_weapons(data / WEAPONS_FILE)
    incidence, incidence_report = read_sesnsp(data / SESNSP_FILE)
    reports = {"cbp.drugs": drugs_report, "cbp.weapons": weapons_report,
               "sesnsp.incidence": incidence_report}  # fmt: skip
    return [*drugs, *weapons, *incidence], reports


def rows(subset: Subset, observations: Sequence[Observation]) -> list[list[str]]:
    """One row per month and cell, a column per measure, sorted by month then cell."""
    cells: dict[tuple[date, tuple[tuple[str, str], ...]], dict[str, Observation]] = {}
    for obs in observations:
        if subset.holds(obs):
            cells.setdefault((obs.period, obs.dimensions), {})[obs.measure] = obs
    out: list[list[str]] = []
    for (period, dims), measures in sorted(cells.items()):
        origins = {(o.source, o.line) for o in measures.values()}
        if len(origins) != 1:  # one row of the shipped file points at one public line
            raise SystemExit(f"{subset.file}: measures of {period} {dims} come from {origins}")
        source, line = origins.pop()
        named = dict(dims)
        expected = {**named, **subset.select, **subset.constant}
        if named != expected or set(named) != {*subset.dimensions, *expected}:
            raise SystemExit(f"{subset.file}: {period} {dims} does not fit the subset's columns")
        out.append([period.isoformat(), *(named[name] for name in subset.dimensions),
                    *(_number(measures.get(m)) for m in subset.measures), source,
                    str(line)])  # fmt: skip
    return out


def _number(obs: Observation | None) -> str:
    # repr keeps every digit, so the shipped figures read back equal to the public ones.
    if obs is None:
        return ""
    return str(int(obs.value)) if obs.value.is_integer() else repr(obs.value)


def write(subset: Subset, table: list[list[str]]) -> Path:
    path = OUT / subset.file
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(subset.header)
        writer.writerows(table)
    return path


def provenance(tables: dict[str, list[list[str]]], reports: dict[str, ImportReport]) -> str:
    drugs = reports["cbp.drugs"]
    years = ", ".join(f"FY{year} from `{name}`" for year, name in
                      sorted(drugs.fiscal_year_sources.items()))  # fmt: skip

    def span(name: str) -> str:
        months = [row[0][:7] for row in tables[name]]
        return f"{min(months)} to {max(months)}, {len(months):,} rows"

    return PROVENANCE.format(
        today=date.today().isoformat(),
        drug_files=", ".join(f"`{Path(name).name}`" for name in DRUG_FILES),
        drug_years=years,
        fentanyl=span("cbp_fentanyl_southwest.csv"),
        weapons=span("cbp_weapons_southbound.csv"),
        homicide=span("sesnsp_homicidio_doloso.csv"),
    )


PROVENANCE = """\
# Where the indicator demo data comes from

`puente demo` shows the joint action plan's indicators with real public figures: a compact
subset of three public series, derived on {today} by `tools/derive_indicator_data.py` (run
it from the repository root with the shared data beside the clone:
`python tools/derive_indicator_data.py ../shared/data`). The product reads these files with
`puente.indicators.sources.shipped.read_shipped()` and never reads the public files at run
time. Every row keeps `source` and `line`: the public file and the line its figures were
read from (for sums, the first line summed).

Months are calendar months (`period`, the first day). CBP publishes by US federal fiscal
year (FY2023 = October 2022 to September 2023); its month abbreviations are placed in the
calendar year they fall in. A month, area and drug CBP does not list had no seizure.

## `cbp_fentanyl_southwest.csv` ({fentanyl})

U.S. Customs and Border Protection, *Nationwide Drug Seizures* (cbp.gov, Drug Seizure
Statistics), files {drug_files}. Rows of region "Southwest Border" and drug type
"Fentanyl", by area of responsibility (Office of Field Operations field offices and U.S.
Border Patrol sectors) and month: `events` is CBP's Count of Event, `weight_lb` its Sum Qty
(lbs), both as published. The windows overlap and CBP revises figures between releases:
each fiscal year comes from the newest file that holds it ({drug_years}). Area names are
written in one case ("San Diego Field Office") whatever the file's.

## `cbp_weapons_southbound.csv` ({weapons})

U.S. Customs and Border Protection, *Weapons and Ammunition Seizures*, FY2022 to April 2025,
file `cbp_weapons_seizures_fy22_25.csv` (one row per kind of item seized in an event). Rows
"OUTBOUND" in region "Southwest Border": guns, ammunition and parts seized leaving the United
States toward Mexico. Per month, field office and seizure type ("Weapons", "Ammunition &
Gun Parts", and "All" for both): `events` counts distinct Event IDs (one event can seize
both types, so use "All" for the events of a month), `items` sums Quantity Seized.

## `sesnsp_homicidio_doloso.csv` ({homicide})

Secretariado Ejecutivo del Sistema Nacional de Seguridad Pública (SESNSP, Mexico),
*Incidencia delictiva del fuero común, nueva metodología*, state level, January 2015 to May
2022, file `IDEFC_NM_may22_latin1.csv` (latin-1). Rows of subtype "Homicidio doloso", summed
over its modalities (firearm, bladed weapon, other, unspecified), per state (INEGI code and
name) and month: `incidents` is the number of intentional homicides recorded in the
investigation files opened that month. Months SESNSP had not yet published (June to
December 2022) have no row.

Licence: works of the United States Government (CBP) are in the public domain (17 U.S.C.
§ 105). SESNSP publishes its incidence data as open data of the Government of Mexico
(datos.gob.mx, Libre Uso MX licence), which allows reuse with attribution, given above.
"""


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    observations, reports = read_all(Path(argv[0]))
    tables: dict[str, list[list[str]]] = {}
    for subset in SUBSETS:
        tables[subset.file] = rows(subset, observations)
        path = write(subset, tables[subset.file])
        print(f"{path.relative_to(ROOT)}: {len(tables[subset.file]):,} rows, "
              f"{path.stat().st_size / 1024:.0f} KiB")  # fmt: skip
    (OUT / "PROVENANCE.md").write_text(provenance(tables, reports), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
