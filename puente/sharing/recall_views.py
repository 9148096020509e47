"""HTML views for recalls: the form on a record this node owns, and the list of recalls."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from puente.errors import InvalidInput
from puente.policy.roles import Principal
from puente.records import service as records
from puente.records.rows import RecordView
from puente.sharing import partners, recalls
from puente.web.deps import (
    FormDep,
    NodeDep,
    PrincipalDep,
    SessionDep,
)
from puente.web.forms import errors_by_field
from puente.web.pages import page_locale, redirect, render

router = APIRouter(include_in_schema=False)


def _owned(session: Session, who: Principal, stix_id: str) -> RecordView:
    records.owned_current(session, who, stix_id)  # refuses a record this user may not recall
    return records.get(session, who, stix_id, audit_read=False)


@router.get("/records/{stix_id}/recall", response_class=HTMLResponse)
def recall_form(
    request: Request,
    stix_id: str,
    session: SessionDep,
    who: PrincipalDep,
) -> Response:
    view = _owned(session, who, stix_id)
    return render(request, "recall_form.html", markings=[view.markings], view=view, reason="",
                  errors={})  # fmt: skip


@router.post("/records/{stix_id}/recall", response_class=HTMLResponse)
def recall_record(
    request: Request,
    stix_id: str,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    reason = str(form.get("reason") or "")
    try:
        recalls.recall(session, node, who, stix_id, reason)
    except InvalidInput as exc:
        view = _owned(session, who, stix_id)
        errors = errors_by_field(exc.problems, page_locale(request))
        return render(request, "recall_form.html", status=422, markings=[view.markings],
                      view=view, reason=reason, errors=errors)  # fmt: skip
    return redirect("/recalls")


@router.get("/recalls", response_class=HTMLResponse)
def recalls_page(request: Request, session: SessionDep, who: PrincipalDep) -> Response:
    notices = recalls.list_recalls(session, who)
    names = {p.id: p.node_id for p in partners.list_partners(session, who)}
    return render(request, "recalls.html", notices=notices, names=names, sent=recalls.SENT)
