"""REST shapes for an analyst's hit/no-hit queries."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from puente.errors import N_, InvalidInput, Problem
from puente.hits.asking import Answer, request_problems
from puente.hits.subjects import Subject, subjects_from_csv, subjects_from_dicts
from puente.i18n import translate
from puente.shapes import Moment


class SubjectIn(BaseModel):
    """One person, firearm or vehicle; fill in only the fields of its category."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(default="", description="person, firearm or vehicle (default: "
                          "the category whose fields are filled in)")  # fmt: skip
    given_names: str = ""
    paternal_surname: str = ""
    maternal_surname: str = ""
    date_of_birth: str = Field(default="", description="YYYY-MM-DD, or YYYY")
    other_dates_of_birth: list[str] = Field(default_factory=list, description="any other dates "
                                            "of birth the person is known by, each YYYY-MM-DD "
                                            "or YYYY")  # fmt: skip
    documents: list[str] = Field(default_factory=list, description="TYPE:NUMBER[:ISSUER]")
    aliases: list[str] = Field(default_factory=list)
    manufacturer: str = ""
    serial: str = ""
    vin: str = ""
    plate: str = ""
    plate_issuer: str = ""


class HitAsk(BaseModel):
    """A query: the subjects as a list, or as CSV text (docs/federation.md lists the columns)."""

    model_config = ConfigDict(extra="forbid")

    partner: str = Field(description="the partner node's id")
    case_reference: str = ""
    legal_basis: str = ""
    subjects: list[SubjectIn] | None = None
    csv: str | None = Field(default=None, description="a header row, then one subject a row")

    def to_subjects(self, max_rows: int) -> list[Subject]:
        """The subjects; every problem with them and with the case and legal basis at once."""
        problems = request_problems(self.case_reference, self.legal_basis)
        subjects: list[Subject] = []
        try:
            if self.subjects is not None and self.csv is not None:
                raise InvalidInput([Problem(N_("Send either subjects or csv, not both."),
                                            "/csv")])  # fmt: skip
            if self.csv is not None:
                subjects = subjects_from_csv(self.csv, max_rows=max_rows)
            elif self.subjects is not None:
                subjects = subjects_from_dicts(
                    [s.model_dump(exclude_defaults=True) for s in self.subjects]
                )
            else:
                raise InvalidInput([Problem(N_("Send the subjects to ask about, as a list "
                                               "(subjects) or as CSV text (csv)."), "/subjects")])  # fmt: skip
        except InvalidInput as exc:
            problems += exc.problems
        if problems:
            raise InvalidInput(problems)
        return subjects


class SubjectAnswerPublic(BaseModel):
    index: int = Field(description="what a request for information names as subject=<index>")
    label: str
    category: str
    hit: bool
    matched: list[str] = Field(description="the match-key types that hit")
    warnings: list[str]
    subject: dict[str, Any] = Field(description="the subject as asked")


class HitAnswerPublic(BaseModel):
    query_id: str
    partner: str
    key_count: int
    case_reference: str
    legal_basis: str
    created_at: Moment | None = None
    spec_version: int = Field(description="the match-key spec version the keys followed")
    matched: dict[str, list[str]] = Field(description="per category asked: the key types that hit")
    subjects: list[SubjectAnswerPublic]

    @classmethod
    def of(cls, answer: Answer, locale: str) -> HitAnswerPublic:
        return cls(
            query_id=answer.query_id,
            partner=answer.partner,
            key_count=answer.key_count,
            case_reference=answer.case_reference,
            legal_basis=answer.legal_basis,
            created_at=answer.created_at,
            spec_version=answer.spec_version,
            matched=answer.matched,
            subjects=[
                SubjectAnswerPublic(
                    index=index,
                    label=item.subject.label(),
                    category=item.subject.category,
                    hit=item.hit,
                    matched=item.matched,
                    warnings=[translate(locale, w.message, value=w.value) for w in item.warnings],
                    subject=item.subject.as_dict(),
                )
                for index, item in enumerate(answer.subjects)
            ],
        )
