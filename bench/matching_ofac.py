"""Match-key quality on real names (issue 16): the OFAC SDN individuals with Mexican links.

bench/matching.py measures the keys on generated persons, the data they were designed on.
This benchmark measures them on real names, spellings, aliases and dates of birth: the U.S.
Treasury's SDN list of July 2021 (``../shared/data/sanctions/ofac_sdn_2021-07``: sdn.csv,
alt.csv, add.csv; no header, cp1252, ``-0-`` for empty).

**Who is in the set.** An SDN entry of type ``individual`` whose remarks name Mexico (place
of birth, nationality, citizenship, a CURP/RFC "(Mexico)", ...) or that has an address in
Mexico (add.csv). Program SDNTK (Kingpin Act) alone is not enough: it also holds Colombian,
Thai, Burmese and Afghan traffickers whom neither agency would record the Mexican way. On the
July 2021 list this selects 459 persons (436 SDNTK, 15 SDNT, 4 GLOMAG, 3 VENEZUELA-EO13850,
1 SDGT) out of 4,620 individuals (955 of them SDNTK); ``--limit`` takes the first N by entity
number. Per person:

- name ``PATERNAL MATERNAL, Given Names``: the surname part is cut into words, a particle
  (de, del, de la ...) joining the word after it; the first word is the paternal surname and
  the rest the maternal (``DIAZ DE LEON SAUCEDA`` → ``DIAZ`` / ``DE LEON SAUCEDA``); a
  trailing ``JR.`` is dropped;
- dates of birth: every ``DOB ...`` and ``alt. DOB ...`` of the remarks, in order (``DD Mon
  YYYY``, ``Mon YYYY``, ``YYYY``, ``circa YYYY``, ``YYYY to YYYY``: anything but a full day is
  kept as the year alone);
- aliases: alt.csv's ``aka``/``fka``/``nka`` entries (``SURNAMES, Given`` is a name; without a
  comma it is a moniker), and the quoted ``a.k.a. 'EL PIOLO'`` / ``n.k.a.`` monikers of the
  remarks (a quoted name of two words or more, such as ``'CHUY LABRA'``, is a name alias);
- place of birth (``POB``), and the ``Linked To:`` names that are other selected individuals.

Of the 459: 458 have a maternal surname, 67 several dates of birth, 3 only a year, 178 name
aliases, 54 monikers, and 307 share a surname or a ``Linked To:`` relation with another of
them (the report's ``persons_with``).

**Two renderings per person**, drawn afresh in each of ``--rounds`` rounds (seeded):

- *Mexican agency*: title case with the accents Mexican records carry (a table of common
  names and surnames: ``Hernández``, ``José``, ``Peña`` ...), paternal and maternal surname in
  their fields, particles in lower case, date written DD/MM/YYYY, every date of birth the
  list gives (the first is the one a v1 record holds), every alias and moniker.
- *US agency*: upper case, no accents, date written MM/DD/YYYY, one date of birth, no aliases,
  and a random combination of these perturbations (each query is tagged with the ones applied;
  a query with none is tagged ``plain``):

  | tag | what | drawn |
  |---|---|---|
  | ``maternal_dropped`` | the maternal surname left out | 25 % |
  | ``surnames_fused`` | both surnames written as one word (``DIAZDELEONSAUCEDA``) | 8 % |
  | ``surnames_hyphenated`` | ``GARCIA-LOPEZ`` in the paternal field | 7 % |
  | ``nickname`` | first given name → a nickname Mexicans use (Kike, Fredy, Moncho ...) | 8 % |
  | ``moniker`` | the given names replaced by a moniker the list gives (``EL SAPO MENDOZA``) | 8 % |
  | ``alias`` | the name replaced by a name alias the list gives | 6 % |
  | ``given_initial`` | first given name cut to its initial | 4 % |
  | ``surname_transposed`` | two neighbouring letters of a surname swapped, anywhere | 3 % |
  | ``surname_letter_dropped`` | one letter of a surname left out, anywhere | 3 % |
  | ``dob_typo`` | one digit of the date changed (still a valid date, none of the person's) | 8 % |
  | ``alt_dob`` | another full date of birth the list gives | 10 % |
  | ``year_only`` | only the year of birth | 6 % |

  The maternal-surname treatments exclude each other, as do the given-name ones, the surname
  typos and the date ones (each group is one roll cut into the slices above); a perturbation
  that does not apply to the person (a nickname needs a name that has one, a moniker or alias
  one the list gives, an alt DOB a second full date, a maternal treatment a maternal surname)
  leaves the record as it is and is not tagged. The nickname table is the benchmark's own
  (Mexican usage), not the keys' table: whether the keys know a nickname is what is measured.

**Hard negatives** (the index holds every selected person, so each is a negative for all the
others): real people sharing both surnames or the paternal surname, and ``Linked To:``
relations between selected individuals; plus one synthetic sibling per person with two
surnames (same surnames, another given name from the set, a birth year 1 to 12 years off),
rendered on the indexed side. A *false candidate hit* is any index record a query reaches that
is not its true person; the report splits them by kind (synthetic_sibling: any person's
sibling; same_surnames, same_paternal, linked: a real relation of the query's person; other).
With the default 20 rounds each direction asks 9,180 queries.

**Both directions**: Mexican renderings indexed and US renderings asked, and the reverse
(US records indexed, the Mexican agency asking). Per direction: recall (queries whose true
person one key reaches / queries), recall per perturbation (any query carrying the tag, and
queries carrying it alone), false candidate hits per query, queries refused (no key at all),
keys per index record and per query.

**Specs**: ``--spec v2`` (the default) and ``v1`` make keys as the product does
(``puente.hits.specs.person_keys``: a record's and a query's aliases and every date of birth;
version 1 reads the first date); ``v1-bench`` as bench/matching.py made version 1's before
version 2 (``_record_keys``/``_query_keys`` then: a query without its aliases). Another spec
adds an entry to ``SPECS``: two functions from a ``Rendering`` to ``puente.hits.keys.Keys``.

Usage::

    python bench/matching_ofac.py [--spec v2] [--rounds 20] [--limit N]
                                  [--out bench/results/matching-ofac-v2.json]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, RESULTS_DIR, SEED, log, machine, write_json
from matching import COMMON_GIVEN, COMMON_SURNAMES, Person, _index, _query_keys, _record_keys
from matching import _strip_accents as strip_accents

from puente.hits.keys import Keys
from puente.hits.names import PARTICLES
from puente.hits.specs import person_keys
from puente.hits.text import fold

DATA_DIR = REPO.parent / "shared" / "data" / "sanctions" / "ofac_sdn_2021-07"
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}  # fmt: skip
ARTICLES = ("EL", "LA", "LOS", "LAS")
MAX_EXAMPLES = 40  # missed queries kept in the report

# Accented forms a Mexican record writes (the SDN list writes none).
ACCENTED = {strip_accents(w).upper(): w for w in (*COMMON_SURNAMES, *COMMON_GIVEN) if " " not in w}
ACCENTED.update({strip_accents(w).upper(): w for w in (
    "Ramón", "Joaquín", "Rubén", "Martín", "Héctor", "Óscar", "Andrés", "Víctor", "Efraín",
    "Germán", "Ángel", "Iván", "Julián", "Adán", "Sebastián", "Nicolás", "Tomás", "Núñez",
    "Muñoz", "Peña", "Ibáñez", "Yáñez", "Beltrán", "Guzmán", "Durán", "Márquez", "Domínguez",
    "Fernández", "Gutiérrez", "Rodríguez", "Sánchez", "Ramírez", "Gómez", "Vázquez",
    "Velázquez", "Jiménez", "Álvarez", "Díaz", "Chávez", "Ávila", "Báez", "Benítez", "Cortés",
    "Dávila", "Espinoza", "Félix", "Galván", "Hernández", "Ibarra", "León", "López", "Martínez",
    "Méndez", "Meléndez", "Ochoa", "Ortíz", "Pérez", "Quiñónez", "Ríos", "Rosalío", "Sáenz",
    "Suárez", "Valdés", "Zúñiga", "Belén", "Inés", "Raúl", "Saúl", "Jesús", "María", "José",
    "Simón", "Máximo", "Fabián", "Damián", "Agustín", "Cristóbal", "Érika", "Mónica",
    "Verónica", "Cecilia", "Nazario", "Dámaso", "Teódulo", "Eleazar", "Gonzalo", "Moisés",
)})  # fmt: skip

# Nicknames Mexicans use for given names (hipocorísticos), written as US records carry them.
# Independent of puente.hits.names.NICKNAMES on purpose: the keys' table is what is measured.
NICKNAMES = {
    "ENRIQUE": ("KIKE", "QUIQUE"), "ALFREDO": ("FREDY", "FREDDY", "FREDO"),
    "RAMON": ("MONCHO",), "FRANCISCO": ("PANCHO", "PACO", "PANCHITO", "KIKO"),
    "JOSE": ("PEPE", "CHEPE"), "JESUS": ("CHUY", "CHUCHO"), "GUADALUPE": ("LUPE", "LUPITA"),
    "GUILLERMO": ("MEMO",), "ALBERTO": ("BETO",), "ROBERTO": ("BETO",), "HUMBERTO": ("BETO",),
    "GILBERTO": ("BETO",), "HERIBERTO": ("BETO",), "IGNACIO": ("NACHO",),
    "EDUARDO": ("LALO",), "ANTONIO": ("TONO", "TONY"), "RAFAEL": ("RAFA",),
    "SERGIO": ("CHECO",), "GREGORIO": ("GOYO",), "SALVADOR": ("CHAVA",),
    "GONZALO": ("CHALO",), "FERNANDO": ("NANDO",), "ALEJANDRO": ("ALEX",),
    "RICARDO": ("RICHI",), "RODOLFO": ("FITO", "RUDY"), "ADOLFO": ("FITO",),
    "MANUEL": ("MANOLO",), "JAVIER": ("JAVI",), "LUIS": ("WICHO",), "JORGE": ("COQUE",),
    "ERNESTO": ("NETO",), "ARMANDO": ("MANDO",), "ALFONSO": ("PONCHO",),
    "ROGELIO": ("ROGER",), "MIGUEL": ("MIKE",), "OCTAVIO": ("TAVO",), "GUSTAVO": ("TAVO",),
    "SANTIAGO": ("CHAGO",), "REFUGIO": ("CUCO",), "DANIEL": ("DANI",), "ROSARIO": ("CHAYO",),
    "MARGARITA": ("MAGO",), "DOLORES": ("LOLA",), "CONCEPCION": ("CONCHA",),
    "MERCEDES": ("MECHE",), "LETICIA": ("LETY",), "PATRICIA": ("PATY",),
    "GRACIELA": ("CHELA",), "CONSUELO": ("CHELO",), "SOCORRO": ("COCO",),
    "ISMAEL": ("MAYO",), "VICTOR": ("VICO",), "ARTURO": ("TURI",),
}  # fmt: skip


@dataclass(frozen=True)
class SdnPerson:
    uid: int
    given: str  # "Jesus Abraham", as the list writes it
    paternal: str  # "LABRA"
    maternal: str  # "AVILES", "" when the list gives one surname
    dobs: tuple[str, ...]  # "1945-03-02" or "1945", the list's order
    aliases: tuple[str, ...]  # "Chuy AMEZCUA": given names first, as person_keys reads them
    alias_names: tuple[tuple[str, str, str], ...]  # the same as (given, paternal, maternal)
    monikers: tuple[str, ...]  # "EL PIOLO"
    pob: str
    linked: tuple[int, ...]  # selected individuals this one is "Linked To:"
    program: str


@dataclass(frozen=True)
class Rendering:
    """One agency's record of a person (or a synthetic sibling), as its keys see it."""

    given: str
    paternal: str
    maternal: str
    dobs: tuple[str, ...]  # ISO dates or years, the agency's first one first
    written_dob: str  # as the agency writes it: DD/MM/YYYY, MM/DD/YYYY or YYYY
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


