"""Between HTML forms and the services: record fields, markings, and errors by field.

Services report problems with JSON pointers (``/given_names``, ``/markings/tlp``,
``/documents/2``); forms show each one next to the input it concerns, so the pointer maps to
a field key (``given_names``, ``markings.tlp``, ``documents``) and the key to an element id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from puente.config import MarkingDefaults
from puente.errors import N_, InvalidInput, Label, Problem
from puente.i18n import translate
from puente.policy.markings import Markings
from puente.policy.recipients import Directory
from puente.policy.schemas import MarkingsIn
from puente.records.kinds import KINDS

COUNTRY_NAMES = {"USA": N_("United States"), "MEX": N_("Mexico")}

TLP_LABELS = {
    "CLEAR": N_("TLP:CLEAR — no limit on disclosure"),
    "GREEN": N_("TLP:GREEN — within the community"),
    "AMBER": N_("TLP:AMBER — the recipient's organization and its clients"),
    "AMBER+STRICT": N_("TLP:AMBER+STRICT — the recipient's organization only"),
    "RED": N_("TLP:RED — named recipients only"),
}
HANDLING_LABELS = {
    "H0": N_("H0 — no restriction"),
    "H1": N_("H1 — not for use as evidence without the originator's consent"),
    "H2": N_("H2 — no onward dissemination without the originator's consent"),
    "H3": N_("H3 — other restriction, described below"),
}
RELIABILITY_LABELS = {
    "A": N_("A — completely reliable"),
    "B": N_("B — usually reliable"),
    "C": N_("C — fairly reliable"),
    "D": N_("D — not usually reliable"),
    "E": N_("E — unreliable"),
    "F": N_("F — reliability cannot be judged"),
}
CREDIBILITY_LABELS = {
    "1": N_("1 — confirmed by other sources"),
    "2": N_("2 — probably true"),
    "3": N_("3 — possibly true"),
    "4": N_("4 — doubtful"),
    "5": N_("5 — improbable"),
    "6": N_("6 — truth cannot be judged"),
}
# The codes the kinds' select fields store, as people read them.
CHOICE_LABELS = {
    "drug": N_("Drug"),
    "precursor": N_("Precursor chemical"),
    "currency": N_("Currency"),
    "other": N_("Other"),
    "kg": N_("kilograms (kg)"),
    "g": N_("grams (g)"),
    "lb": N_("pounds (lb)"),
    "l": N_("liters (l)"),
    "ml": N_("milliliters (ml)"),
    "pills": N_("pills"),
    "units": N_("units"),
    "vehicle-compartment": N_("Hidden compartment in a vehicle"),
    "vehicle-fuel-tank": N_("Vehicle fuel tank"),
    "commercial-cargo": N_("Commercial cargo"),
    "body-carry": N_("Carried on the body"),
    "luggage": N_("Luggage"),
    "mail-parcel": N_("Mail or parcel"),
    "tunnel": N_("Tunnel"),
    "maritime": N_("Maritime vessel"),
    "ultralight": N_("Ultralight aircraft"),
    "pedestrian": N_("Pedestrian crossing"),
    "pistol": N_("Pistol"),
    "revolver": N_("Revolver"),
    "rifle": N_("Rifle"),
    "shotgun": N_("Shotgun"),
    "machine-gun": N_("Machine gun"),
}


def choice_label(value: str) -> str:
    return CHOICE_LABELS.get(value, value)


def field_key(pointer: str) -> str:
    """``/markings/agencies/0`` → ``markings.agencies``; ``""`` → ``""`` (the whole form)."""
    parts = [p for p in pointer.split("/") if p]
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts)


def element_id(key: str) -> str:
    return "f-" + key.replace(".", "-") if key else "error-summary"


def _entry_number(pointer: str) -> int | None:
    last = pointer.rsplit("/", 1)[-1]
    return int(last) + 1 if last.isdigit() else None


def errors_by_field(
    problems: Iterable[Problem], locale: str, labels: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Each problem's message, translated, under the key of the field it concerns.

    ``labels`` maps raw parameter values (such as a query parameter's name) to the label the
    page shows for them.
    """
    found: dict[str, list[str]] = {}
    for problem in problems:
        params = {
            k: Label(labels[v]) if labels and isinstance(v, str) and v in labels else v
            for k, v in problem.params.items()
        }
        message = translate(locale, problem.message, **params)
        number = _entry_number(problem.pointer)
        if number is not None:
            message = translate(
                locale, N_("Entry {number}: {problem}"), number=number, problem=message
            )
        found.setdefault(field_key(problem.pointer), []).append(message)
    return found


