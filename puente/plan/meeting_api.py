"""The plan's meetings over the REST API (the meeting pages' twin; errors are RFC 9457)."""

from __future__ import annotations

from puente.plan import service
from puente.plan.schemas import MeetingIn, MeetingOut
from puente.policy.roles import require
from puente.web.deps import NodeDep, PrincipalDep, SessionDep
from puente.web.routing import api_router

router = api_router("/api/v1/plan/meetings", ["Joint action plan"])


@router.get("", response_model=list[MeetingOut], summary="The plan's meetings, by date")
def meetings(session: SessionDep, who: PrincipalDep) -> list[MeetingOut]:
    require(who, "records.read")
    return [MeetingOut.of(meeting, owner) for meeting, owner in service.meetings(session)]


@router.get("/{code}", response_model=MeetingOut, summary="One meeting")
def meeting(code: str, session: SessionDep,
            who: PrincipalDep) -> MeetingOut:  # fmt: skip
    require(who, "records.read")
    return MeetingOut.of(*service.get_meeting(session, code))


@router.put("", summary="Record or change meetings of this node's, all or nothing",
            status_code=200)  # fmt: skip
def save(
    body: list[MeetingIn],
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> dict[str, list[str]]:
    """A meeting left without ``expectations`` keeps those it adopted."""
    held = {m.code: m for m, _ in service.meetings(session)}
    items = [m.meeting(held.get(m.code)) for m in body]
    return {"ids": service.save_meetings(session, node, who, items, base="")}
