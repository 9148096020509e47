"""Vehicle identification numbers (ISO 3779, with the North American check digit).

Position 9 is a check digit over the other sixteen characters (49 CFR 565.15); position 10
codes the model year. The demo only writes VINs that pass the check, as real ones do.
"""

from __future__ import annotations

import random

ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # I, O and Q are never used
TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    "A": 1,
    "B": 2,
    "C": 3,
    "D": 4,
    "E": 5,
    "F": 6,
    "G": 7,
    "H": 8,
    "J": 1,
    "K": 2,
    "L": 3,
    "M": 4,
    "N": 5,
    "P": 7,
    "R": 9,
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Model-year codes repeat every 30 years; 2010 is "A" again.
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


def check_digit(vin: str) -> str:
    """The check digit a 17-character VIN must carry in position 9."""
    total = sum(TRANSLITERATION[c] * w for c, w in zip(vin.upper(), WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def is_valid(vin: str) -> bool:
    vin = vin.upper()
    if len(vin) != 17 or any(c not in ALPHABET for c in vin):
        return False
    return vin[8] == check_digit(vin)


def year_code(year: int) -> str:
    return YEAR_CODES[(year - 1980) % 30]


def make_vin(rng: random.Random, wmi: str, year: int) -> str:
    """A well-formed VIN for a vehicle of manufacturer ``wmi`` and model ``year``."""
    descriptor = "".join(rng.choice(ALPHABET[:23]) for _ in range(5))  # VDS: letters
    plant = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
    serial = f"{rng.randrange(100_000, 1_000_000)}"
    draft = f"{wmi}{descriptor}0{year_code(year)}{plant}{serial}"
    return draft[:8] + check_digit(draft) + draft[9:]