KeyFunction = Callable[[Rendering], Keys]


def _v1_person(r: Rendering) -> Person:
    return Person(r.given, r.paternal, r.maternal, r.dobs[0] if r.dobs else "", r.aliases)


def _product(version: int, query: bool) -> KeyFunction:
    """The keys the product makes in ``version``: a record's or a query's names, aliases and
    every date of birth (version 1 keeps the first)."""

    def keys(r: Rendering) -> Keys:
        return person_keys(version, r.given, r.paternal, r.maternal, aliases=r.aliases,
                           dates_of_birth=r.dobs, query=query)  # fmt: skip

    return keys


SPECS: dict[str, tuple[KeyFunction, KeyFunction]] = {
    # (index side, query side)
    "v1-bench": (lambda r: _record_keys(_v1_person(r)), lambda r: _query_keys(_v1_person(r))),
    "v1": (_product(1, False), _product(1, True)),
    "v2": (_product(2, False), _product(2, True)),
}


# --- reading the list -----------------------------------------------------------------------


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="cp1252", newline="") as handle:
        rows = [[c.strip() for c in row] for row in csv.reader(handle) if len(row) > 1]
    return [[("" if c == "-0-" else c) for c in row] for row in rows]


def parse_dob(text: str) -> str:
    """ISO date, or the year alone for anything less than a full day; "" if none."""
    text = text.strip().rstrip(".")
    m = re.fullmatch(r"(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})", text)
    if m and m.group(2) in MONTHS:
        try:
            return date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1))).isoformat()
        except ValueError:
            return m.group(3)
    years = re.findall(r"\b(1[89]\d\d|20\d\d)\b", text)
    return years[0] if years else ""


