"""Person names as both countries write them, spec version 1 (docs/match-keys.md, "Names").

Given names go to a canonical form through a table of nicknames in both languages and of
English–Spanish equivalents (Pepe and Joseph are José); surnames are split at hyphens, kept
whole when fused, and stripped of particles (de, del, de la, y ...). The tables are part of
the spec: changing them changes the keys, and needs a new spec version.
"""

from __future__ import annotations

from dataclasses import dataclass

from puente.hits.text import name_tokens

PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "Y", "E", "DA", "DI", "DOS", "VAN", "VON"})
# A fused particle ("Delacruz") is also tried without it, if what remains is a surname.
FUSED_PARTICLES = ("DELOS", "DELAS", "DELA", "DEL", "DE")

# Nicknames and short forms → canonical given names (ambiguous ones list every reading).
NICKNAMES: dict[str, tuple[str, ...]] = {
    # Spanish
    "PEPE": ("JOSE",), "CHEPE": ("JOSE",), "JOSELITO": ("JOSE",), "CHEMA": ("JOSE",),
    "PACO": ("FRANCISCO",), "PANCHO": ("FRANCISCO",), "FRANK": ("FRANCISCO",),
    "KIKO": ("FRANCISCO", "ENRIQUE"), "CHUY": ("JESUS",), "CHUCHO": ("JESUS",),
    "LUPE": ("GUADALUPE",), "LUPITA": ("GUADALUPE",), "MEMO": ("GUILLERMO",),
    "BETO": ("ALBERTO", "ROBERTO", "HUMBERTO", "GILBERTO"), "NACHO": ("IGNACIO",),
    "LALO": ("EDUARDO",), "TONO": ("ANTONIO",), "TONY": ("ANTONIO", "ANTHONY"),
    "QUIQUE": ("ENRIQUE",), "RAFA": ("RAFAEL",), "CHECO": ("SERGIO",), "GOYO": ("GREGORIO",),
    "CHAVA": ("SALVADOR",), "CHALO": ("GONZALO",), "POLO": ("LEOPOLDO", "APOLONIO"),
    "CHENCHO": ("CRESCENCIO", "INOCENCIO"), "NANDO": ("FERNANDO",), "FER": ("FERNANDO",),
    "ALEX": ("ALEJANDRO", "ALEXANDER"), "ALE": ("ALEJANDRO", "ALEJANDRA"),
    "RICO": ("RICARDO",), "RICHI": ("RICARDO",), "CHUCK": ("CHARLES",),
    "LOLA": ("DOLORES",), "LOLITA": ("DOLORES",), "CONCHA": ("CONCEPCION",),
    "CONCHITA": ("CONCEPCION",), "CHELO": ("CONSUELO", "MARCELO"), "PATY": ("PATRICIA",),
    "PATI": ("PATRICIA",), "LETY": ("LETICIA",), "LUCHA": ("LUZ",), "MAYRA": ("MAYRA",),
    "CHAYO": ("ROSARIO",), "CHARO": ("ROSARIO",), "NENA": ("MAGDALENA", "ELENA"),
    "MAGO": ("MARGARITA",), "PILI": ("PILAR",), "MARU": ("MARIA EUGENIA",),
    "TERE": ("TERESA",), "JUANITO": ("JUAN",), "JUANCHO": ("JUAN",), "GUILLE": ("GUILLERMO",),
    "JAVI": ("JAVIER",), "MANOLO": ("MANUEL",), "MEMA": ("GUILLERMINA",),
    # English
    "BILL": ("WILLIAM",), "BILLY": ("WILLIAM",), "WILL": ("WILLIAM",), "LIAM": ("WILLIAM",),
    "BOB": ("ROBERT",), "BOBBY": ("ROBERT",), "ROB": ("ROBERT",), "ROBBIE": ("ROBERT",),
    "BERT": ("ALBERT", "ROBERT", "HERBERT"), "PEGGY": ("MARGARET",), "MAGGIE": ("MARGARET",),
    "MEG": ("MARGARET",), "DICK": ("RICHARD",), "RICK": ("RICHARD",), "RICKY": ("RICHARD",),
    "JIM": ("JAMES",), "JIMMY": ("JAMES",), "MIKE": ("MICHAEL",), "MICKEY": ("MICHAEL",),
    "TOM": ("THOMAS",), "TOMMY": ("THOMAS",), "JOE": ("JOSEPH",), "JOEY": ("JOSEPH",),
    "KATE": ("KATHERINE",), "KATIE": ("KATHERINE",), "KATHY": ("KATHERINE",),
    "LIZ": ("ELIZABETH",), "BETH": ("ELIZABETH",), "BETTY": ("ELIZABETH",),
    "TED": ("EDWARD", "THEODORE"), "ED": ("EDWARD",), "EDDIE": ("EDWARD",),
    "CHARLIE": ("CHARLES",), "DAVE": ("DAVID",), "STEVE": ("STEVEN",), "DAN": ("DANIEL",),
    "DANNY": ("DANIEL",), "SAM": ("SAMUEL",), "BEN": ("BENJAMIN",), "JACK": ("JOHN",),
    "JOHNNY": ("JOHN",), "NICK": ("NICHOLAS",), "PETE": ("PETER",), "JERRY": ("GERALD",),
    "LARRY": ("LAWRENCE",), "HANK": ("HENRY",), "HARRY": ("HENRY",), "SUE": ("SUSAN",),
    "JENNY": ("JENNIFER",), "JEN": ("JENNIFER",), "CHRIS": ("CHRISTOPHER", "CHRISTINA"),
    "MATT": ("MATTHEW",), "ANDY": ("ANDREW",), "GREG": ("GREGORY",), "TONI": ("ANTONIA",),
}  # fmt: skip

