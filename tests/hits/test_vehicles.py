"""Vehicles: VIN with its check digit, a fuzzy and a secondary key, and plates with issuers."""

from __future__ import annotations

from puente.hits.vehicles import check_digit, vehicle_keys, vin


def test_the_check_digit_follows_49_cfr_565() -> None:
    assert check_digit("1M8GDM9AXKP042788") == "X"  # NHTSA's worked example
    assert check_digit("11111111111111111") == "1"
    assert check_digit("1HGCM82633A004352") == "3"


def test_letters_a_vin_never_holds_read_as_digits() -> None:
    assert vin("1hgcm8263-3a0o4352") == "1HGCM82633A004352"
    assert vin("1HGCM82633AOO4352") == "1HGCM82633A004352"


def test_a_failed_check_digit_warns_but_still_gives_keys() -> None:
    keys = vehicle_keys("1HGCM82634A004352")  # 9th character altered
    assert keys.keys
    assert [w.value for w in keys.warnings] == ["1HGCM82634A004352"]


def test_a_misread_vin_meets_its_record() -> None:
    record = vehicle_keys("1HGCM82633A004352")
    misread = vehicle_keys("1HGCM8Z633A0O4352")
    assert {k.type for k in record.keys & misread.keys} >= {"vehicle.vin-fuzzy"}


def test_a_plate_counts_only_with_its_issuer() -> None:
    texas = vehicle_keys(plate="ABC-123", plate_issuer="US-TX")
    assert {k.encode() for k in texas.keys} == {b"1|vehicle.plate|USTX|ABC123"}
    assert not texas.keys & vehicle_keys(plate="ABC123", plate_issuer="MX-CHH").keys
    alone = vehicle_keys(plate="ABC123")
    assert not alone.keys
    assert alone.warnings


def test_a_fragment_is_not_a_vin() -> None:
    keys = vehicle_keys("JH4KA3")
    assert not keys.keys
    assert keys.warnings