def _split_surnames(text: str) -> tuple[str, str]:
    words = [w for w in text.split() if w.upper().rstrip(".") not in ("JR", "SR")]
    chunks: list[list[str]] = []
    pending: list[str] = []
    for word in words:
        pending.append(word)
        if word.upper() not in PARTICLES:
            chunks.append(pending)
            pending = []
    if pending:  # a particle last ("LUCERO DE"): it stays with the word before it
        if chunks:
            chunks[-1].extend(pending)
        else:
            chunks.append(pending)
    if not chunks:
        return "", ""
    return " ".join(chunks[0]), " ".join(w for c in chunks[1:] for w in c)


def _alias_name(text: str) -> tuple[str, str, str]:
    if "," not in text:  # a quoted name of the remarks: given names, then one surname
        *given_words, surname = text.split()
        return " ".join(given_words), surname, ""
    surnames, _, given = text.partition(",")
    return (given.strip(), *_split_surnames(surnames))


def load_persons(data_dir: Path = DATA_DIR, limit: int | None = None) -> list[SdnPerson]:
    """The selected individuals (module docstring), by entity number; the first ``limit``."""
    sdn = _rows(data_dir / "sdn.csv")
    mexican_address = {row[0] for row in _rows(data_dir / "add.csv") if "Mexico" in row[4]}
    chosen = sorted(
        (row for row in sdn if row[2] == "individual"
         and ("Mexico" in row[11] or row[0] in mexican_address)),
        key=lambda row: int(row[0]),
    )[:limit]  # fmt: skip
    alt: dict[str, list[str]] = defaultdict(list)
    for row in _rows(data_dir / "alt.csv"):
        alt[row[0]].append(row[3])
    by_name = {fold(row[1]): int(row[0]) for row in chosen}
    persons = []
    for row in chosen:
        uid, name, remarks = row[0], row[1], row[11]
        surnames, _, given = name.partition(",")
        paternal, maternal = _split_surnames(surnames)
        parts = [p.strip() for p in remarks.split(";")]
        dobs = tuple(dict.fromkeys(
            d for p in parts if (m := re.match(r"(?:alt\. )?DOB (.*)", p)) and (d := parse_dob(m[1]))
        ))  # fmt: skip
        alias_names, monikers = [], []
        for text in alt[uid]:
            if "," in text:
                alias_names.append(_alias_name(text))
            else:
                monikers.append(text)
        for quoted in re.findall(r"[an]\.k\.a\. '([^']+)'", remarks):
            plain = [w for w in fold(quoted).split() if w not in ARTICLES]
            if len(plain) < 2:
                monikers.append(quoted)
            else:
                alias_names.append(_alias_name(quoted))
        alias_names = list(dict.fromkeys(alias_names))
        aliases = [" ".join(x for x in a if x) for a in alias_names]
        pob = next((p[4:] for p in parts if p.startswith("POB ")), "")
        linked = tuple(
            by_name[key] for p in parts if p.startswith("Linked To:")
            if (key := fold(p[len("Linked To:"):])) in by_name
        )  # fmt: skip
        persons.append(SdnPerson(
            int(uid), given.strip(), paternal, maternal, dobs, tuple(aliases), tuple(alias_names),
            tuple(dict.fromkeys(m.upper() for m in monikers)), pob, linked, row[3],
        ))  # fmt: skip
    return persons


