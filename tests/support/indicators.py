"""Indicators and their data for tests: sample definitions, CBP-shaped files, monthly series."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from puente.errors import InvalidInput
from puente.indicators.charts import (
    Chart,
    ChartSeries,
)
from tests.support.markers import SHARED_DATA, needs_shared_data


def monthly(start_year: int, values: list[float]) -> tuple[tuple[date, float], ...]:
    return tuple(
        (date(start_year + i // 12, i % 12 + 1, 1), value) for i, value in enumerate(values)
    )


def fentanyl(**changes: Any) -> Chart:
    """Two field offices over 2024, a baseline in January and targets mid and end of year."""
    fields: dict[str, Any] = {
        "title": "Fentanyl seized at the southwest border",
        "unit": "lb",
        "good_direction": "up",
        "series": (
            ChartSeries("San Diego Field Office", monthly(2024, [100.0 + i for i in range(12)])),
            ChartSeries("Tucson Field Office", monthly(2024, [50.5 * (i + 1) for i in range(12)])),
        ),
        "baseline": (date(2024, 1, 1), 150.0),
        "targets": ((date(2024, 12, 31), 300.0), (date(2024, 6, 30), 200.0)),
    }
    fields.update(changes)
    return Chart(**fields)


DATA = SHARED_DATA


real_data = needs_shared_data


DRUG_HEADER = ["FY", "Month (abbv)", "Component", "Region", "Land Filter",
               "Area of Responsibility", "Drug Type", "Count of Event", "Sum Qty (lbs)"]  # fmt: skip


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]],
              encoding: str = "utf-8") -> Path:  # fmt: skip
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


OFO, SWB = "Office of Field Operations", "Southwest Border"


def drug_row(fy: str, month: str, aor: str, drug: str, events: str, pounds: str) -> list[str]:
    return [fy, month, OFO, SWB, "Land Only", aor, drug, events, pounds]


SAMPLE = (Path(__file__).resolve().parents[1] / "plan" / "sample.yaml").read_text("utf-8")


INDICATORS = """indicators:
  - code: I1
    objective: "1.1.1"
    name: {en: Fentanyl seized at the Southwest border, es: Fentanilo asegurado en la frontera suroeste}
    unit: {en: lb, es: lb}
    good_direction: up
    source: dataset
    dataset: cbp.drugs
    measure: weight_lb
    filters: {region: Southwest Border, drug: Fentanyl}
    split_by: aor
    baseline: {date: "2023-10-01", value: "100"}
    targets:
      - {date: "2024-09-01", value: "150"}
  - code: I2
    name: {en: Joint operations, es: Operativos conjuntos}
    unit: {en: operations, es: operativos}
    good_direction: up
    source: manual
observations:
  - {indicator: I2, period: "2026-10", value: "4", unit: operations, note: Two in Sonora}
"""


DRUG_FILES = [
    DATA / "cbp" / "cbp_drug_seizures_fy19_22.csv",
    DATA / "cbp" / "cbp_drug_seizures_fy22_25.csv",
    DATA / "cbp" / "nationwide-drugs-fy23-fy26-apr.csv",
]


WEAPONS_FILE = DATA / "cbp" / "cbp_weapons_seizures_fy22_25.csv"


SESNSP_FILE = DATA / "sesnsp" / "IDEFC_NM_may22_latin1.csv"


WEAPONS_HEADER = ["Fiscal Year", "Month (abbv)", "Component", "Region", "Area of Responsibility",
                  "Inbound/Outbound", "Mode of Transportation", "Seizure Type", "Category",
                  "Event ID", "Quantity Seized"]  # fmt: skip


MONTHS = ["Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto",
          "Septiembre", "Octubre", "Noviembre", "Diciembre"]  # fmt: skip
SESNSP_HEADER = ["Año", "Clave_Ent", "Entidad", "Bien jurídico afectado", "Tipo de delito",
                 "Subtipo de delito", "Modalidad", *MONTHS]  # fmt: skip


def weapons_row(direction: str, region: str, aor: str, kind: str, event: str,
                quantity: str, month: str = "OCT") -> list[str]:  # fmt: skip
    return ["2024", month, OFO, region, aor, direction, "Land", kind, "Handgun", event, quantity]


def sesnsp_row(code: str, state: str, subtype: str, modality: str, months: list[str]) -> list[str]:
    return ["2022", code, state, "La vida y la Integridad corporal", "Homicidio", subtype,
            modality, *months, *[""] * (12 - len(months))]  # fmt: skip


def rejected(call: object) -> InvalidInput:
    assert callable(call)
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value


GOOD = drug_row("2026 (FYTD)", "APR", "YUMA SECTOR", "Fentanyl", "1", "2.5")
