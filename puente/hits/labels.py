"""What hit/no-hit's codes are called on screen: categories and match-key types.

Analysts read "name and date of birth", not ``person.name-dob``; the codes stay in the API and
the CLI, where scripts read them.
"""

from __future__ import annotations

from puente.errors import N_

CATEGORY_LABELS = {"person": N_("Person"), "firearm": N_("Firearm"), "vehicle": N_("Vehicle")}

_YEARONLY = N_("both surnames, given name and year of birth (one side knows only the year)")
_SURNAMES_DOBPART = N_(
    "both surnames, given name, and date of birth with its day, month or year different"
)
_INITIAL = N_("surname, initial of the given name, and date of birth")

KEY_TYPE_LABELS = {
    "person.name-dob": N_("name and date of birth"),
    "person.name-dob-en": N_("name as said in English, and date of birth"),
    "person.name-initial-dob": N_("surname, start of the given name, and date of birth"),
    "person.initial-name-dob": N_("start of the surname, given name, and date of birth"),
    "person.surnames-dob": N_("both surnames and date of birth"),
    "person.names-year": N_("both surnames, given name and year of birth"),
    "person.names-yearonly": _YEARONLY,
    "person.alias-dob": N_("alias and date of birth"),
    # Spec version 2 (docs/match-keys.md, "Persons, version 2").
    "person.edited-name-dob": N_(
        "surname allowing a typo at its start, given name, and date of birth"
    ),
    "person.name-dob-digit": N_("name, and date of birth with one digit different"),
    "person.surnames-fused-dob": N_("both surnames, however written, and date of birth"),
    "person.surnames-fused-dob-oneword": N_("both surnames, however written, and date of birth"),
    "person.surnames-name-dobpart": _SURNAMES_DOBPART,
    "person.surnames-name-dobpart-oneword": _SURNAMES_DOBPART,
    "person.name-givens-dobpart": N_(
        "surname, every given name, and date of birth with its day, month or year different"
    ),
    "person.names-year-oneword": N_("both surnames, given name and year of birth"),
    "person.names-yearonly-oneword": _YEARONLY,
    "person.name-givens-year": N_("surname, every given name and year of birth"),
    "person.name-givens-yearonly": N_(
        "surname, every given name and year of birth (one side knows only the year)"
    ),
    "person.initial-asked-dob": _INITIAL,
    "person.initial-held-dob": _INITIAL,
    "person.initials-dob": _INITIAL,
    "person.curp": N_("CURP"),
    "person.rfc": N_("RFC"),
    "person.passport": N_("passport number"),
    "person.ine": N_("voter ID (INE)"),
    "person.ssn": N_("Social Security number"),
    "person.license": N_("driver's license number"),
    "firearm.make-serial": N_("manufacturer and serial number"),
    "firearm.make-serial-fuzzy": N_("manufacturer and serial number, allowing misread characters"),
    "vehicle.vin": N_("VIN"),
    "vehicle.vin-fuzzy": N_("VIN, allowing misread characters"),
    "vehicle.wmi-serial": N_("VIN manufacturer code and serial"),
    "vehicle.plate": N_("plate and issuer"),
}


def key_type_label(key_type: str) -> str:
    """The message id naming a key type (the code itself for one this node does not know)."""
    return KEY_TYPE_LABELS.get(key_type, key_type)
