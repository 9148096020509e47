"""Files the readers refuse with a problem naming the line and column, not a traceback, and
SESNSP rows listed twice, which are reported as the CBP drugs reader reports them."""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path

import pytest

from puente.indicators.sources.cbp_drugs import read_cbp_drugs
from puente.indicators.sources.cbp_weapons import read_cbp_weapons
from puente.indicators.sources.sesnsp import read_sesnsp
from tests.support.indicators import (
    DRUG_FILES,
    DRUG_HEADER,
    GOOD,
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


def first_problem(call: object) -> tuple[str, str]:
    problem = rejected(call).problems[0]
    return problem.pointer, problem.message.format(**problem.params)


@pytest.mark.parametrize("year", ["0000", "0001", "1989", "2101"])
def test_a_fiscal_year_outside_1990_2100_is_refused(tmp_path: Path, year: str) -> None:
    path = write_csv(tmp_path / "d.csv", DRUG_HEADER, [[year, *GOOD[1:]]])
    where, text = first_problem(lambda: read_cbp_drugs([path]))
    assert where == "/d.csv/line/2/FY"
    assert text == f"FY on line 2 of d.csv is not between 1990 and 2100: {year}."


def sesnsp(tmp_path: Path, *rows: list[str]) -> Path:
    return write_csv(tmp_path / "s.csv", SESNSP_HEADER, list(rows), encoding="latin-1")


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [("Año", "0", ["1990", "2100"]), ("Año", "15", ["1990", "2100"]),
     ("Año", "1e4", ["1990", "2100"]), ("Año", "1e9", ["1990", "2100"]),
     ("Clave_Ent", "999", ["1", "32"]), ("Clave_Ent", "0", ["1", "32"])],
)  # fmt: skip
def test_a_sesnsp_year_or_state_key_out_of_range_is_refused(
    tmp_path: Path, column: str, value: str, words: list[str]
) -> None:
    row = sesnsp_row("15", "México", "Homicidio doloso", "Con arma blanca", ["3"])
    row[SESNSP_HEADER.index(column)] = value
    where, text = first_problem(lambda: read_sesnsp(sesnsp(tmp_path, row)))
    assert where == f"/s.csv/line/2/{column}"
    assert all(word in text for word in [column, "line 2", value, *words]), text


def test_fractional_counts_are_refused(tmp_path: Path) -> None:
    incidents = sesnsp(tmp_path, sesnsp_row("15", "México", "Homicidio doloso", "x", ["1", "2.5"]))
    assert first_problem(lambda: read_sesnsp(incidents)) == (
        "/s.csv/line/2/Febrero", "Febrero on line 2 of s.csv is not a whole number: 2.5.")  # fmt: skip
    events = write_csv(tmp_path / "d.csv", DRUG_HEADER, [[*GOOD[:-2], "2.5", "7.25"]])
    assert first_problem(lambda: read_cbp_drugs([events]))[0] == "/d.csv/line/2/Count of Event"
    items = write_csv(tmp_path / "w.csv", WEAPONS_HEADER,
                      [weapons_row("OUTBOUND", SWB, "Laredo", "Weapons", "1.0", "0.5")])  # fmt: skip
    assert first_problem(lambda: read_cbp_weapons(items))[0] == "/w.csv/line/2/Quantity Seized"


def test_a_file_cut_inside_its_last_field_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cut.csv", DRUG_HEADER, [GOOD])
    whole = drug_row("2026 (FYTD)", "APR", "YUMA SECTOR", "Heroin", "12", "345.25")
    path.write_bytes(path.read_bytes() + ",".join(whole).removesuffix(".25").encode())
    assert first_problem(lambda: read_cbp_drugs([path])) == (
        "/cut.csv/line/3", "The file cut.csv ends in the middle of line 3: it may be cut short; "
        "re-download it.")  # fmt: skip


def test_a_file_with_only_its_header_is_refused(tmp_path: Path) -> None:
    readers = ((DRUG_HEADER, lambda p: read_cbp_drugs([p])), (WEAPONS_HEADER, read_cbp_weapons),
               (SESNSP_HEADER, read_sesnsp))  # fmt: skip
    for (header, read), blank_lines in itertools.product(readers, ([], [[], []])):
        path = write_csv(tmp_path / "head.csv", header, blank_lines)
        assert first_problem(partial(read, path)) == (
            "/head.csv", "The file head.csv holds no rows after its header.")  # fmt: skip


def test_sesnsp_rows_listed_twice_are_reported(tmp_path: Path) -> None:
    row = sesnsp_row("15", "México", "Homicidio doloso", "Con arma blanca", ["3", "4"])
    other = sesnsp_row("15", "México", "Homicidio doloso", "Con arma de fuego", ["1", "1"])
    observations, report = read_sesnsp(sesnsp(tmp_path, row, other, row))
    assert sorted(o.value for o in observations) == [7, 9]  # added, as CBP drugs does
    (repeat,) = [note for note in report.warnings if "repeats" in note.text()]
    assert (repeat.pointer, repeat.text()) == ("/s.csv/line/4", "Line 4 repeats the year, state "
                                               "and modality of line 2; the figures are added.")  # fmt: skip


@real_data
def test_the_public_files_pass_the_new_checks() -> None:
    read_cbp_drugs(DRUG_FILES)
    read_cbp_weapons(WEAPONS_FILE)
    _, report = read_sesnsp(SESNSP_FILE)
    assert not [note for note in report.warnings if "repeats" in note.text()]
