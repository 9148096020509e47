"""HTML views of the plan's meetings: the list by date, and one meeting with its agenda,
decisions, participants, the actions it created or re-assigned and the expectations it
adopted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from puente.accounts.service import Principal, require
from puente.errors import N_, NotFound, PuenteError
from puente.i18n import translate
from puente.node import Node
from puente.plan import assessment, briefing, service
from puente.plan.elements import Text
from puente.plan.meetings import KIND_LABELS, Expectation
from puente.web.deps import db_session, form_data, get_node, principal
from puente.web.pages import page_locale, redirect, render, translated_params

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
    node: Node = Depends(get_node), who: Principal = Depends(principal),
) -> Response:  # fmt: skip
    require(who, "records.read")
    return _meeting(request, session, node, who, code, [])


def _meeting(request: Request, session: Session, node: Node, who: Principal, code: str,
             errors: list[str], status: int = 200) -> Response:  # fmt: skip
    for meeting, owner in service.meetings(session):
        if meeting.code == code:
            mine = owner == node.settings.node_id and who.can("plan.write")
            draft = assessment.assess(session, node, code).draft if mine else []
            return render(request, "meeting.html", status=status, meeting=meeting, owner=owner,
                          kind_labels=KIND_LABELS, draft=draft, may_adopt=mine, errors=errors)  # fmt: skip
    raise NotFound(N_("No meeting {code} in the plan."), code=code)


@router.get("/meetings/{code}/briefing", response_class=HTMLResponse)
def briefing_page(
    request: Request, code: str, session: Session = db_session,
    node: Node = Depends(get_node), who: Principal = Depends(principal),
) -> Response:  # fmt: skip
    require(who, "records.read")
    html = briefing.render_html(session, node, code, page_locale(request), links=True)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/meetings/{code}/briefing.pdf")
def briefing_pdf(
    request: Request, code: str, session: Session = db_session,
    node: Node = Depends(get_node), who: Principal = Depends(principal),
) -> Response:  # fmt: skip
    require(who, "records.read")
    locale = page_locale(request)
    pdf = briefing.render_pdf(session, node, code, locale)
    name = f"briefing-{code}-{locale}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})  # fmt: skip


@router.post("/meetings/{code}/expectations", response_class=HTMLResponse)
def adopt_expectations(
    request: Request, code: str, form: FormData = Depends(form_data),
    session: Session = db_session, node: Node = Depends(get_node),
    who: Principal = Depends(principal),
) -> Response:  # fmt: skip
    """Adopt the expectations the coordinator kept (and edited) from the draft."""
    meeting, _ = assessment.find_meeting(session, code)
    adopted = []
    for index in range(int(str(form.get("count") or "0"))):
        if form.get(f"adopt-{index}") != "1":
            continue
        due = str(form.get(f"due-{index}") or "")
        adopted.append(Expectation(
            Text(str(form.get(f"en-{index}") or ""), str(form.get(f"es-{index}") or "")),
            str(form.get(f"subject-{index}") or ""),
            date.fromisoformat(due) if due else None))  # fmt: skip
    try:
        with session.begin_nested():
            service.save_meetings(session, node, who, [replace(meeting, expectations=adopted)])
    except PuenteError as exc:
        locale = page_locale(request)
        errors = [translate(locale, p.message, **translated_params(locale, p.params))
                  for p in exc.problems]  # fmt: skip
        return _meeting(request, session, node, who, code, errors, 422)
    return redirect(f"/meetings/{code}")