def record_fields(kind: str, form: Mapping[str, Any]) -> dict[str, str]:
    """The kind's fields as typed, kept verbatim so a rejected form shows them again."""
    return {spec.name: str(form.get(spec.name) or "") for spec in KINDS[kind].fields}


@dataclass
class MarkingsForm:
    """The markings fieldset's values, as shown and as submitted."""

    tlp: str = "AMBER"
    rel_to: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    handling: str = "H0"
    handling_text: str = ""
    searchable_by: list[str] = field(default_factory=list)
    reliability: str = ""
    credibility: str = ""
    recipients: str = ""  # one username per line

    @classmethod
    def defaults(cls, d: MarkingDefaults) -> MarkingsForm:
        return cls(
            tlp=d.tlp,
            rel_to=list(d.rel_to),
            handling=d.handling,
            searchable_by=list(d.searchable_by),
        )

    @classmethod
    def of(cls, m: Markings) -> MarkingsForm:
        return cls(
            tlp=m.tlp,
            rel_to=sorted(m.rel_to),
            agencies=sorted(m.agencies),
            handling=m.handling,
            handling_text=m.handling_text,
            searchable_by=sorted(m.searchable_by),
            reliability=m.reliability or "",
            credibility=str(m.credibility or ""),
            recipients="\n".join(sorted(m.recipients)),
        )

    @classmethod
    def parse(cls, form: Any) -> MarkingsForm:
        """From submitted form data (``markings.<name>`` inputs)."""

        def one(name: str) -> str:
            return str(form.get(f"markings.{name}") or "")

        def many(name: str) -> list[str]:
            return [str(v) for v in form.getlist(f"markings.{name}") if v]

        return cls(
            tlp=one("tlp"),
            rel_to=many("rel_to"),
            agencies=many("agencies"),
            handling=one("handling") or "H0",
            handling_text=one("handling_text"),
            searchable_by=many("searchable_by"),
            reliability=one("reliability"),
            credibility=one("credibility"),
            recipients=one("recipients"),
        )

    def to_markings(self, owner_country: str, known: Directory | None = None) -> Markings:
        """Checked by :class:`MarkingsIn`; every problem points under ``/markings``."""
        problems: list[Problem] = []
        credibility: int | None = None
        if self.credibility.strip():
            try:
                credibility = int(self.credibility)
            except ValueError:
                problems.append(
                    Problem(
                        N_("Information credibility must be a number from 1 to 6."),
                        "/markings/credibility",
                    )
                )
        recipients = sorted(
            {
                line.strip()
                for line in self.recipients.replace(",", "\n").splitlines()
                if line.strip()
            }
        )
        try:
            markings = MarkingsIn(
                tlp=self.tlp,
                rel_to=self.rel_to,
                agencies=self.agencies,
                handling=self.handling,
                handling_text=self.handling_text,
                searchable_by=self.searchable_by,
                reliability=self.reliability or None,
                credibility=credibility,
                recipients=recipients,
            ).to_markings(owner_country, known=known)
        except InvalidInput as exc:
            raise InvalidInput([*exc.problems, *problems]) from None
        if problems:
            raise InvalidInput(problems)
        return markings
