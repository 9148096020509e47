"""What analysts write about the records: notes, reports, incidents, and later versions."""

from __future__ import annotations

from datetime import datetime, timedelta

from puente.demo import catalog
from puente.demo.marks import meet
from puente.demo.persons import CITIES, Subject
from puente.demo.plan import Item, Planner, Revision
from puente.demo.stories import say
from puente.policy.markings import Markings

MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTHS_ES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


def _about(planner: Planner, subjects: list[Item]) -> Markings | None:
    """Markings for a record about ``subjects``: no wider than any of them."""
    combined: Markings | None = subjects[0].markings
    for subject in subjects[1:]:
        if combined is None:
            return None
        combined = meet(combined, subject.markings)
    return planner.palette.grade(combined, planner.rng) if combined is not None else None


def note(
    planner: Planner,
    key: str,
    author: str,
    about: list[Item],
    abstract: str,
    content: str,
    created: datetime | None = None,
) -> Item | None:
    markings = _about(planner, about)
    if markings is None or not all(planner.sees(author, i) for i in about):
        return None
    if created is None:
        created = max(i.created for i in about) + timedelta(days=planner.rng.randrange(1, 30))
        created = min(created, planner.moment(1))
    values = {"abstract": abstract, "content": content, "object_refs": [i.stix_id for i in about]}
    return planner.add(key, "note", author, values, markings, created)


def _month(planner: Planner, days_ago: int) -> str:
    day = planner.today - timedelta(days=days_ago)
    if planner.lang == "es":
        return f"{MONTHS_ES[day.month - 1]} de {day.year}"
    return f"{MONTHS_EN[day.month - 1]} {day.year}"  # not strftime: it follows the OS locale


def add_notes(
    planner: Planner,
    members: list[Subject],
    seizures: list[Item],
    purchases: dict[str, list[Item]],
) -> None:
    rng, lang = planner.rng, planner.lang
    followed = [s for s in members if s.person.aliases][:3]
    for index, subject in enumerate(followed):
        city = rng.choice(CITIES[subject.organization])
        written = min(
            subject.item.created + timedelta(days=rng.randrange(10, 90)), planner.moment(1)
        )
        moved = (planner.today - written.date()).days + rng.randrange(5, 60)
        content = say(
            lang,
            "note.moved",
            city=city,
            month=_month(planner, moved),
            alias=subject.person.aliases[-1],
        )
        note(
            planner,
            f"note/moved/{index}",
            subject.item.author,
            [subject.item],
            say(lang, "note.moved.abstract"),
            content,
            written,
        )
    pills = [s for s in seizures if s.fields.get("unit") == "pills"][:2]
    for index, seizure in enumerate(pills):
        note(
            planner,
            f"note/lab/{index}",
            seizure.author,
            [seizure],
            say(lang, "note.lab.abstract"),
            say(lang, "note.lab", substance=seizure.fields["substance"]),
        )
    for index, (_purchaser, guns) in enumerate(list(purchases.items())[:2]):
        if len(guns) < 2:
            continue
        note(
            planner,
            f"note/cluster/{index}",
            guns[0].author,
            guns,
            say(lang, "note.cluster.abstract"),
            say(lang, "note.cluster", count=len(guns), days=rng.randrange(3, 21)),
        )


def add_reports(
    planner: Planner, seizures: list[Item], firearms: list[Item], organizations: dict[str, Item]
) -> None:
    lang = planner.lang
    shared = planner.palette.variant("shared", planner.cast.customs)
    widely = [
        s
        for s in seizures
        if s.markings.rel_to == shared.rel_to
        and not s.markings.agencies
        and s.markings.tlp in ("GREEN", "AMBER")
    ]
    recent = [
        s
        for s in widely
        if s.fields.get("substance") in ("fentanyl", "fentanilo")
        and (planner.today - s.created.date()).days <= 91
    ]
    published = planner.moment(1)
    if recent:
        planner.add(
            "report/seizures",
            "report",
            planner.cast.customs,
            {
                "name": say(lang, "report.seizures.name"),
                "published": published.date().isoformat(),
                "report_types": ["threat-report"],
                "object_refs": [s.stix_id for s in recent],
                "description": say(lang, "report.seizures.description", count=len(recent)),
            },
            shared,
            published,
        )
    traced = [
        f
        for f in firearms
        if f.markings.rel_to == shared.rel_to
        and not f.markings.agencies
        and f.markings.tlp in ("GREEN", "AMBER")
    ][:15]
    if traced:
        refs = [f.stix_id for f in traced] + [o.stix_id for o in organizations.values()]
        planner.add(
            "report/firearms",
            "report",
            planner.cast.firearms,
            {
                "name": say(lang, "report.firearms.name"),
                "published": published.date().isoformat(),
                "report_types": ["threat-report"],
                "object_refs": refs,
                "description": say(lang, "report.firearms.description", count=len(traced)),
            },
            planner.palette.variant("shared", planner.cast.firearms),
            published,
        )


