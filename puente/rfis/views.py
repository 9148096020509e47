"""HTML views of requests for information: the outbox and the inbox, the form to ask, and one
request with its history and what its reader may do next.

Changes call :mod:`puente.rfis.service`, which opens its own units of work and posts to the
partner once they commit; so those routes find their user outside a request-long unit of
work (see :func:`puente.sharing.views.principal_outside_unit_of_work`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from puente.errors import N_, InvalidInput, NotFound, PuenteError
from puente.hits.labels import CATEGORY_LABELS, key_type_label
from puente.i18n import translate
from puente.node import Node
from puente.policy.markings import HANDLING_CODES
from puente.policy.roles import Principal, require
from puente.rfis import approvals, candidates, release, reports, service, states, transport
from puente.sharing import partners
from puente.web.deps import (
    FormDep,
    NodeDep,
    PrincipalDep,
    PrincipalOutsideDep,
    SessionDep,
)
from puente.web.forms import errors_by_field
from puente.web.pages import page_locale, redirect, render

router = APIRouter(include_in_schema=False)

BOXES = {states.OUTGOING: "/rfis", states.INCOMING: "/rfis/inbox"}


def _box(request: Request, session: Session, who: Principal, direction: str) -> Response:
    state = request.query_params.get("state", "")
    overdue_only = request.query_params.get("overdue") == "1"
    items = reports.listing(session, who, direction, state=state if state in states.STATES else "",
                            overdue_only=overdue_only)  # fmt: skip
    figures = reports.timeliness(session, who, direction)
    return render(request, "rfis.html", direction=direction, items=items, figures=figures,
                  state=state, overdue_only=overdue_only, boxes=BOXES,
                  state_labels=states.STATE_LABELS,
                  priority_labels=states.PRIORITY_LABELS)  # fmt: skip


@router.get("/rfis", response_class=HTMLResponse)
def outbox(request: Request, session: SessionDep, who: PrincipalDep) -> Response:
    return _box(request, session, who, states.OUTGOING)


@router.get("/rfis/inbox", response_class=HTMLResponse)
def inbox(request: Request, session: SessionDep, who: PrincipalDep) -> Response:
    require(who, "rfis.oversee")
    return _box(request, session, who, states.INCOMING)


def _form_page(
    request: Request,
    session: Session,
    who: Principal,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
) -> Response:
    options = [(p.node_id, p.display_name) for p in partners.list_partners(session, who)
               if p.enabled]  # fmt: skip
    return render(request, "rfi_new.html", status=status, values=values, errors=errors,
                  partners=options, priority_labels=states.PRIORITY_LABELS,
                  key_type_label=key_type_label)  # fmt: skip


def _approvals_page(
    request: Request,
    session: Session,
    who: Principal,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    require(who, "records.write")
    found = approvals.inbox(session, who, "")
    pending = [a for a in found if a.state == approvals.PENDING]
    decided = [a for a in found if a.state != approvals.PENDING]
    return render(request, "rfi_approvals.html", status=status, pending=pending,
                  decided=decided, errors=errors or {}, release_tlps=release.RELEASE_TLPS,
                  handling_codes=HANDLING_CODES,
                  approval_states=approvals.STATE_LABELS)  # fmt: skip


@router.get("/rfis/approvals", response_class=HTMLResponse)
def approval_inbox(request: Request, session: SessionDep, who: PrincipalDep) -> Response:
    """The originating agency's inbox: releases of its records that await its approval."""
    return _approvals_page(request, session, who)


@router.post("/rfis/approvals/{approval_id}/{verdict}", response_class=HTMLResponse)
def decide(
    request: Request,
    approval_id: str,
    verdict: str,
    form: FormDep,
    node: NodeDep,
    who: PrincipalOutsideDep,
) -> Response:
    def text(name: str) -> str:
        return str(form.get(name) or "")

    if verdict not in ("approve", "refuse"):
        raise NotFound(N_("Unknown action {action}; use one of: {actions}."), action=verdict,
                       actions="approve, refuse")  # fmt: skip
    if verdict == "approve":
        decision = approvals.Decision(True, text("tlp"), text("handling"), text("note"))
    else:
        decision = approvals.Decision(False, note=text("reason"))
    try:
        transport.decide(node, who, approval_id, decision)
    except InvalidInput as exc:
        with node.db.session() as session:
            return _approvals_page(request, session, who,
                                   errors_by_field(exc.problems, page_locale(request)), 422)  # fmt: skip
    return redirect("/rfis/approvals")


@router.get("/rfis/new", response_class=HTMLResponse)
def new_form(request: Request, session: SessionDep, who: PrincipalDep) -> Response:
    require(who, "rfis.request")
    values: dict[str, Any] = {"priority": "routine"}
    query_id = request.query_params.get("query", "")
    if query_id:
        values |= candidates.prefill(session, who, query_id,
                                     request.query_params.get("subject", "0"))  # fmt: skip
    return _form_page(request, session, who, values, {})


