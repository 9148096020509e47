"""REST shapes for the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AuditEntryPublic(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    target: str
    marking: str
    details: dict[str, Any]
    hash: str


class BreakPublic(BaseModel):
    seq: int
    problem: str


class VerifyPublic(BaseModel):
    ok: bool
    entries: int
    breaks: list[BreakPublic]
    checkpoints: int = Field(
        description="Genuine signed checkpoints the chain was checked against."
    )
    covered: int = Field(description="The newest entry a signed checkpoint pins (0: none).")
    copies: dict[str, int] = Field(
        description="Genuine checkpoints in each copy: file, database, partner."
    )
    notes: list[BreakPublic] = Field(description="Worth a look, but not tampering.")
    cannot_detect: list[str] = Field(description="What this verification could not detect.")
