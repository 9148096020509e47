"""REST shapes for the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


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