# --- rendering --------------------------------------------------------------------------------


def _accented(word: str) -> str:
    upper = word.upper()
    if upper in PARTICLES:
        return word.lower()
    return ACCENTED.get(upper, word.capitalize())


def _mx_text(text: str) -> str:
    return " ".join(_accented(w) for w in text.split())


def _written(iso: str, us: bool) -> str:
    if len(iso) == 4:
        return iso
    year, month, day = iso.split("-")
    return f"{month}/{day}/{year}" if us else f"{day}/{month}/{year}"


def render_mx(p: SdnPerson) -> Rendering:
    return Rendering(
        _mx_text(p.given), _mx_text(p.paternal), _mx_text(p.maternal), p.dobs,
        _written(p.dobs[0], us=False) if p.dobs else "",
        (*(_mx_text(a) for a in p.aliases), *(_mx_text(m) for m in p.monikers)),
    )  # fmt: skip


def _us(text: str) -> str:
    return strip_accents(text).upper()


def dob_typo(rng: random.Random, iso: str, avoid: Iterable[str]) -> str:
    """The date with one digit changed, still a valid date and none of ``avoid``."""
    taken = {iso, *avoid}
    options = []
    for i, c in enumerate(iso):
        if c.isdigit():
            for d in "0123456789":
                text = iso[:i] + d + iso[i + 1 :]
                try:
                    valid = date.fromisoformat(text).isoformat() == text
                except ValueError:
                    valid = False
                if d != c and valid and text not in taken and 1900 < int(text[:4]) < 2030:
                    options.append(text)
    return rng.choice(options) if options else ""


