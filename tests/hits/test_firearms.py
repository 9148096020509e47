"""Firearms are matched by maker and serial, never the serial alone, misreads included."""

from __future__ import annotations

import pytest

from puente.hits.firearms import firearm_keys, maker


@pytest.mark.parametrize(
    "written",
    ["S&W", "Smith & Wesson", "SMITH AND WESSON", "Smith&Wesson Inc.", "smith-wesson"],
)
def test_one_maker_however_it_is_written(written: str) -> None:
    assert maker(written) == "SMITHWESSON"


def test_company_words_go_and_unknown_makers_stay_themselves() -> None:
    assert maker("Colt's Manufacturing Company LLC") == "COLT"
    assert maker("Sturm, Ruger & Co., Inc.") == "RUGER"
    assert maker("Romarm/Cugir") == "ROMARM"
    assert maker("Acme Precision Arms LLC") == "ACMEPRECISION"


def test_a_misread_serial_meets_its_record_through_the_fuzzy_key() -> None:
    record = firearm_keys("Smith & Wesson", "DBS1234")
    misread = firearm_keys("S&W", "D8S-I234")
    assert {k.type for k in record.keys & misread.keys} == {"firearm.make-serial-fuzzy"}
    exact = firearm_keys("SMITH AND WESSON", "dbs 1234")
    assert "firearm.make-serial" in {k.type for k in record.keys & exact.keys}


def test_the_same_serial_from_another_maker_does_not_meet() -> None:
    assert (
        not firearm_keys("Glock", "DBS1234").keys & firearm_keys("Smith & Wesson", "DBS1234").keys
    )


def test_the_importer_is_a_second_maker() -> None:
    record = firearm_keys("Romarm/Cugir", "1-ROA-1234", importer="Century International Arms")
    assert firearm_keys("Century Arms", "1ROA1234").keys & record.keys


def test_no_serial_no_key() -> None:
    assert not firearm_keys("Glock", "").keys
    assert not firearm_keys("", "ABC123").keys
