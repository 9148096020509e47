"""The identifiers the demo writes follow the real rules (VIN check digit, CURP, RFC).

The expected values here were worked out by hand from the published rules, or are the
standard published examples, so they check the demo's code rather than repeat it.
"""

from __future__ import annotations

import random

from puente.demo import mexican_ids, vin


def test_vin_check_digit_matches_the_published_example() -> None:
    # The worked example of 49 CFR 565 / ISO 3779 check digits, whose digit is X.
    assert vin.check_digit("1M8GDM9AXKP042788") == "X"
    assert vin.is_valid("1M8GDM9AXKP042788")
    assert not vin.is_valid("1M8GDM9A1KP042788")
    assert not vin.is_valid("1M8GDM9AXKP04278")  # 16 characters
    assert not vin.is_valid("1M8GDM9AXKP04278O")  # O is never used


def test_generated_vins_carry_their_wmi_and_model_year() -> None:
    rng = random.Random(7)
    made = vin.make_vin(rng, "3TM", 2021)
    assert made.startswith("3TM")
    assert made[9] == "M"  # 2021
    assert vin.is_valid(made)


def test_curp_letters_follow_the_renapo_rules() -> None:
    # Ramírez → R + first inner vowel A; Ochoa → O; José Luis → Luis (José is skipped);
    # inner consonants: raMírez, oChoa, luiS.
    code = mexican_ids.curp("José Luis", "Ramírez", "Ochoa", "1984-03-12", "H", "SL", "0")
    assert code[:17] == "RAOL840312HSLMCS0"
    # Núñez → N U; "Del Valle" → Valle (particle dropped); María Fernanda → Fernanda;
    # the inner consonant of Núñez is Ñ, written X.
    code = mexican_ids.curp("María Fernanda", "Núñez", "Del Valle", "1990-11-02", "M", "SR", "A")
    assert code[:17] == "NUVF901102MSRXLRA"


def test_curp_check_digit_is_renapo_s() -> None:
    values = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
    code = mexican_ids.curp("Brenda", "Gastélum", "Osuna", "2001-07-30", "M", "SL", "B")
    total = sum(values.index(c) * (18 - i) for i, c in enumerate(code[:17]))
    assert code[17] == str((10 - total % 10) % 10)


def test_rfc_matches_the_sat_worked_example() -> None:
    assert mexican_ids.rfc("Juan", "Barrios", "Fernández", "1970-12-13") == "BAFJ701213SBA"