def _surname_typo(rng: random.Random, text: str, kind: str) -> str:
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 3 and w not in PARTICLES]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    if kind == "surname_transposed":
        options = [j for j in range(len(w) - 1) if w[j] != w[j + 1]]
        if not options:
            return text
        j = rng.choice(options)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    else:
        j = rng.randrange(len(w))
        words[i] = w[:j] + w[j + 1 :]
    return " ".join(words)


def render_us(rng: random.Random, p: SdnPerson) -> Rendering:
    """The US agency's record: upper case, no accents, one date, perturbed (docstring)."""
    tags: list[str] = []
    given, paternal, maternal = _us(p.given), _us(p.paternal), _us(p.maternal)
    dob = p.dobs[0] if p.dobs else ""
    # The given names: one treatment at most, each in its own slice of the roll (one that
    # does not apply to this person leaves the name as it is).
    roll = rng.random()
    first, *rest = given.split() or [""]
    if roll < 0.08:
        if first in NICKNAMES:
            given = " ".join([rng.choice(NICKNAMES[first]), *rest])
            tags.append("nickname")
    elif roll < 0.16:
        if p.monikers:
            given = _us(rng.choice(p.monikers))
            tags.append("moniker")
    elif roll < 0.22:
        if p.alias_names:
            given, paternal, maternal = (_us(x) for x in rng.choice(p.alias_names))
            tags.append("alias")
    elif roll < 0.26 and first:
        given = " ".join([first[0], *rest])
        tags.append("given_initial")
    # The maternal surname.
    roll = rng.random()
    if maternal and roll < 0.25:
        maternal = ""
        tags.append("maternal_dropped")
    elif maternal and roll < 0.33:
        paternal, maternal = (paternal + maternal).replace(" ", ""), ""
        tags.append("surnames_fused")
    elif maternal and roll < 0.40:
        paternal, maternal = f"{paternal}-{maternal.replace(' ', '-')}", ""
        tags.append("surnames_hyphenated")
    # A misspelt surname.
    roll = rng.random()
    if roll < 0.06:
        kind = "surname_transposed" if roll < 0.03 else "surname_letter_dropped"
        target = "maternal" if maternal and rng.random() < 0.4 else "paternal"
        before = paternal if target == "paternal" else maternal
        after = _surname_typo(rng, before, kind)
        if after != before:
            paternal, maternal = (after, maternal) if target == "paternal" else (paternal, after)
            tags.append(kind)
    # The date of birth.
    roll = rng.random()
    full_dates = [d for d in p.dobs if len(d) == 10]
    if len(dob) != 10:
        pass  # the list gives only the year: both agencies hold just that
    elif roll < 0.08:
        if typo := dob_typo(rng, dob, p.dobs):
            dob = typo
            tags.append("dob_typo")
    elif roll < 0.18:
        if alts := [d for d in full_dates if d != dob]:
            dob = rng.choice(alts)
            tags.append("alt_dob")
    elif roll < 0.24:
        dob = dob[:4]
        tags.append("year_only")
    return Rendering(given, paternal, maternal, (dob,) if dob else (),
                     _written(dob, us=True) if dob else "", (), tuple(tags) or ("plain",))  # fmt: skip


