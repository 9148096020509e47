"""Mexican identity codes built from a person's name and birth data: CURP and RFC.

CURP (Clave Única de Registro de Población, RENAPO's instructivo normativo): 18 characters,
four letters from the names, birth date, sex, state of birth, the first inner consonants of
the names, a homonym digit and a check digit. RFC for individuals (SAT): the same four
letters and birth date, a two-character homonym key computed from the full name, and a check
digit. The demo's people are invented; their codes are well formed and consistent with them.
"""

from __future__ import annotations

import unicodedata

# RENAPO state codes; NE: born abroad.
CURP_STATES = frozenset(
    "AS BC BS CC CL CM CS CH DF DG GT GR HG JC MC MN MS NT NL OC PL QT QR SP SL SR TC TS TL "  # noqa: SIM905
    "VZ YN ZS NE".split()
)
PARTICLES = frozenset(
    {
        "DA",
        "DAS",
        "DE",
        "DEL",
        "DER",
        "DI",
        "DIE",
        "DD",
        "EL",
        "LA",
        "LOS",
        "LAS",
        "LE",
        "LES",
        "MAC",
        "MC",
        "VAN",
        "VON",
        "Y",
    }
)
COMMON_FIRST_NAMES = frozenset({"MARIA", "MA", "MA.", "JOSE", "J", "J."})
# Words the four letters must not spell (RENAPO's and SAT's lists overlap; this is the union
# the demo avoids altogether, so CURP and RFC always start alike).
INCONVENIENT = frozenset(
    "BACA BAKA BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE COGI COJA COJE COJI COJO COLA "  # noqa: SIM905 - the lists as published
    "CULO FALO FETO GETA GUEI GUEY JETA JOTO KACA KACO KAGA KAGO KAKA KAKO KOGE KOGI KOJA "
    "KOJE KOJI KOJO KOLA KULO LILO LOCA LOCO LOKA LOKO MAME MAMO MEAR MEAS MEON MIAR MION "
    "MOCO MOKO MULA MULO NACA NACO PEDA PEDO PENE PIPI PITO POPO PUTA PUTO QULO RATA ROBA "
    "ROBE ROBO RUIN SENO TETA VACA VAGA VAGO VAKA VUEI VUEY WUEI WUEY".split()
)
VOWELS = "AEIOU"
CURP_VALUES = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
RFC_VALUES = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
HOMONYM_CHARS = "123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"


def plain(text: str) -> str:
    """Uppercase without accents, keeping Ñ (it has its own rules)."""
    upper = text.upper().replace("Ñ", "\0")
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", upper) if not unicodedata.combining(c)
    )
    return stripped.replace("\0", "Ñ")


def _significant(name: str) -> str:
    """A name without its particles (``DE LA CRUZ`` → ``CRUZ``)."""
    words = [w for w in plain(name).split() if w not in PARTICLES]
    return " ".join(words) if words else plain(name)


def _given(given_names: str) -> str:
    words = plain(given_names).split()
    if len(words) > 1 and words[0] in COMMON_FIRST_NAMES:
        words = words[1:]
    return _significant(" ".join(words))


def _first_letter(name: str) -> str:
    return "X" if not name or name[0] == "Ñ" else name[0]


def _inner_vowel(name: str) -> str:
    return next((c for c in name[1:] if c in VOWELS), "X")


def _inner_consonant(name: str) -> str:
    letter = next((c for c in name[1:] if c.isalpha() and c not in VOWELS), "X")
    return "X" if letter == "Ñ" else letter


def name_letters(given_names: str, paternal: str, maternal: str = "") -> str:
    """The four letters both codes open with."""
    first, second, given = _significant(paternal), _significant(maternal), _given(given_names)
    return (
        _first_letter(first)
        + _inner_vowel(first)
        + (_first_letter(second) if second else "X")
        + _first_letter(given)
    )


def is_inconvenient(given_names: str, paternal: str, maternal: str = "") -> bool:
    return name_letters(given_names, paternal, maternal) in INCONVENIENT


def curp_check_digit(first17: str) -> str:
    total = sum(CURP_VALUES.index(c) * (18 - i) for i, c in enumerate(first17))
    return str((10 - total % 10) % 10)


def curp(
    given_names: str,
    paternal: str,
    maternal: str,
    birth: str,
    sex: str,
    state: str,
    homonym: str,
) -> str:
    """A CURP; ``birth`` is ISO (YYYY-MM-DD), ``sex`` H or M, ``homonym`` one character
    (a digit for people born before 2000, a letter after)."""
    letters = name_letters(given_names, paternal, maternal)
    if letters in INCONVENIENT:
        letters = letters[0] + "X" + letters[2:]
    first, second, given = _significant(paternal), _significant(maternal), _given(given_names)
    consonants = (
        _inner_consonant(first)
        + (_inner_consonant(second) if second else "X")
        + _inner_consonant(given)
    )
    body = f"{letters}{birth[2:4]}{birth[5:7]}{birth[8:10]}{sex}{state}{consonants}{homonym}"
    return body + curp_check_digit(body)


def _homonym_key(given_names: str, paternal: str, maternal: str) -> str:
    full = " ".join(p for p in (plain(paternal), plain(maternal), plain(given_names)) if p)
    codes = "0"
    for char in full:
        if char == " ":
            codes += "00"
        elif char.isdigit():
            codes += f"0{char}"
        elif char == "&":
            codes += "10"
        elif char == "Ñ":
            codes += "40"
        elif "A" <= char <= "I":
            codes += f"{ord(char) - ord('A') + 11}"
        elif "J" <= char <= "R":
            codes += f"{ord(char) - ord('J') + 21}"
        elif "S" <= char <= "Z":
            codes += f"{ord(char) - ord('S') + 32}"
    total = sum(int(codes[i : i + 2]) * int(codes[i + 1]) for i in range(len(codes) - 1))
    last3 = total % 1000
    return HOMONYM_CHARS[last3 // 34] + HOMONYM_CHARS[last3 % 34]


def rfc_check_digit(first12: str) -> str:
    total = sum(RFC_VALUES.index(c) * (13 - i) for i, c in enumerate(first12))
    remainder = total % 11
    if remainder == 0:
        return "0"
    digit = 11 - remainder
    return "A" if digit == 10 else str(digit)


def rfc(given_names: str, paternal: str, maternal: str, birth: str) -> str:
    """An individual's 13-character RFC with its homonym key and check digit."""
    letters = name_letters(given_names, paternal, maternal)
    if letters in INCONVENIENT:
        letters = letters[:3] + "X"
    body = f"{letters}{birth[2:4]}{birth[5:7]}{birth[8:10]}{_homonym_key(given_names, paternal, maternal)}"
    return body + rfc_check_digit(body)
