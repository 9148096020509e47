"""Markings as API and form input, checked and turned into :class:`Markings`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from puente.config import COUNTRIES
from puente.errors import N_, InvalidInput, Problem
from puente.policy.agencies import BY_CODE
from puente.policy.markings import (
    COUNTRY_RE,
    CREDIBILITY,
    HANDLING_CODES,
    RELIABILITY,
    TLP_LEVELS,
    Markings,
)
from puente.policy.recipients import Directory, directory, qualify_all

COUNTRY = "^[A-Z]{3}$"


class MarkingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The document names the values to_markings takes (enum, pattern): a client generated from
    # it offers them. Any other value is still read, and refused below in the node's words.
    tlp: str = Field(description="TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED",
                     json_schema_extra={"enum": list(TLP_LEVELS)})  # fmt: skip
    rel_to: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-3 countries",
                              json_schema_extra={"items": {"type": "string", "pattern": COUNTRY}})  # fmt: skip
    agencies: list[str] = Field(default_factory=list, description="agency codes; empty: any",
                                json_schema_extra={"items": {"type": "string",
                                                             "enum": list(BY_CODE)}})  # fmt: skip
    handling: str = Field("H0", json_schema_extra={"enum": list(HANDLING_CODES)})
    handling_text: str = ""
    searchable_by: list[str] = Field(default_factory=list,
                                     json_schema_extra={"items": {"type": "string", "pattern": COUNTRY}})  # fmt: skip
    reliability: str | None = Field(None, json_schema_extra={"enum": [*RELIABILITY, None]})
    credibility: int | None = Field(None, json_schema_extra={"minimum": min(CREDIBILITY),
                                                             "maximum": max(CREDIBILITY)})  # fmt: skip
    recipients: list[str] = Field(
        default_factory=list,
        description="named recipients: user@COUNTRY (e.g. gn.analista@MEX), or a username "
        "of this node alone; stored as user@COUNTRY",
    )

    def to_markings(
        self, owner_country: str, pointer: str = "/markings", known: Directory | None = None
    ) -> Markings:
        """The markings, checked; ``known`` says which nodes recipients may be qualified by
        (:func:`puente.records.marking.node_directory`; by default only the countries)."""
        problems: list[Problem] = []
        if self.tlp not in TLP_LEVELS:
            problems.append(
                Problem(N_("Unknown TLP level {value}."), f"{pointer}/tlp", {"value": self.tlp})
            )
        for prop in ("rel_to", "searchable_by"):
            for index, country in enumerate(getattr(self, prop)):
                if not COUNTRY_RE.match(country):
                    problems.append(
                        Problem(
                            N_("{prop} must be a list of ISO 3166-1 alpha-3 country codes."),
                            f"{pointer}/{prop}/{index}",
                            {"prop": prop},
                        )
                    )
        recipients, refused = qualify_all(
            self.recipients,
            owner_country,
            directory(COUNTRIES, []) if known is None else known,
            f"{pointer}/recipients",
        )
        problems.extend(refused)
        for index, agency in enumerate(self.agencies):
            if agency not in BY_CODE:
                problems.append(
                    Problem(
                        N_("Unknown agency {agency}."),
                        f"{pointer}/agencies/{index}",
                        {"agency": agency},
                    )
                )
        if self.handling not in HANDLING_CODES:
            problems.append(
                Problem(N_("handling must be one of H0, H1, H2, H3."), f"{pointer}/handling")
            )
        elif self.handling == "H3" and not self.handling_text.strip():
            problems.append(
                Problem(N_("Handling H3 needs a handling text."), f"{pointer}/handling_text")
            )
        if self.reliability is not None and self.reliability not in RELIABILITY:
            problems.append(
                Problem(
                    N_("Source reliability must be a letter from A to F."), f"{pointer}/reliability"
                )
            )
        if self.credibility is not None and self.credibility not in CREDIBILITY:
            problems.append(
                Problem(
                    N_("Information credibility must be a number from 1 to 6."),
                    f"{pointer}/credibility",
                )
            )
        if problems:
            raise InvalidInput(problems)
        return Markings(
            tlp=self.tlp,
            rel_to=frozenset({*self.rel_to, owner_country}),
            agencies=frozenset(self.agencies),
            handling=self.handling,
            handling_text=self.handling_text.strip(),
            searchable_by=frozenset(self.searchable_by),
            reliability=self.reliability,
            credibility=self.credibility,
            recipients=recipients,
        )


class MarkingsPublic(BaseModel):
    tlp: str
    rel_to: list[str]
    agencies: list[str]
    handling: str
    handling_text: str
    searchable_by: list[str]
    reliability: str | None
    credibility: int | None
    recipients: list[str] = Field(description="named recipients, user@COUNTRY")
    banner: str

    @classmethod
    def of(cls, m: Markings) -> MarkingsPublic:
        return cls(
            tlp=m.tlp,
            rel_to=sorted(m.rel_to),
            agencies=sorted(m.agencies),
            handling=m.handling,
            handling_text=m.handling_text,
            searchable_by=sorted(m.searchable_by),
            reliability=m.reliability,
            credibility=m.credibility,
            recipients=sorted(m.recipients),
            banner=m.banner(),
        )