@dataclass(frozen=True)
class Sibling:
    of: int  # the uid whose surnames it shares
    person: SdnPerson


def make_siblings(rng: random.Random, persons: list[SdnPerson]) -> list[Sibling]:
    """One synthetic sibling per person with two surnames: another given name, another year."""
    pool = sorted({p.given for p in persons if p.given})
    siblings = []
    for p in persons:
        if not (p.maternal and p.dobs):
            continue
        given = rng.choice([g for g in pool if fold(g).split()[:1] != fold(p.given).split()[:1]])
        year = int(p.dobs[0][:4]) + rng.choice((-1, 1)) * rng.randint(1, 12)
        dob = date(year, rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        siblings.append(Sibling(p.uid, replace(
            p, uid=-p.uid, given=given, dobs=(dob,), aliases=(), alias_names=(), monikers=(),
            linked=(),
        )))  # fmt: skip
    return siblings


def relations(persons: list[SdnPerson]) -> dict[int, dict[int, str]]:
    """For each person, the real people who are hard negatives to it, and why."""
    out: dict[int, dict[int, str]] = defaultdict(dict)
    both: dict[tuple[str, str], list[int]] = defaultdict(list)
    paternal: dict[str, list[int]] = defaultdict(list)
    for p in persons:
        paternal[fold(p.paternal)].append(p.uid)
        if p.maternal:
            both[fold(p.paternal), fold(p.maternal)].append(p.uid)
    for group, kind in ((paternal, "same_paternal"), (both, "same_surnames")):
        for uids in group.values():
            for a in uids:
                for b in uids:
                    if a != b:
                        out[a][b] = kind
    for p in persons:
        for other in p.linked:
            if other != p.uid:
                out[p.uid][other] = out[other][p.uid] = "linked"
    return out


@dataclass(frozen=True)
class Query:
    round: int
    truth: int  # the uid of the true person
    asked: Rendering
    indexed: Rendering  # the true person's record on the other side
    tags: tuple[str, ...]  # the US rendering's perturbations, whichever side it is on


@dataclass
class Round:
    mx: dict[int, Rendering]
    us: dict[int, Rendering]
    siblings_mx: dict[int, Rendering]  # by the sibling's (negative) uid
    siblings_us: dict[int, Rendering]


def build_rounds(persons: list[SdnPerson], rounds: int, seed: int) -> list[Round]:
    rng = random.Random(seed)
    out = []
    for _ in range(rounds):
        siblings = make_siblings(rng, persons)
        out.append(Round(
            {p.uid: render_mx(p) for p in persons},
            {p.uid: render_us(rng, p) for p in persons},
            {s.person.uid: render_mx(s.person) for s in siblings},
            {s.person.uid: replace(render_us(random.Random(0), s.person), tags=("sibling",))
             for s in siblings},
        ))  # fmt: skip
    return out


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Tally:
    queries: int = 0
    hits: int = 0
    false_candidates: int = 0
    refused: int = 0
    missed_examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, found: bool, false_hits: int, refused: bool) -> None:
        self.queries += 1
        self.hits += found
        self.false_candidates += false_hits
        self.refused += refused

    def report(self) -> dict[str, Any]:
        q = self.queries
        return {
            "queries": q,
            "hits": self.hits,
            "recall": round(self.hits / q, 4) if q else None,
            "false_candidate_hits": self.false_candidates,
            "false_candidate_hits_per_query": round(self.false_candidates / q, 4) if q else None,
            "refused": self.refused,
        }


