"""HTML views of the plan's meetings: the list by date, and one meeting with its agenda,
decisions, participants, the actions it created or re-assigned and the expectations it
adopted."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from puente.accounts.service import Principal, require
from puente.errors import N_, NotFound
from puente.plan import service
from puente.plan.meetings import KIND_LABELS
from puente.web.deps import db_session, principal
from puente.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/meetings", response_class=HTMLResponse)
def meetings_page(
    request: Request, session: Session = db_session, who: Principal = Depends(principal)
) -> Response:
    require(who, "records.read")
    return render(request, "meetings.html", meetings=service.meetings(session),
                  kind_labels=KIND_LABELS)  # fmt: skip


@router.get("/meetings/{code}", response_class=HTMLResponse)
def meeting_page(
    request: Request, code: str, session: Session = db_session,
    who: Principal = Depends(principal),
) -> Response:  # fmt: skip
    require(who, "records.read")
    for meeting, owner in service.meetings(session):
        if meeting.code == code:
            return render(request, "meeting.html", meeting=meeting, owner=owner,
                          kind_labels=KIND_LABELS)  # fmt: skip
    raise NotFound(N_("No meeting {code} in the plan."), code=code)