def add_incidents(planner: Planner, ports: dict[str, Item]) -> None:
    rng, lang = planner.rng, planner.lang
    author = planner.cast.field
    ports_by_code = {p.code: p for p in catalog.ports()}
    runner_port = ports_by_code[rng.choice(("2504", "2402", "2304", "2305"))]
    tunnel_port = ports_by_code["2604"]
    stories = (
        (
            "incident/runner",
            runner_port,
            "shared",
            "incident.runner",
            {"miles": rng.randrange(3, 30), "km": rng.randrange(5, 48)},
        ),
        (
            "incident/tunnel",
            tunnel_port,
            "national",
            "incident.tunnel",
            {"length": rng.randrange(40, 180), "mx_city": tunnel_port.mx_city},
        ),
    )
    for key, port, variant, text, params in stories:
        label = port.mx_city if lang == "es" else port.name
        item = planner.add(
            key,
            "incident",
            author,
            {
                "name": say(lang, f"{text}.name", port=label),
                "description": say(lang, f"{text}.description", port=label, **params),
            },
            planner.palette.variant(variant, author),
            planner.moment(rng.randrange(10, 300)),
        )
        planner.relate(item, "related-to", ports[port.code], "rel.incident")


def add_revisions(planner: Planner, members: list[Subject], seizures: list[Item]) -> None:
    """A living data set: some records were corrected or completed after they were made."""
    rng, lang = planner.rng, planner.lang
    latest = planner.moment(1)
    for subject in [s for s in members if s.item.created < latest - timedelta(days=30)][:3]:
        names = catalog.names()
        alias = rng.choice(
            [
                n
                for sex, n in names.apodos
                if sex in (subject.person.sex, "*") and n not in subject.person.aliases
            ]
        )
        updated = dict(subject.item.fields)
        updated["aliases"] = [*subject.person.aliases, alias]
        updated["description"] = str(updated["description"]) + say(
            lang, "person.new_alias", alias=alias
        )
        when = min(subject.item.created + timedelta(days=rng.randrange(20, 120)), latest)
        subject.item.revisions.append(Revision(updated, when))
    weighed = [
        s
        for s in seizures
        if s.fields.get("unit") in ("lb", "kg") and s.created < latest - timedelta(days=30)
    ]
    for seizure in weighed[:2]:
        updated = dict(seizure.fields)
        net = round(float(seizure.fields["quantity"]) * 0.93, 2)
        updated["quantity"] = net
        updated["description"] = str(updated["description"]) + say(
            lang, "seizure.lab", amount=f"{net:,.2f} {seizure.fields['unit']}"
        )
        when = min(seizure.created + timedelta(days=rng.randrange(7, 25)), latest)
        seizure.revisions.append(Revision(updated, when))
    settled = [s for s in seizures if s.created < latest - timedelta(days=30)]
    if settled:
        original = settled[0]
        duplicate = planner.add(
            "seizure/duplicate",
            "seizure",
            original.author,
            dict(original.fields),
            original.markings,
            min(original.created + timedelta(hours=2), latest),
        )
        revoked = dict(duplicate.fields)
        revoked["description"] = say(lang, "seizure.duplicate")
        duplicate.revisions.append(
            Revision(revoked, min(duplicate.created + timedelta(days=2), latest), revoke=True)
        )