# English given names → the Spanish form they stand for in the other country's records.
EQUIVALENTS: dict[str, str] = {
    "JOSEPH": "JOSE", "JOHN": "JUAN", "WILLIAM": "GUILLERMO", "ROBERT": "ROBERTO",
    "RICHARD": "RICARDO", "JAMES": "JAIME", "MICHAEL": "MIGUEL", "THOMAS": "TOMAS",
    "PETER": "PEDRO", "PAUL": "PABLO", "ANTHONY": "ANTONIO", "EDWARD": "EDUARDO",
    "CHARLES": "CARLOS", "DAVID": "DAVID", "STEVEN": "ESTEBAN", "STEPHEN": "ESTEBAN",
    "DANIEL": "DANIEL", "SAMUEL": "SAMUEL", "HENRY": "ENRIQUE", "GEORGE": "JORGE",
    "FRANCIS": "FRANCISCO", "LAWRENCE": "LORENZO", "ANDREW": "ANDRES", "MATTHEW": "MATEO",
    "NICHOLAS": "NICOLAS", "ALEXANDER": "ALEJANDRO", "ALBERT": "ALBERTO",
    "GREGORY": "GREGORIO", "RAYMOND": "RAMON", "MARTIN": "MARTIN", "ARTHUR": "ARTURO",
    "MARY": "MARIA", "MARGARET": "MARGARITA", "ELIZABETH": "ISABEL", "SUSAN": "SUSANA",
    "KATHERINE": "CATALINA", "HELEN": "ELENA", "JOAN": "JUANA", "ANNE": "ANA", "ANN": "ANA",
    "PATRICIA": "PATRICIA", "TERESA": "TERESA", "THERESA": "TERESA", "ROSE": "ROSA",
    "CHRISTOPHER": "CRISTOBAL", "GERALD": "GERARDO", "EUGENE": "EUGENIO", "JULIE": "JULIA",
    "LOUIS": "LUIS", "LEWIS": "LUIS", "MARK": "MARCOS", "MARCUS": "MARCOS", "ADAM": "ADAN",
}  # fmt: skip


def given_forms(word: str) -> tuple[str, ...]:
    """The canonical forms of one folded given name (most have one)."""
    forms = NICKNAMES.get(word, (word,))
    return tuple(dict.fromkeys(EQUIVALENTS.get(form, form) for form in forms))


@dataclass(frozen=True)
class PersonName:
    """A name parsed the way its record gave it."""

    given: tuple[tuple[str, ...], ...]  # each given name, as its canonical forms
    surnames: tuple[str, ...]  # every surname word, particles gone, hyphenated parts split
    paternal: str  # the surname as one fused word ("GARCIALOPEZ" for "García-López")
    maternal: str
    fused: tuple[str, ...] = ()  # both surnames as one word, with and without particles

    @property
    def has_names(self) -> bool:
        return bool(self.given) and bool(self.surnames)


def _words(text: str) -> list[str]:
    return [p for parts in name_tokens(text) for p in parts if p not in PARTICLES]


def _fused(text: str) -> str:
    return "".join(_words(text))


def surname_words(text: str) -> list[str]:
    """Every surname word; a fused particle also gives the word without it."""
    words = _words(text)
    found = list(words)
    for word in words:
        for particle in FUSED_PARTICLES:
            if word.startswith(particle) and len(word) - len(particle) >= 4:
                found.append(word[len(particle) :])
                break
    return list(dict.fromkeys(found))


def parse(given_names: str, paternal: str, maternal: str = "") -> PersonName:
    given = tuple(
        given_forms(word) for parts in name_tokens(given_names) for word in parts
        if word not in PARTICLES
    )  # fmt: skip
    surnames = surname_words(f"{paternal} {maternal}")
    fused: tuple[str, ...] = ()
    if _fused(paternal) and _fused(maternal):
        whole = "".join(p for parts in name_tokens(f"{paternal} {maternal}") for p in parts)
        fused = tuple(dict.fromkeys((_fused(paternal) + _fused(maternal), whole)))
    return PersonName(given, tuple(surnames), _fused(paternal), _fused(maternal), fused)


def parse_full(text: str) -> PersonName:
    """A name written in one line (an alias, a name from the other side): given first.

    With three words or more, the last two are taken as the surnames (the Mexican order);
    with two, the last one.
    """
    words = [w for parts in name_tokens(text) for w in parts]
    if len(words) < 2:
        return PersonName((), (), "", "")
    surname_count = 2 if len(words) >= 3 else 1
    given = " ".join(words[:-surname_count])
    surnames = words[-surname_count:]
    return parse(given, surnames[0], " ".join(surnames[1:]))
