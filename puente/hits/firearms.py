"""A firearm's match keys, spec version 1 (docs/match-keys.md, "Firearms").

Serial numbers are unique only per manufacturer, so a key is always (maker, serial), never the
serial alone; the importer's name gives a second maker (imported rifles are often recorded by
importer). Makers are normalized through an alias table ("S&W", "Smith & Wesson", "SMITH AND
WESSON" are one). A fuzzy key folds the characters a serial is misread as (O/0, I/1, S/5,
B/8 ...) so that a misread serial still meets its record.
"""

from __future__ import annotations

from puente.hits.keys import Keys
from puente.hits.text import compact, fold

# Words that say what kind of company, not which one.
COMPANY_WORDS = frozenset({
    "INC", "INCORPORATED", "LLC", "LTD", "CO", "CORP", "CORPORATION", "COMPANY", "GMBH", "SA",
    "SPA", "AG", "MFG", "MANUFACTURING", "MANUFACTURERS", "FIREARMS", "ARMS", "INDUSTRIES",
    "INTERNATIONAL", "INTL", "USA", "AMERICA", "DE", "CV", "THE", "AND", "N",
})  # fmt: skip

# Compacted names (after the company words are gone) → the maker they stand for.
MAKERS: dict[str, str] = {
    "SW": "SMITHWESSON", "SMITHWESSON": "SMITHWESSON", "SMITH": "SMITHWESSON",
    "COLT": "COLT", "COLTS": "COLT", "COLTSMFG": "COLT",
    "RUGER": "RUGER", "STURMRUGER": "RUGER", "STURM": "RUGER",
    "GLOCK": "GLOCK", "BERETTA": "BERETTA", "PIETROBERETTA": "BERETTA",
    "FN": "FN", "FNH": "FN", "FNHERSTAL": "FN", "FABRIQUENATIONALE": "FN", "HERSTAL": "FN",
    "SIG": "SIGSAUER", "SIGSAUER": "SIGSAUER", "SIGARMS": "SIGSAUER", "SAUER": "SIGSAUER",
    "HK": "HECKLERKOCH", "HECKLERKOCH": "HECKLERKOCH",
    "TAURUS": "TAURUS", "FORJASTAURUS": "TAURUS",
    "CENTURY": "CENTURY", "CENTURYARMS": "CENTURY",
    "ROMARM": "ROMARM", "CUGIR": "ROMARM", "NORINCO": "NORINCO",
    "IZHMASH": "KALASHNIKOV", "KALASHNIKOV": "KALASHNIKOV", "KALASHNIKOVCONCERN": "KALASHNIKOV",
    "BUSHMASTER": "BUSHMASTER", "DPMS": "DPMS", "PANTHER": "DPMS",
    "SPRINGFIELD": "SPRINGFIELD", "SPRINGFIELDARMORY": "SPRINGFIELD",
    "MOSSBERG": "MOSSBERG", "OFMOSSBERG": "MOSSBERG", "OFMOSSBERGSONS": "MOSSBERG",
    "REMINGTON": "REMINGTON", "BARRETT": "BARRETT", "KELTEC": "KELTEC",
    "HIPOINT": "HIPOINT", "PSA": "PALMETTO", "PALMETTOSTATEARMORY": "PALMETTO",
    "PALMETTO": "PALMETTO", "ANDERSON": "ANDERSON", "DANIELDEFENSE": "DANIELDEFENSE",
    "ZASTAVA": "ZASTAVA", "CZ": "CZ", "CESKAZBROJOVKA": "CZ", "CZUB": "CZ",
    "WALTHER": "WALTHER", "CARLWALTHER": "WALTHER", "BROWNING": "BROWNING",
    "SAVAGE": "SAVAGE", "MARLIN": "MARLIN", "WINCHESTER": "WINCHESTER", "HENRY": "HENRY",
    "DESERTEAGLE": "MAGNUMRESEARCH", "MAGNUMRESEARCH": "MAGNUMRESEARCH", "IWI": "IWI",
    "ISRAELWEAPONINDUSTRIES": "IWI", "CANIK": "CANIK", "TISAS": "TISAS",
    "AERO": "AEROPRECISION", "AEROPRECISION": "AEROPRECISION",
}  # fmt: skip

# Characters a serial is misread as, folded to one (docs/match-keys.md lists them).
CONFUSABLE = str.maketrans("OQDILSBZG", "000115826")


def maker(text: str) -> str:
    """The normalized maker (manufacturer or importer) of a firearm."""
    words = [w for w in fold(text.replace("&", " ")).split() if w not in COMPANY_WORDS]
    name = "".join(words)
    if name in MAKERS:
        return MAKERS[name]
    # "Romarm/Cugir", "Glock Ges.m.b.H.": the first word the table knows names the maker.
    known = next((MAKERS[w] for w in words if w in MAKERS), None)
    return known or name


def serial(text: str) -> str:
    return compact(text)


def fuzzy(serial_number: str) -> str:
    return serial_number.translate(CONFUSABLE)


def firearm_keys(
    manufacturer: str, serial_number: str, importer: str = "", *, version: int = 1
) -> Keys:
    keys = Keys(version=version)
    number = serial(serial_number)
    if not number:
        return keys  # never the maker alone
    for who in dict.fromkeys(m for m in (maker(manufacturer), maker(importer)) if m):
        keys.add("firearm.make-serial", who, number)
        keys.add("firearm.make-serial-fuzzy", who, fuzzy(number))
    return keys
