"""A vehicle's match keys, spec version 1 (docs/match-keys.md, "Vehicles").

The VIN is compacted, the letters a VIN never holds (I, O, Q) read as the digits they were
mistaken for, and its check digit (position 9, 49 CFR 565.15) verified: a failure is a
warning, not a refusal, since vehicles made for markets outside North America may not carry
one. Beside the full VIN, a fuzzy key folds misread characters as for firearm serials, and a
secondary key joins the manufacturer code (WMI, positions 1–3) to the serial (positions
12–17). A plate counts only with its issuer (state or country): plates repeat across issuers.
"""

from __future__ import annotations

from puente.errors import N_
from puente.hits.firearms import fuzzy
from puente.hits.keys import Keys
from puente.hits.text import compact

_VALUES = dict(zip("ABCDEFGHJKLMNPRSTUVWXYZ", (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3,
               4, 5, 6, 7, 8, 9), strict=True))  # fmt: skip
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_NEVER_IN_A_VIN = str.maketrans("IOQ", "100")
MIN_VIN = 11  # VINs before 1981 ran from 11 to 17 characters; fewer is a fragment


def vin(text: str) -> str:
    return compact(text).translate(_NEVER_IN_A_VIN)


def check_digit(number: str) -> str:
    """The VIN's ninth character as 49 CFR 565.15 computes it ("X" for ten)."""
    total = sum(
        (int(c) if c.isdigit() else _VALUES.get(c, 0)) * weight
        for c, weight in zip(number, _WEIGHTS, strict=True)
    )
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vehicle_keys(
    vin_text: str = "", plate: str = "", plate_issuer: str = "", *, version: int = 1
) -> Keys:
    keys = Keys(version=version)
    number = vin(vin_text)
    if 0 < len(number) < MIN_VIN:
        keys.warn(N_("{value} is too short to be a VIN."), number)
    elif number:
        keys.add("vehicle.vin", number)
        keys.add("vehicle.vin-fuzzy", fuzzy(number))
        if len(number) == 17:
            keys.add("vehicle.wmi-serial", number[:3], number[11:])
            if check_digit(number) != number[8]:
                keys.warn(N_("{value}: the VIN's check digit does not match."), number)
        else:
            keys.warn(N_("{value} is not 17 characters long: an older or foreign VIN."), number)
    plate_number, issuer = compact(plate), compact(plate_issuer)
    if plate_number and issuer:
        keys.add("vehicle.plate", issuer, plate_number)
    elif plate_number:
        keys.warn(N_("{value}: a plate needs its issuing state or country."), plate_number)
    return keys