def _new_request(form: FormData) -> service.NewRequest:
    def one(name: str) -> str:
        return str(form.get(name) or "")

    return service.NewRequest(
        partner=one("partner"), title=one("title"), question=one("question"),
        case_reference=one("case_reference"), legal_basis=one("legal_basis"),
        priority=one("priority") or "routine",
        recipients=[r.strip() for r in one("recipients").replace(",", "\n").splitlines()
                    if r.strip()],
        hit_query_id=one("hit_query_id"), send=one("action") != "draft",
    )  # fmt: skip


@router.post("/rfis", response_class=HTMLResponse)
def create(
    request: Request,
    form: FormDep,
    node: NodeDep,
    who: PrincipalOutsideDep,
) -> Response:
    new = _new_request(form)
    subject_index = str(form.get("subject_index") or "")
    try:
        if new.hit_query_id:
            with node.db.session() as session:
                candidates.attach_hit(session, who, new, subject_index)
        rfi_id = transport.create(node, who, new)
    except InvalidInput as exc:
        values = {k: str(v) for k, v in form.items()}
        with node.db.session() as session:
            return _form_page(request, session, who, values,
                              errors_by_field(exc.problems, page_locale(request)), 422)  # fmt: skip
    except PuenteError as exc:
        values = {k: str(v) for k, v in form.items()}
        with node.db.session() as session:
            return _form_page(request, session, who, values,
                              {"partner": [_message(request, exc)]}, 422)  # fmt: skip
    return redirect(f"/rfis/{rfi_id}")


def _message(request: Request, exc: PuenteError) -> str:
    locale = page_locale(request)
    return translate(locale, exc.message, **exc.params)


def _detail_page(
    request: Request,
    session: Session,
    node: Node,
    who: Principal,
    rfi_id: str,
    errors: dict[str, list[str]] | None = None,
    answer_values: dict[str, Any] | None = None,
    status: int = 200,
    *,
    audit_read: bool = False,
) -> Response:
    found = reports.detail(session, who, rfi_id, audit_read=audit_read)
    may = _actions(who, found.summary)
    suggestions = (
        candidates.matching_records(session, node, who, found.rfi) if "answer" in may else []
    )
    markings = [r.markings for r in found.released if r.markings is not None]
    return render(request, "rfi.html", status=status, markings=markings, found=found, may=may,
                  errors=errors or {}, answer_values=answer_values or {"tlp": "AMBER",
                  "handling": "H2"}, suggestions=suggestions, release_tlps=release.RELEASE_TLPS,
                  handling_codes=HANDLING_CODES, state_labels=states.STATE_LABELS,
                  priority_labels=states.PRIORITY_LABELS,
                  action_labels=states.ACTION_LABELS, category_labels=CATEGORY_LABELS,
                  key_type_label=key_type_label,
                  approval_states=approvals.STATE_LABELS)  # fmt: skip


def _actions(who: Principal, summary: reports.RfiSummary) -> set[str]:
    """What the reader may do to the request now (the service checks again)."""
    allowed = set()
    for action, permission in service.ACTION_PERMISSIONS.items():
        if who.can(permission) and states.next_state(action, summary.state, summary.direction):
            allowed.add(action)
    if summary.direction == states.OUTGOING and who.username != summary.requester:
        allowed -= {"send", "withdraw"} if "admin" not in who.roles else set()
    return allowed


@router.get("/rfis/{rfi_id}", response_class=HTMLResponse)
def detail(
    request: Request,
    rfi_id: str,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    return _detail_page(request, session, node, who, rfi_id, audit_read=True)


@router.post("/rfis/{rfi_id}/{action}", response_class=HTMLResponse)
def act(
    request: Request,
    rfi_id: str,
    action: str,
    form: FormDep,
    node: NodeDep,
    who: PrincipalOutsideDep,
) -> Response:
    def text(name: str) -> str:
        return str(form.get(name) or "")

    given = service.AnswerInput(
        text=text("answer"),
        records=[*(str(r) for r in form.getlist("records")), *text("more_records").split()],
        tlp=text("tlp") or "AMBER",
        handling=text("handling") or "H2",
        release_reason=text("release_reason"),
    )
    try:
        transport.perform(node, who, rfi_id, service.Move(action, text("reason"), text("assignee"),
                                                        given))  # fmt: skip
    except (InvalidInput, PuenteError) as exc:
        if isinstance(exc, InvalidInput):
            errors = errors_by_field(exc.problems, page_locale(request))
        else:
            errors = {"": [_message(request, exc)]}
        values = {"answer": given.text, "tlp": given.tlp, "handling": given.handling,
                  "records": given.records, "reason": text("reason"),
                  "release_reason": given.release_reason}  # fmt: skip
        with node.db.session() as session:
            return _detail_page(request, session, node, who, rfi_id, errors, values, 422)
    return redirect(f"/rfis/{rfi_id}")
