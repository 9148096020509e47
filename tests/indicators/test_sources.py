"""The dataset readers: fiscal months, newest-wins, real files, bad input, the shipped subset.

Small synthetic files (in tmp_path) pin each rule; the real public files in ../shared/data,
when they are beside the clone, show the rules hold on what CBP and SESNSP actually publish.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from puente.indicators.sources.cbp_drugs import read_cbp_drugs
from puente.indicators.sources.cbp_weapons import read_cbp_weapons
from puente.indicators.sources.common import (
    Observation,
    fiscal_month,
    normalize_name,
    parse_fiscal_year,
    pointer,
)
from puente.indicators.sources.sesnsp import read_sesnsp
from puente.indicators.sources.shipped import SUBSETS, read_shipped
from tests.support.indicators import (
    DATA,
    DRUG_FILES,
    DRUG_HEADER,
    GOOD,
    OFO,
    SESNSP_FILE,
    SESNSP_HEADER,
    SWB,
    WEAPONS_FILE,
    WEAPONS_HEADER,
    drug_row,
    real_data,
    rejected,
    sesnsp_row,
    weapons_row,
    write_csv,
)

THIRD_PARTY = DATA / "cbp" / "cbp_fentanyl_aor_monthly_2019_2026_dec.csv"


def value(observations: Sequence[Observation], period: date, measure: str, **dims: str) -> float:
    found = [o.value for o in observations if o.period == period and o.measure == measure
             and all(o.dimension(k) == v for k, v in dims.items())]  # fmt: skip
    assert found, (period, measure, dims)
    return sum(found)


# --- fiscal years and months -------------------------------------------------------------


def test_fiscal_months_fall_in_their_calendar_year() -> None:
    assert fiscal_month(2023, 10) == date(2022, 10, 1)  # OCT opens FY2023
    assert fiscal_month(2023, 12) == date(2022, 12, 1)
    assert fiscal_month(2023, 1) == date(2023, 1, 1)
    assert fiscal_month(2023, 9) == date(2023, 9, 1)  # SEP closes it


@pytest.mark.parametrize(
    ("label", "parsed"),
    [("2026 (FYTD)", (2026, True)), ("2024", (2024, False)), (" FY2025 ", (2025, False)),
     ("2025 (fytd)", (2025, True)), ("2025-26", None), ("", None), ("Total", None)],
)  # fmt: skip
def test_fiscal_year_labels(label: str, parsed: tuple[int, bool] | None) -> None:
    assert parse_fiscal_year(label) == parsed


def test_area_names_get_one_spelling() -> None:
    assert normalize_name("ATLANTA FIELD OFFICE") == "Atlanta Field Office"
    assert normalize_name("Baltimore Field Office") == "Baltimore Field Office"
    assert normalize_name(" RIO GRANDE  VALLEY SECTOR") == "Rio Grande Valley Sector"


def test_pointers_escape_slashes_in_column_names() -> None:
    assert pointer("w.csv", 3, "Inbound/Outbound") == "/w.csv/line/3/Inbound~1Outbound"


# --- CBP drugs: windows and newest-wins --------------------------------------------------


def two_windows(tmp_path: Path) -> tuple[Path, Path]:
    older = write_csv(tmp_path / "fy22_24.csv", DRUG_HEADER, [
        drug_row("2023", "OCT", "SAN DIEGO FIELD OFFICE", "Fentanyl", "10", "100.5"),
        drug_row("2023", "NOV", "SAN DIEGO FIELD OFFICE", "Fentanyl", "4", "40"),
        drug_row("2024 (FYTD)", "JAN", "SAN DIEGO FIELD OFFICE", "Fentanyl", "7", "70"),
        drug_row("2024 (FYTD)", "FEB", "TUCSON FIELD OFFICE", "Heroin", "1", "2"),
    ])  # fmt: skip
    newer = write_csv(tmp_path / "fy24_25.csv", DRUG_HEADER, [
        # CBP revised January 2024 and no longer lists February's heroin seizure.
        drug_row("2024", "JAN", "San Diego Field Office", "Fentanyl", "8", "71.25"),
        drug_row("2025 (FYTD)", "MAR", "San Diego Field Office", "Fentanyl", "3", "30"),
    ])  # fmt: skip
    return older, newer


def test_the_newest_window_wins_each_fiscal_year_it_holds(tmp_path: Path) -> None:
    older, newer = two_windows(tmp_path)
    observations, report = read_cbp_drugs([older, newer])
    fentanyl = {"aor": "San Diego Field Office", "drug": "Fentanyl"}
    assert value(observations, date(2024, 1, 1), "events", **fentanyl) == 8
    assert value(observations, date(2024, 1, 1), "weight_lb", **fentanyl) == 71.25
    assert value(observations, date(2022, 10, 1), "weight_lb", **fentanyl) == 100.5
    assert value(observations, date(2025, 3, 1), "events", **fentanyl) == 3
    assert not [o for o in observations if o.dimension("drug") == "Heroin"]
    assert report.fiscal_year_sources == {2023: "fy22_24.csv", 2024: "fy24_25.csv",
                                          2025: "fy24_25.csv"}  # fmt: skip
    (overlap,) = report.overlaps
    assert (overlap.fiscal_year, overlap.used, overlap.replaced) == (2024, "fy24_25.csv",
                                                                     "fy22_24.csv")  # fmt: skip
    assert (overlap.revised, overlap.dropped, overlap.added) == (2, 2, 0)
    # February was only in the older window: the whole year comes from the newer one.
    assert any("2024-02" in note.text() for note in report.warnings)
    january = [o for o in observations if o.period == date(2024, 1, 1)]
    assert {(o.source, o.line) for o in january} == {("fy24_25.csv", 2)}


def test_newest_is_decided_by_the_data_not_the_order_given(tmp_path: Path) -> None:
    older, newer = two_windows(tmp_path)
    assert read_cbp_drugs([newer, older])[0] == read_cbp_drugs([older, newer])[0]


def test_reading_twice_gives_the_same_observations(tmp_path: Path) -> None:
    files = list(two_windows(tmp_path))
    if DATA.exists():
        files = DRUG_FILES
    first, first_report = read_cbp_drugs(files)
    second, second_report = read_cbp_drugs(files)
    assert first == second
    assert first_report == second_report
    assert len({(o.period, o.dimensions, o.measure) for o in first}) == len(first)


@real_data
def test_real_windows_take_each_fiscal_year_from_the_newest_file() -> None:
    observations, report = read_cbp_drugs(DRUG_FILES)
    newest = "nationwide-drugs-fy23-fy26-apr.csv"
    assert report.fiscal_year_sources == {
        2019: "cbp_drug_seizures_fy19_22.csv", 2020: "cbp_drug_seizures_fy19_22.csv",
        2021: "cbp_drug_seizures_fy19_22.csv", 2022: "cbp_drug_seizures_fy22_25.csv",
        2023: newest, 2024: newest, 2025: newest, 2026: newest,
    }  # fmt: skip
    # FY2025 was still open ("2025 (FYTD)", Oct-May) in the FY22-25 window; the newer one
    # revised it, e.g. New Orleans Sector cocaine in October 2024: 6 events, 127.3388 lb
    # became 5 events, 89.1923 lb.
    cocaine = {"aor": "New Orleans Sector", "drug": "Cocaine"}
    assert value(observations, date(2024, 10, 1), "events", **cocaine) == 5
    assert value(observations, date(2024, 10, 1), "weight_lb", **cocaine) == 89.1923
    (fy2025,) = [o for o in report.overlaps if o.fiscal_year == 2025]
    assert fy2025.revised > 0
    assert fy2025.dropped > 0
    assert all(o.revised == 0 for o in report.overlaps if o.fiscal_year != 2025)
    assert min(o.period for o in observations) == date(2018, 10, 1)
    assert max(o.period for o in observations) == date(2026, 4, 1)  # "2026 (FYTD)" APR
    assert report.rows_read == 10092 + 9004 + 8673
    assert not report.skipped


@real_data
def test_southwest_fentanyl_agrees_with_the_third_party_derivation() -> None:
    """Cross-check against cbp_fentanyl_aor_monthly_2019_2026_dec.csv (a third party's
    derivation from CBP's *December* 2025 release, not a source).

    Through September 2025 every one of its Southwest-border cells (area, month, events and
    pounds) equals ours to 1e-9. For October to December 2025 (FY2026) we read CBP's April
    2026 release, which revised them: more events at the San Diego, Tucson and Laredo field
    offices (late-reported seizures) and +0.02 lb at Tucson in December. Those cells are
    allowed to differ only that way.
    """
    observations, _ = read_cbp_drugs(DRUG_FILES)
    ours: dict[tuple[date, str, str], float] = {}
    for o in observations:
        if o.dimension("drug") == "Fentanyl" and o.dimension("region") == SWB:
            key = (o.period, o.dimension("aor"), o.measure)
            ours[key] = ours.get(key, 0.0) + o.value
    theirs: dict[tuple[date, str, str], float] = {}
    with THIRD_PARTY.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["region"] != SWB:
                continue
            period = date.fromisoformat(row["calendar_month_start"])
            aor = normalize_name(row["area_of_responsibility"])
            for measure, column in (("events", "count_of_event"), ("weight_lb", "sum_qty_lbs")):
                key = (period, aor, measure)
                theirs[key] = theirs.get(key, 0.0) + float(row[column])
    last = max(key[0] for key in theirs)
    assert last == date(2025, 12, 1)
    ours = {key: v for key, v in ours.items() if key[0] <= last}
    assert ours.keys() == theirs.keys()
    differ = {key for key in ours if abs(ours[key] - theirs[key]) > 1e-9 * max(1.0, theirs[key])}
    assert len(theirs) == 1458
    assert all(key[0] >= date(2025, 10, 1) for key in differ)
    assert len(differ) <= 10
    for key in differ:
        if key[2] == "events":
            assert ours[key] >= theirs[key]  # revisions added late-reported events
        else:
            assert ours[key] == pytest.approx(theirs[key], rel=1e-3)


# --- CBP weapons -------------------------------------------------------------------------


def test_weapons_southbound_is_outbound_at_the_southwest_border(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "weapons.csv", WEAPONS_HEADER, [
        weapons_row("OUTBOUND", SWB, "Laredo Field Office", "Weapons", "11.0", "2.0"),
        weapons_row("OUTBOUND", SWB, "Laredo Field Office", "Ammunition & Gun Parts", "11.0",
                    "500.0"),
        weapons_row("OUTBOUND", SWB, "Laredo Field Office", "Weapons", "12.0", "1.0"),
        weapons_row("INBOUND", SWB, "Laredo Field Office", "Weapons", "13.0", "1.0"),
        weapons_row("OUTBOUND", "Northern Border", "Detroit Field Office", "Weapons", "14.0",
                    "3.0"),
        weapons_row("OUTBOUND", SWB, "LAREDO FIELD OFFICE", "Weapons", "15.0", ""),
    ])  # fmt: skip
    observations, report = read_cbp_weapons(path)
    october = date(2023, 10, 1)
    south = [o for o in observations if o.dimension("southbound") == "yes"]
    assert {o.dimension("aor") for o in south} == {"Laredo Field Office"}
    assert {o.dimension("direction") for o in south} == {"Outbound"}
    # Events 11, 12 and 15 (15 has no quantity: its event counts, its quantity is skipped).
    assert value(south, october, "events", seizure_type="All") == 3
    assert value(south, october, "events", seizure_type="Weapons") == 3
    assert value(south, october, "events", seizure_type="Ammunition & Gun Parts") == 1
    assert value(south, october, "items", seizure_type="Weapons") == 3
    assert value(south, october, "items", seizure_type="All") == 503
    detroit = [o for o in observations if o.dimension("aor") == "Detroit Field Office"]
    assert {o.dimension("southbound") for o in detroit} == {"no"}
    assert [(n.line, n.params["column"]) for n in report.skipped] == [(7, "Quantity Seized")]
    assert report.rows_read == 6


@real_data
def test_real_weapons_southbound_flow() -> None:
    observations, report = read_cbp_weapons(WEAPONS_FILE)
    south = [o for o in observations if o.dimension("southbound") == "yes"]
    assert {o.dimension("aor") for o in south} == {"El Paso Field Office", "Laredo Field Office",
                                                   "San Diego Field Office",
                                                   "Tucson Field Office"}  # fmt: skip
    assert {o.dimension("component") for o in south} == {OFO}
    assert min(o.period for o in observations) == date(2021, 10, 1)
    assert max(o.period for o in observations) == date(2025, 5, 1)
    assert report.rows_read == 22559
    assert len(report.skipped) == 5  # empty Quantity Seized (USBP ammunition rows)
    assert any("-2147483648" in note.text() for note in report.warnings)


# --- SESNSP ------------------------------------------------------------------------------


def test_sesnsp_latin1_thousands_and_unpublished_months(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "idefc.csv", SESNSP_HEADER, [
        sesnsp_row("15", "México", "Homicidio doloso", "Con arma de fuego", ["1,234", "90"]),
        sesnsp_row("15", "México", "Homicidio doloso", "Con arma blanca", ["16", "10"]),
        sesnsp_row("15", "México", "Homicidio culposo", "En accidente de tránsito", ["5", "6"]),
        sesnsp_row("9", "Ciudad de México", "Homicidio doloso", "Con otro elemento",
                   ["2", "3"]),
    ], encoding="latin-1")  # fmt: skip
    observations, report = read_sesnsp(path)
    doloso = {"subtipo": "Homicidio doloso", "state": "México", "state_code": "15"}
    assert value(observations, date(2022, 1, 1), "incidents", **doloso) == 1250
    assert value(observations, date(2022, 2, 1), "incidents", **doloso) == 100
    assert {o.period for o in observations} == {date(2022, 1, 1), date(2022, 2, 1)}
    assert {o.dimension("state_code") for o in observations} == {"15", "09"}
    assert "Marzo" in report.warnings[0].text()
    assert not report.skipped
    by_modality, _ = read_sesnsp(path, modalities=True)
    assert value(by_modality, date(2022, 1, 1), "incidents", modalidad="Con arma de fuego",
                 **doloso) == 1234  # fmt: skip


def test_sesnsp_reads_a_copy_saved_as_utf8(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "idefc.csv", SESNSP_HEADER,
                     [sesnsp_row("31", "Yucatán", "Homicidio doloso", "Con arma blanca", ["3"])])  # fmt: skip
    (obs,), _ = read_sesnsp(path)
    assert obs.dimension("state") == "Yucatán"


@real_data
def test_real_sesnsp_homicidio_doloso() -> None:
    observations, report = read_sesnsp(SESNSP_FILE)
    doloso = [o for o in observations if o.dimension("subtipo") == "Homicidio doloso"]
    assert len({o.dimension("state_code") for o in doloso}) == 32
    assert min(o.period for o in doloso) == date(2015, 1, 1)
    assert max(o.period for o in doloso) == date(2022, 5, 1)  # June on: not yet published
    assert len(doloso) == 32 * (7 * 12 + 5)
    assert report.rows_read == 25088
    aguascalientes = {"state_code": "01", "subtipo": "Homicidio doloso"}
    # Line 2-5 of the file: 3 + 1 + 0 + 2 in January 2015.
    assert value(doloso, date(2015, 1, 1), "incidents", **aguascalientes) == 6
    assert "Diciembre" in report.warnings[0].text()


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "rows", "pointer", "words"),
    [
        ([*DRUG_HEADER[:-1], "Sum Qty (kg)"], [GOOD], "/bad.csv/line/1/Sum Qty (lbs)",
         ["Sum Qty (lbs)", "missing"]),
        (DRUG_HEADER[1:], [GOOD[1:]], "/bad.csv/line/1/FY", ["FY", "missing"]),
        (DRUG_HEADER, [GOOD, GOOD[:4]], "/bad.csv/line/3/Land Filter",
         ["Line 3", "4 fields", "9", "cut short"]),
        (DRUG_HEADER, [GOOD, [*GOOD[:-1], "12.5 lbs"]], "/bad.csv/line/3/Sum Qty (lbs)",
         ["Sum Qty (lbs)", "line 3", "not a number", "12.5 lbs"]),
        (DRUG_HEADER, [[*GOOD[:-2], "many", "1"]], "/bad.csv/line/2/Count of Event",
         ["Count of Event", "line 2", "many"]),
        (DRUG_HEADER, [["2024", "SEPT", *GOOD[2:]]], "/bad.csv/line/2/Month (abbv)",
         ["Month (abbv)", "line 2", "SEPT"]),
        (DRUG_HEADER, [["FY24", *GOOD[1:]]], "/bad.csv/line/2/FY", ["FY", "line 2", "FY24"]),
        (DRUG_HEADER, [[*GOOD[:-1], "-3"]], "/bad.csv/line/2/Sum Qty (lbs)", ["negative"]),
        (DRUG_HEADER, [[*GOOD[:5], "", *GOOD[6:]]],
         "/bad.csv/line/2/Area of Responsibility", ["Area of Responsibility", "empty"]),
    ],
    ids=["renamed-column", "missing-column", "truncated-row", "not-a-number", "bad-count",
         "unknown-month", "bad-fiscal-year", "negative", "empty-area"],
)  # fmt: skip
def test_bad_drug_files_name_the_line_and_column(
    tmp_path: Path, header: list[str], rows: list[list[str]], pointer: str, words: list[str]
) -> None:
    path = write_csv(tmp_path / "bad.csv", header, rows)
    error = rejected(lambda: read_cbp_drugs([path]))
    first = error.problems[0]
    assert first.pointer == pointer
    text = first.message.format(**first.params)
    assert all(word in text for word in words), text
    assert "bad.csv" in text


def test_a_truncated_last_line_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cut.csv", DRUG_HEADER, [GOOD, GOOD])
    path.write_bytes(path.read_bytes() + b"2026 (FYTD),APR,Office of Fi")
    error = rejected(lambda: read_cbp_drugs([path]))
    assert error.problems[0].pointer == "/cut.csv/line/4/Region"


def test_every_problem_of_a_file_is_reported_together(tmp_path: Path) -> None:
    rows = [[*GOOD[:-1], "x"], GOOD, ["2024", "XYZ", *GOOD[2:]]]
    error = rejected(lambda: read_cbp_drugs([write_csv(tmp_path / "two.csv", DRUG_HEADER, rows)]))
    assert [p.pointer for p in error.problems] == ["/two.csv/line/2/Sum Qty (lbs)",
                                                   "/two.csv/line/4/Month (abbv)"]  # fmt: skip


def test_bad_weapons_and_sesnsp_files(tmp_path: Path) -> None:
    weapons = write_csv(tmp_path / "w.csv", WEAPONS_HEADER,
                        [weapons_row("OUTBOUND", SWB, "Laredo", "Weapons", "1.0", "two")])  # fmt: skip
    assert rejected(lambda: read_cbp_weapons(weapons)).problems[0].pointer == (
        "/w.csv/line/2/Quantity Seized"
    )
    sesnsp = write_csv(tmp_path / "s.csv", SESNSP_HEADER,
                       [sesnsp_row("15", "México", "Homicidio doloso", "x", ["1.234,5"])],
                       encoding="latin-1")  # fmt: skip
    assert rejected(lambda: read_sesnsp(sesnsp)).problems[0].pointer == "/s.csv/line/2/Enero"
    infinite = write_csv(tmp_path / "i.csv", SESNSP_HEADER,
                         [sesnsp_row("15", "México", "Homicidio doloso", "x", ["1", "inf"])],
                         encoding="latin-1")  # fmt: skip
    assert rejected(lambda: read_sesnsp(infinite)).problems[0].pointer == "/i.csv/line/2/Febrero"
    missing = rejected(lambda: read_sesnsp(tmp_path / "absent.csv"))
    assert missing.problems[0].pointer == "/absent.csv"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "no header" in str(rejected(lambda: read_cbp_weapons(empty)))
    assert rejected(lambda: read_cbp_drugs([])).problems


def test_blank_lines_total_rows_and_empty_figures_are_skipped_and_reported(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "skips.csv", DRUG_HEADER, [
        GOOD,
        [],
        ["Total", "", "", "", "", "", "", "1234", "5678.9"],
        [*GOOD[:-2], "", "7.5"],
    ])  # fmt: skip
    observations, report = read_cbp_drugs([path])
    assert [(n.line, n.message.split(" ")[0]) for n in report.skipped] == [
        (3, "Line"), (4, "Line"), (5, "{column}")]  # fmt: skip
    assert "total" in report.skipped[1].text()
    assert report.skipped[2].pointer == "/skips.csv/line/5"
    assert sorted((o.measure, o.value) for o in observations) == [
        ("events", 1.0), ("weight_lb", 2.5 + 7.5)]  # fmt: skip
    assert any("repeats" in note.text() for note in report.warnings)


# --- the shipped subset ------------------------------------------------------------------


def test_the_shipped_subset_is_readable_and_small() -> None:
    observations = read_shipped()
    series = {o.series for o in observations}
    assert series == {"cbp.drugs", "cbp.weapons", "sesnsp.incidence"}
    assert all(any(s.holds(o) for s in SUBSETS) for o in observations)
    data = Path(__file__).resolve().parents[2] / "puente" / "indicators" / "data"
    assert sum(f.stat().st_size for f in data.iterdir()) < 400_000
    assert (data / "PROVENANCE.md").exists()


@real_data
def test_the_shipped_subset_is_what_the_readers_give() -> None:
    drugs, _ = read_cbp_drugs(DRUG_FILES)
    weapons, _ = read_cbp_weapons(WEAPONS_FILE)
    incidence, _ = read_sesnsp(SESNSP_FILE)
    derived = [o for o in [*drugs, *weapons, *incidence] if any(s.holds(o) for s in SUBSETS)]

    def order(o: Observation) -> tuple[str, date, tuple[tuple[str, str], ...], str]:
        return (o.series, o.period, o.dimensions, o.measure)

    assert sorted(read_shipped(), key=order) == sorted(derived, key=order)
