"""The plan's meetings over the REST API (the meeting pages' twin; errors are RFC 9457)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from puente.accounts.service import Principal, require
from puente.node import Node
from puente.plan import service
from puente.plan.schemas import MeetingIn, MeetingOut
from puente.web.deps import db_session, get_node, principal

router = APIRouter(prefix="/api/v1/plan/meetings", tags=["Joint action plan"])


@router.get("", response_model=list[MeetingOut], summary="The plan's meetings, by date")
def meetings(
    session: Session = db_session, who: Principal = Depends(principal)
) -> list[MeetingOut]:
    require(who, "records.read")
    return [MeetingOut.of(meeting, owner) for meeting, owner in service.meetings(session)]


@router.get("/{code}", response_model=MeetingOut, summary="One meeting")
def meeting(code: str, session: Session = db_session,
            who: Principal = Depends(principal)) -> MeetingOut:  # fmt: skip
    require(who, "records.read")
    return MeetingOut.of(*service.get_meeting(session, code))


@router.put("", summary="Record or change meetings of this node's, all or nothing",
            status_code=200)  # fmt: skip
def save(
    body: list[MeetingIn],
    session: Session = db_session,
    node: Node = Depends(get_node),
    who: Principal = Depends(principal),
) -> dict[str, list[str]]:
    """A meeting left without ``expectations`` keeps those it adopted."""
    held = {m.code: m for m, _ in service.meetings(session)}
    items = [m.meeting(held.get(m.code)) for m in body]
    return {"ids": service.save_meetings(session, node, who, items, base="")}
