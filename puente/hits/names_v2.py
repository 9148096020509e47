"""Person names as both countries write them, spec version 2 (docs/match-keys.md, "Names,
version 2").

Version 2 keeps version 1's reading of surnames (particles, hyphens, fused words: the
functions of :mod:`puente.hits.names`, frozen with it) and changes the given names: articles
go (``EL SAPO`` is the moniker ``SAPO``), a one-letter word is an initial (it gives initial
keys only), and the tables grow. Like version 1's, the tables are part of the spec.

Sources of the additions. The entries were compiled by hand for this spec from documented
usage, not extracted from one list; where each kind of entry is documented:

- Mexican hypocoristics (Kike, Moncho, Chente, Lencho ...): the Academia Mexicana de la
  Lengua's *Diccionario de mexicanismos* and the RAE's *Diccionario panhispánico de dudas*,
  "hipocorístico", on the Spanish patterns (Kike, Quique; Pancho, Paco);
- English nicknames, kept to the names with a Spanish equivalent below: the open nickname
  list of the ``carltonnorthern/nicknames`` project (Apache 2.0);
- English–Spanish equivalents: the Spanish form of the same saint's name (RAE, *Ortografía*,
  2010, on the adaptation of proper names);
- the commonest names (COMMON_SURNAMES, COMMON_GIVEN): the rankings published from Mexico's
  CURP registry (RENAPO) and the 2020 census, the US Census Bureau's 2010 surnames file and the
  Social Security Administration's given-name rankings; the first fifty Mexican and thirty US
  surnames, the commonest given names of both registries.
"""

from __future__ import annotations

from dataclasses import dataclass

from puente.hits import names
from puente.hits.text import name_tokens

ARTICLES = frozenset({"EL", "LA", "LOS", "LAS", "THE"})