def _show(r: Rendering) -> str:
    names = " ".join(x for x in (r.given, r.paternal, r.maternal) if x)
    return f"{names} | {r.written_dob}" + (f" | aka {'; '.join(r.aliases)}" if r.aliases else "")


def evaluate(
    persons: list[SdnPerson], built: list[Round], spec: str, direction: str
) -> dict[str, Any]:
    """``direction``: "mx-indexed" (US renderings asked) or "us-indexed" (the reverse)."""
    index_keys, query_keys = SPECS[spec]
    related = relations(persons)
    overall, by_tag, alone = Tally(), defaultdict(Tally), defaultdict(Tally)
    false_by_kind: Counter[str] = Counter()
    keys_index = records = keys_query = 0
    for number, rnd in enumerate(built):
        mx_side = direction == "mx-indexed"
        indexed = {**(rnd.mx if mx_side else rnd.us),
                   **(rnd.siblings_mx if mx_side else rnd.siblings_us)}  # fmt: skip
        asked = rnd.us if mx_side else rnd.mx
        uids = list(indexed)
        made = [index_keys(indexed[u]) for u in uids]
        keys_index += sum(len(k.keys) for k in made)
        records += len(made)
        index = _index(made)
        for p in persons:
            query = Query(number, p.uid, asked[p.uid], indexed[p.uid], rnd.us[p.uid].tags)
            keys = query_keys(query.asked)
            keys_query += len(keys.keys)
            reached = {uids[i] for k in keys.keys for i in index.get(k.encode(), ())}
            found = p.uid in reached
            false = reached - {p.uid}
            for other in false:
                kind = "synthetic_sibling" if other < 0 else related[p.uid].get(other, "other")
                false_by_kind[kind] += 1
            refused = not keys.keys
            for tally in (overall, *(by_tag[t] for t in query.tags)):
                tally.add(found, len(false), refused)
            if len(query.tags) == 1:
                alone[query.tags[0]].add(found, len(false), refused)
            if not found and len(overall.missed_examples) < MAX_EXAMPLES:
                overall.missed_examples.append({
                    "tags": list(query.tags), "asked": _show(query.asked),
                    "indexed": _show(query.indexed), "refused": refused,
                })  # fmt: skip
    report = overall.report()
    queries = overall.queries
    return {
        **report,
        "keys_per_index_record": round(keys_index / records, 2) if records else None,
        "keys_per_query": round(keys_query / queries, 2) if queries else None,
        "index_records": records,
        "false_candidate_hits_by_kind": dict(false_by_kind),
        "by_perturbation": {
            t: {**by_tag[t].report(), "alone": alone[t].report()} for t in sorted(by_tag)
        },
        "missed_examples": overall.missed_examples,
    }


