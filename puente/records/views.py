"""HTML views for records: search, detail, create, edit (a new version) and revoke.

Record content reaches these pages only through :mod:`puente.records.service`, which applies
the egress gate and audits the read; each page passes the markings of what it shows so the
banner carries the most restrictive of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from puente.accounts import service as accounts
from puente.db import MAX_KEY
from puente.errors import N_, Forbidden, InvalidInput, NotFound, Problem
from puente.node import Node
from puente.policy.markings import TLP_LEVELS, Markings
from puente.policy.roles import Principal, require
from puente.records import builder, ownership
from puente.records import service as records
from puente.records.kinds import KINDS
from puente.records.marking import node_directory
from puente.records.rows import RecordView
from puente.sharing import ledger as sharing_ledger
from puente.web.deps import (
    FormDep,
    NodeDep,
    PrincipalDep,
    SessionDep,
)
from puente.web.forms import MarkingsForm, errors_by_field, record_fields
from puente.web.pages import page_locale, redirect, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
SEARCH_LABELS = {"modified_from": N_("Modified from"), "modified_to": N_("Modified to")}


def may_edit(view: RecordView, who: Principal) -> bool:
    """Whether to offer Edit; the service decides again when the form comes back."""
    return _changeable(view, who) and ownership.may_version(
        who, view.originating_agency, view.received
    )


def may_revoke(view: RecordView, who: Principal) -> bool:
    """Whether to offer Revoke and Recall: the originating agency, or an admin."""
    return _changeable(view, who) and ownership.may_revoke(
        who, view.originating_agency, view.received
    )


def _changeable(view: RecordView, who: Principal) -> bool:
    return (
        who.can("records.write")
        and view.is_current
        and not view.revoked
        and not view.received
        and view.kind in KINDS
    )


def _keyset(after: str) -> int | None:
    """The position ``after`` asks a page of results from, if it is one a row may have (ASCII
    digits up to the largest key): anything else is the first page. int() alone takes "²"
    for a digit, and a number past the key's column overflows the database's integer."""
    if after.isascii() and after.isdigit() and len(after) <= len(str(MAX_KEY)):
        number = int(after)
        return number if number <= MAX_KEY else None
    return None


@router.get("/records", response_class=HTMLResponse)
def search_page(
    request: Request,
    *,
    q: str = "",
    kind: str = "",
    tlp: str = "",
    owner_node: str = "",
    modified_from: str = "",
    modified_to: str = "",
    related_to: str = "",
    include_revoked: str = "",
    after: str = "",
    session: SessionDep,
    who: PrincipalDep,
) -> Response:
    query = records.SearchQuery(
        text=q.strip(),
        kinds=(kind,) if kind else (),
        tlp=(tlp,) if tlp else (),
        owner_node=owner_node.strip(),
        modified_from=modified_from.strip(),
        modified_to=modified_to.strip(),
        related_to=related_to.strip(),
        include_revoked=bool(include_revoked),
        after=_keyset(after),
        limit=PAGE_SIZE,
    )
    errors: dict[str, list[str]] = {}
    items: list[RecordView] = []
    next_url = first_url = ""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    if query.after is not None:
        first_url = "/records?" + urlencode(params)
    try:
        page = records.search(session, who, query)
    except InvalidInput as exc:
        errors = errors_by_field(exc.problems, page_locale(request), SEARCH_LABELS)
    else:
        items = page.items
        if page.next_after is not None:
            next_url = "/records?" + urlencode([*params, ("after", str(page.next_after))])
    filters = {
        "q": q,
        "kind": kind,
        "tlp": tlp,
        "owner_node": owner_node,
        "modified_from": modified_from,
        "modified_to": modified_to,
        "related_to": related_to,
        "include_revoked": include_revoked,
    }
    return render(
        request,
        "search.html",
        status=422 if errors else 200,
        markings=[v.markings for v in items],
        items=items,
        next_url=next_url,
        first_url=first_url,
        filters=filters,
        errors=errors,
        kinds=KINDS,
        tlp_levels=TLP_LEVELS,
    )


def _form_page(
    request: Request,
    session: Session,
    *,
    kind: str,
    action: str,
    title: str,
    values: dict[str, str],
    marking_values: MarkingsForm,
    errors: dict[str, list[str]],
    markings: list[Any] | None = None,
    status: int = 200,
    view: RecordView | None = None,
) -> Response:
    return render(
        request,
        "record_form.html",
        status=status,
        markings=markings or [],
        kind=KINDS[kind],
        action=action,
        title=title,
        values=values,
        m=marking_values,
        errors=errors,
        view=view,
        agencies=accounts.list_agencies(session),
        tlp_levels=TLP_LEVELS,
    )


def _kind_or_404(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(N_("Unknown kind of record {kind}."), kind=kind)
    return kind


@router.get("/records/new", response_class=HTMLResponse)
def choose_kind(request: Request, who: PrincipalDep) -> Response:
    require(who, "records.write")
    return render(request, "record_kinds.html", kinds=KINDS)


@router.get("/records/new/{kind}", response_class=HTMLResponse)
def new_record_form(
    request: Request,
    kind: str,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    require(who, "records.write")
    kind = _kind_or_404(kind)
    return _form_page(
        request,
        session,
        kind=kind,
        action=f"/records/new/{kind}",
        title=N_("New record: {kind}"),
        values={},
        marking_values=MarkingsForm.defaults(node.settings.markings_for(kind)),
        errors={},
    )


def _checked(
    request: Request,
    kind: str,
    values: dict[str, str],
    marking_values: MarkingsForm,
    node: Node,
    who: Principal,
    session: Session,
) -> tuple[Any, dict[str, list[str]]]:
    """The markings, or every problem with the markings and with the fields at once."""
    try:
        known = node_directory(session, node.settings)
        return marking_values.to_markings(node.settings.country, known), {}
    except InvalidInput as exc:
        problems: list[Problem] = list(exc.problems)
    try:
        builder.build(kind, values, who.agency)  # pure: to name the fields' problems too
    except InvalidInput as exc:
        problems = [*exc.problems, *problems]
    return None, errors_by_field(problems, page_locale(request))


def _submit(
    request: Request,
    form: FormData,
    session: Session,
    node: Node,
    who: Principal,
    kind: str,
    save: Callable[[dict[str, str], Markings], str],
) -> tuple[Response | None, dict[str, str], MarkingsForm, dict[str, list[str]]]:
    """Check a create or edit form and save it; a redirect on success, else what to redraw."""
    values, marking_values = record_fields(kind, form), MarkingsForm.parse(form)
    markings, errors = _checked(request, kind, values, marking_values, node, who, session)
    if markings is not None:
        try:
            with session.begin_nested():  # a rejected record leaves nothing behind
                stix_id = save(values, markings)
        except InvalidInput as exc:
            errors = errors_by_field(exc.problems, page_locale(request))
        else:
            return redirect(f"/records/{stix_id}"), values, marking_values, errors
    return None, values, marking_values, errors


@router.post("/records/new/{kind}", response_class=HTMLResponse)
def create_record(
    request: Request,
    kind: str,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    kind = _kind_or_404(kind)

    def save(values: dict[str, str], markings: Markings) -> str:
        return records.create(session, node.settings, who, kind, values, markings).stix_id

    saved, values, marking_values, errors = _submit(request, form, session, node, who, kind, save)
    if saved is not None:
        return saved
    return _form_page(
        request,
        session,
        kind=kind,
        action=f"/records/new/{kind}",
        title=N_("New record: {kind}"),
        values=values,
        marking_values=marking_values,
        errors=errors,
        status=422,
    )


@router.get("/records/{stix_id}", response_class=HTMLResponse)
def record_page(
    request: Request,
    stix_id: str,
    *,
    version: str = "",
    session: SessionDep,
    who: PrincipalDep,
) -> Response:
    view = records.get(session, who, stix_id, version or None)
    history = records.versions(session, who, stix_id)
    linked = records.related(session, who, stix_id)
    origin = sharing_ledger.provenance(session, who, view)
    kind = KINDS.get(view.kind)
    return render(
        request,
        "record.html",
        markings=[view.markings, *(v.markings for v in linked)],
        view=view,
        kind=kind,
        values=builder.fields_of(view.kind, view.content) if kind else {},
        versions=history,
        related=linked,
        names={v.stix_id: v.name for v in [view, *linked]},
        can_edit=may_edit(view, who),
        can_revoke=may_revoke(view, who),
        provenance=origin,
        kinds=KINDS,
        raw_json=orjson.dumps(view.content, option=orjson.OPT_INDENT_2).decode(),
    )


def _editable(session: Session, who: Principal, stix_id: str) -> RecordView:
    return _changeable_by(session, who, stix_id, may_edit)


def _revocable(session: Session, who: Principal, stix_id: str) -> RecordView:
    return _changeable_by(session, who, stix_id, may_revoke)


def _changeable_by(
    session: Session, who: Principal, stix_id: str, allowed: Callable[[RecordView, Principal], bool]
) -> RecordView:
    view = records.get(session, who, stix_id)
    if view.revoked:
        raise Forbidden(N_("This record is revoked; it takes no new versions."))
    if not allowed(view, who):
        require(who, "records.write")
        raise ownership.refusal(stix_id, view.originating_agency, view.owner_node, view.received)
    return view


@router.get("/records/{stix_id}/edit", response_class=HTMLResponse)
def edit_record_form(
    request: Request,
    stix_id: str,
    session: SessionDep,
    who: PrincipalDep,
) -> Response:
    view = _editable(session, who, stix_id)
    return _form_page(
        request,
        session,
        kind=view.kind,
        action=f"/records/{stix_id}/edit",
        title=N_("New version: {name}"),
        values=builder.fields_of(view.kind, view.content),
        marking_values=MarkingsForm.of(view.markings),
        errors={},
        markings=[view.markings],
        view=view,
    )


@router.post("/records/{stix_id}/edit", response_class=HTMLResponse)
def edit_record(
    request: Request,
    stix_id: str,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    view = _editable(session, who, stix_id)

    def save(values: dict[str, str], markings: Markings) -> str:
        return records.new_version(session, node.settings, who, stix_id, values, markings).stix_id

    saved, values, marking_values, errors = _submit(
        request, form, session, node, who, view.kind, save
    )
    if saved is not None:
        return saved
    return _form_page(
        request,
        session,
        kind=view.kind,
        action=f"/records/{stix_id}/edit",
        title=N_("New version: {name}"),
        values=values,
        marking_values=marking_values,
        errors=errors,
        markings=[view.markings],
        view=view,
        status=422,
    )


@router.get("/records/{stix_id}/revoke", response_class=HTMLResponse)
def revoke_confirm(
    request: Request,
    stix_id: str,
    session: SessionDep,
    who: PrincipalDep,
) -> Response:
    view = _revocable(session, who, stix_id)
    return render(
        request, "record_revoke.html", markings=[view.markings], view=view, kind=KINDS[view.kind]
    )


@router.post("/records/{stix_id}/revoke")
def revoke_record(
    stix_id: str,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    records.revoke(session, node.settings, who, stix_id)
    return redirect(f"/records/{stix_id}")