# Added to version 1's NICKNAMES (an entry of both lists every reading).
_MORE_NICKNAMES: dict[str, tuple[str, ...]] = {
    # Mexican usage
    "BETO": ("ALBERTO", "ROBERTO", "HUMBERTO", "GILBERTO", "HERIBERTO", "NORBERTO",
             "RIGOBERTO", "ADALBERTO"),
    "KIKE": ("ENRIQUE",), "QUICO": ("FRANCISCO", "ENRIQUE"), "PANCHITO": ("FRANCISCO",),
    "PAQUITO": ("FRANCISCO",), "CISCO": ("FRANCISCO",), "CURRO": ("FRANCISCO",),
    "FREDY": ("ALFREDO", "FEDERICO"), "FREDDY": ("ALFREDO", "FEDERICO"),
    "FREDDIE": ("ALFREDO", "FEDERICO"), "FREDO": ("ALFREDO",), "FRED": ("ALFREDO", "FEDERICO"),
    "MONCHO": ("RAMON",), "MONCHI": ("RAMON",), "PEPITO": ("JOSE",), "CHEPO": ("JOSE",),
    "CHUYITO": ("JESUS",), "CHUCHIN": ("JESUS",), "LUPILLO": ("GUADALUPE",),
    "PITA": ("GUADALUPE",), "MEMIN": ("GUILLERMO",), "BETILLO": ("ALBERTO", "ROBERTO"),
    "HERI": ("HERIBERTO",), "RIGO": ("RIGOBERTO",), "NORBE": ("NORBERTO",),
    "TONITO": ("ANTONIO",), "RAFITA": ("RAFAEL",), "CHAVO": ("SALVADOR",),
    "CHAVITA": ("SALVADOR",), "JANDRO": ("ALEJANDRO",), "RICHIE": ("RICARDO",),
    "FITO": ("RODOLFO", "ADOLFO"), "RUDY": ("RODOLFO",), "RODO": ("RODOLFO", "RODRIGO"),
    "RODRI": ("RODRIGO",), "MANE": ("MANUEL",), "MANOLITO": ("MANUEL",),
    "WICHO": ("LUIS",), "LUICHO": ("LUIS",), "COQUE": ("JORGE",), "GEORGE": ("JORGE",),
    "NETO": ("ERNESTO",), "MANDO": ("ARMANDO",), "PONCHO": ("ALFONSO",),
    "ROGER": ("ROGELIO",), "TAVO": ("GUSTAVO", "OCTAVIO"), "CHAGO": ("SANTIAGO",),
    "SANTI": ("SANTIAGO",), "CUCO": ("REFUGIO",), "CUCA": ("REFUGIO",), "DANI": ("DANIEL",),
    "MARGO": ("MARGARITA",), "MECHE": ("MERCEDES",), "CHELA": ("GRACIELA",),
    "COCO": ("SOCORRO",), "MAYO": ("ISMAEL",), "CHENTE": ("VICENTE",),
    "LENCHO": ("LORENZO",), "TACHO": ("ANASTASIO", "ATANASIO"), "CHON": ("ASCENCION",
    "ENCARNACION", "CONCEPCION"), "CHEBO": ("EUSEBIO",), "CHILO": ("ISIDRO",),
    "LACHO": ("HORACIO",), "YEYO": ("AURELIO",), "TEMO": ("CUAUHTEMOC",),
    "TINO": ("FAUSTINO", "CELESTINO", "JUVENTINO", "AGUSTIN", "MARTIN"),
    "NICO": ("NICOLAS",), "MAU": ("MAURICIO",), "EFRA": ("EFRAIN",), "FEDE": ("FEDERICO",),
    "FICO": ("FEDERICO",), "BENJA": ("BENJAMIN",), "CHARLY": ("CARLOS",),
    "CARLITOS": ("CARLOS",), "PERICO": ("PEDRO",), "PEDRITO": ("PEDRO",),
    "NALDO": ("REYNALDO", "ARNALDO"), "KENO": ("EUGENIO",), "NULFO": ("ARNULFO",),
    "MAX": ("MAXIMILIANO", "MAXIMINO", "MAXIMO"), "CHINDO": ("GUMERSINDO",),
    "CHABELA": ("ISABEL",), "CHAVELA": ("ISABEL",), "GABY": ("GABRIELA",),
    "GABI": ("GABRIELA",), "BETY": ("BEATRIZ",), "YOLA": ("YOLANDA",), "VERO": ("VERONICA",),
    "ADRI": ("ADRIANA", "ADRIAN"), "MONI": ("MONICA",), "QUETA": ("ENRIQUETA",),
    "ANITA": ("ANA",), "JUANITA": ("JUANA",), "CARMELITA": ("CARMEN",), "ROSITA": ("ROSA",),
    "ESPE": ("ESPERANZA",), "BECKY": ("REBECA",), "TOMY": ("TOMAS",),
    "GERA": ("GERARDO",), "LALITO": ("EDUARDO",), "NACHITO": ("IGNACIO",),
    "GOYITO": ("GREGORIO",), "CHALIO": ("ROSALIO", "ROSARIO"), "LIBO": ("LIBORIO",),
    "CHUMA": ("JESUS",), "BENNY": ("BENJAMIN", "BENITO"), "BENY": ("BENJAMIN", "BENITO"),
    # English usage, for the names with a Spanish equivalent
    "ALFIE": ("ALFRED",), "VINNY": ("VINCENT",), "VINCE": ("VINCENT",),
    "PHIL": ("PHILIP",), "RUDI": ("RUDOLPH",), "GIL": ("GILBERT",),
    "GENE": ("EUGENE",), "JERRY": ("GERALD", "JEROME"), "GERRY": ("GERALD",),
    "LEN": ("LEONARD",), "LENNY": ("LEONARD",), "BERNIE": ("BERNARD",),
    "RAY": ("RAYMOND",), "ARTIE": ("ARTHUR",), "ART": ("ARTHUR",),
    "MANNY": ("MANUEL",), "ROD": ("RODERICK", "RODNEY"), "TIM": ("TIMOTHY",),
    "JOSH": ("JOSHUA",), "DOM": ("DOMINIC",), "AUGIE": ("AUGUSTINE", "AUGUST"),
}  # fmt: skip

_MORE_EQUIVALENTS: dict[str, str] = {
    "ALFRED": "ALFREDO", "FREDERICK": "FEDERICO", "VINCENT": "VICENTE", "PHILIP": "FELIPE",
    "PHILLIP": "FELIPE", "RUDOLPH": "RODOLFO", "GILBERT": "GILBERTO", "LEONARD": "LEONARDO",
    "BERNARD": "BERNARDO", "EDMUND": "EDMUNDO", "RODERICK": "RODRIGO", "TIMOTHY": "TIMOTEO",
    "JOSHUA": "JOSUE", "MOSES": "MOISES", "ELIJAH": "ELIAS", "JEROME": "JERONIMO",
    "RAPHAEL": "RAFAEL", "BENEDICT": "BENITO", "AUGUSTINE": "AGUSTIN", "AUGUST": "AGUSTIN",
    "DOMINIC": "DOMINGO", "REGINALD": "REYNALDO", "JULIUS": "JULIO", "IGNATIUS": "IGNACIO",
    "JOSEPHINE": "JOSEFINA", "LOUISE": "LUISA", "JANE": "JUANA", "CATHERINE": "CATALINA",
    "CHRISTIAN": "CRISTIAN", "EMIL": "EMILIO", "HUBERT": "HUMBERTO", "ALPHONSE": "ALFONSO",
    "SIMON": "SIMON", "ISAAC": "ISAAC", "ABRAHAM": "ABRAHAM", "OSCAR": "OSCAR",
}  # fmt: skip