def run(persons: list[SdnPerson], spec: str, rounds: int, seed: int) -> dict[str, Any]:
    built = build_rounds(persons, rounds, seed)
    related = relations(persons)
    return {
        "spec": spec,
        "seed": seed,
        "rounds": rounds,
        "persons": len(persons),
        "programs": dict(Counter(p.program for p in persons).most_common()),
        "persons_with": {
            "maternal_surname": sum(bool(p.maternal) for p in persons),
            "several_dobs": sum(len(p.dobs) > 1 for p in persons),
            "year_only_dob": sum(bool(p.dobs) and len(p.dobs[0]) == 4 for p in persons),
            "name_aliases": sum(bool(p.aliases) for p in persons),
            "monikers": sum(bool(p.monikers) for p in persons),
            "real_hard_negatives": sum(bool(related.get(p.uid)) for p in persons),
        },
        "synthetic_siblings_per_round": len(built[0].siblings_mx) if built else 0,
        "directions": {d: evaluate(persons, built, spec, d) for d in ("mx-indexed", "us-indexed")},
    }


def table(result: dict[str, Any]) -> str:
    lines = []
    for direction, r in result["directions"].items():
        asked = "US asks MX index" if direction == "mx-indexed" else "MX asks US index"
        lines.append(f"{direction} ({asked}), spec {result['spec']}")
        lines.append(f"  {'perturbation':24s} {'queries':>7s} {'recall':>7s} {'false/q':>8s} "
                     f"{'refused':>7s}   {'alone: q':>8s} {'recall':>7s}")  # fmt: skip
        rows = [*r["by_perturbation"].items(), ("ALL", {**r, "alone": {"queries": 0}})]
        for tag, t in rows:
            a = t["alone"]
            alone = f"{a['queries']:8d} {a['recall']:7.4f}" if a["queries"] else ""
            lines.append(f"  {tag:24s} {t['queries']:7d} {t['recall']:7.4f} "
                         f"{t['false_candidate_hits_per_query']:8.4f} {t['refused']:7d}   {alone}")  # fmt: skip
        lines.append(f"  keys per index record {r['keys_per_index_record']}, per query "
                     f"{r['keys_per_query']}; false hits by kind {r['false_candidate_hits_by_kind']}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--spec", choices=sorted(SPECS), default="v2")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--limit", type=int, default=None, help="the first N persons only")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    persons = load_persons(args.data, args.limit)
    log(f"{len(persons)} persons, {args.rounds} rounds, spec {args.spec}")
    result = run(persons, args.spec, args.rounds, args.seed)
    print(table(result))
    out = args.out or RESULTS_DIR / f"matching-ofac-{args.spec}.json"
    write_json(out, {"machine": machine(), **result})
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
