"""REST shapes for records."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from puente.policy.schemas import MarkingsIn, MarkingsPublic
from puente.records.kinds import KINDS
from puente.records.rows import RecordView


class RecordCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        description="person, organization, criminal-organization, seizure, firearm, "
        "vehicle, location, incident, relationship, note or report",
        json_schema_extra={"enum": list(KINDS)},
    )
    fields: dict[str, Any] = Field(description="the kind's fields (see GET /api/v1/kinds)")
    markings: MarkingsIn


class RecordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: dict[str, Any]
    markings: MarkingsIn


class RecordPublic(BaseModel):
    id: str
    type: str
    kind: str
    name: str
    version: str
    date_added: str
    current: bool
    revoked: bool
    received: bool
    owner_node: str
    owner_country: str
    originating_agency: str
    markings: MarkingsPublic
    object: dict[str, Any]

    @classmethod
    def of(cls, view: RecordView) -> RecordPublic:
        return cls(
            id=view.stix_id,
            type=view.type,
            kind=view.kind,
            name=view.name,
            version=view.modified,
            date_added=view.date_added,
            current=view.is_current,
            revoked=view.revoked,
            received=view.received,
            owner_node=view.owner_node,
            owner_country=view.owner_country,
            originating_agency=view.originating_agency,
            markings=MarkingsPublic.of(view.markings),
            object=view.content,
        )


class RecordPage(BaseModel):
    items: list[RecordPublic]
    next: str | None = Field(description="URL of the next page, if any")
    banner: str


class ImportResultPublic(BaseModel):
    stored: int
    unchanged: int
    superseded: int
    sha256: str