def _table(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The commonest names of both countries, folded (given names in their canonical form): a loose
# key of one surname and one given name is made only for names rarer than these, as the
# commonest names alone would fill a national index's answers (docs/match-keys.md; sources in
# the module's text).
COMMON_SURNAMES = _table("""
HERNANDEZ GARCIA MARTINEZ LOPEZ GONZALEZ PEREZ RODRIGUEZ SANCHEZ RAMIREZ CRUZ FLORES GOMEZ
MORALES VAZQUEZ REYES JIMENEZ TORRES DIAZ GUTIERREZ RUIZ MENDOZA AGUILAR ORTIZ MORENO CASTILLO
ROMERO ALVAREZ MENDEZ CHAVEZ RIVERA JUAREZ RAMOS DOMINGUEZ HERRERA MEDINA CASTRO VARGAS GUZMAN
VELAZQUEZ MUNOZ ROJAS CONTRERAS SALAZAR LUNA ORTEGA SANTIAGO GUERRERO ESTRADA BAUTISTA CORTES
SMITH JOHNSON WILLIAMS BROWN JONES MILLER DAVIS WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON
MARTIN LEE THOMPSON WHITE HARRIS CLARK LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT
""")
COMMON_GIVEN = _table("""
JOSE JUAN MARIA GUADALUPE FRANCISCO JESUS ANTONIO ALEJANDRO MIGUEL PEDRO MANUEL LUIS CARLOS
JORGE RICARDO EDUARDO FERNANDO ROBERTO JAVIER RAFAEL DANIEL ARTURO SERGIO MARTIN RAUL ROSA ANA
MARTHA JUANA VERONICA LETICIA PATRICIA ELIZABETH GABRIELA ALEJANDRA MARGARITA TERESA SILVIA
JAIME GUILLERMO TOMAS DAVID RICARDO CATALINA ISABEL SUSANA PABLO
""")

NICKNAMES: dict[str, tuple[str, ...]] = {**names.NICKNAMES, **_MORE_NICKNAMES}
EQUIVALENTS: dict[str, str] = {**names.EQUIVALENTS, **_MORE_EQUIVALENTS}


def given_forms(word: str) -> tuple[str, ...]:
    """The canonical forms of one folded given name (most have one)."""
    forms = NICKNAMES.get(word, (word,))
    return tuple(dict.fromkeys(EQUIVALENTS.get(form, form) for form in forms))


@dataclass(frozen=True)
class PersonName:
    """A name as version 2 reads it."""

    given: tuple[tuple[str, ...], ...]  # each given name of two letters or more, its forms
    initials: tuple[str, ...]  # the first given name's first letter (of each of its forms)
    initial_only: bool = False  # the first given name is written as its initial
    surnames: tuple[str, ...] = ()  # every surname word (version 1's reading)
    paternal: str = ""  # each surname as one word, particles gone
    maternal: str = ""
    # Both surnames as one word, as a record of either country may write them: the surname
    # fields fused (with and without particles) or one fused or hyphenated field.
    fused: tuple[str, ...] = ()

    @property
    def has_names(self) -> bool:
        return bool(self.given or self.initials) and bool(self.surnames)


def _given_words(text: str) -> list[str]:
    return [
        word
        for parts in name_tokens(text)
        for word in parts
        if word not in names.PARTICLES and word not in ARTICLES
    ]


def parse(given_names: str, paternal: str, maternal: str = "") -> PersonName:
    words = _given_words(given_names)
    given = tuple(given_forms(w) for w in words if len(w) > 1)
    first = words[0] if words else ""
    initials = tuple(dict.fromkeys(f[0] for f in given_forms(first))) if first else ()
    v1 = names.parse("", paternal, maternal)
    fused = v1.fused
    if not fused and not v1.maternal and len(_surname_field_words(paternal)) >= 2:
        # One field holding both ("GARCIA-LOPEZ", "GARCIA LOPEZ"): fused as the fields are.
        whole = "".join(p for parts in name_tokens(paternal) for p in parts)
        fused = tuple(dict.fromkeys((v1.paternal, whole)))
    return PersonName(given, initials, len(first) == 1, v1.surnames, v1.paternal, v1.maternal,
                      fused)  # fmt: skip


def _surname_field_words(text: str) -> list[str]:
    return [p for parts in name_tokens(text) for p in parts if p not in names.PARTICLES]


def parse_full(text: str) -> PersonName:
    """A name written in one line (an alias): given names first, articles gone; with three
    words or more the last two are the surnames (the Mexican order), with two the last."""
    words = [w for parts in name_tokens(text) for w in parts if w not in ARTICLES]
    if len(words) < 2:
        return PersonName((), ())
    if len(words) == 2:
        return parse(words[0], words[1])
    return parse(" ".join(words[:-2]), words[-2], words[-1])
