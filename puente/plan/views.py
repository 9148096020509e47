"""HTML views of the joint action plan: the tree, an element with its updates, and the forms
to record progress and to create or change this node's elements."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from puente.errors import N_, InvalidInput, NotFound, Problem
from puente.node import Node
from puente.plan import fields, gaps, reading, service, yaml_io
from puente.plan.elements import (
    EVIDENCE_KINDS,
    EVIDENCE_LABELS,
    LEVEL_LABELS,
    LEVELS,
    STATUS_LABELS,
    STATUSES,
    check,
)
from puente.plan.schemas import UpdateIn
from puente.policy.agencies import for_country
from puente.policy.roles import require
from puente.shapes import beside, read
from puente.web.deps import (
    FormDep,
    NodeDep,
    PrincipalDep,
    SessionDep,
)
from puente.web.forms import errors_by_field
from puente.web.pages import page_locale, redirect, render

router = APIRouter(include_in_schema=False)
LABELS: dict[str, Any] = {
    "status_labels": STATUS_LABELS,
    "level_labels": LEVEL_LABELS,
    "statuses": STATUSES,
    "evidence_labels": EVIDENCE_LABELS,
}


def _find(session: Session, code: str) -> tuple[reading.TreeNode, list[reading.TreeNode]]:
    """The node of ``code`` and its ancestors, root first."""

    def walk(items: list[reading.TreeNode], trail: list[reading.TreeNode]) -> Any:
        for item in items:
            if item.element.code == code:
                return item, trail
            found = walk(item.children, [*trail, item])
            if found:
                return found
        return None

    found = walk(reading.tree(session), [])
    if found is None:
        raise NotFound(N_("No element {code} in the plan."), code=code)
    return found  # type: ignore[no-any-return]


@router.get("/plan", response_class=HTMLResponse)
def plan_page(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    require(who, "records.read")
    return render(request, "plan.html", roots=reading.tree(session),
                  own_node=node.settings.node_id, gaps=_gaps(request, session, node),
                  **LABELS)  # fmt: skip


def _gaps(request: Request, session: Session, node: Node) -> list[tuple[str, list[Any]]]:
    """The gaps, grouped by rule, each as (sentence, link), in the page's language."""
    locale = page_locale(request)
    found = gaps.find_gaps(session, node)
    return [(label, [(gaps.describe(g, locale), g.link) for g in found if g.rule == rule])
            for rule, label in gaps.RULES.items()]  # fmt: skip


@router.get("/plan/export", response_class=Response)
def export_file(session: SessionDep, who: PrincipalDep) -> Response:
    return Response(yaml_io.export(session, who), media_type="application/yaml",
                    headers={"Content-Disposition": 'attachment; filename="plan.yaml"'})  # fmt: skip


@router.post("/plan/import", response_class=HTMLResponse)
def import_file(
    request: Request,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    upload = form.get("file")
    data = upload.file.read() if isinstance(upload, UploadFile) else b""
    try:
        text = data.decode("utf-8")
        with session.begin_nested():
            report = yaml_io.import_plan(session, node, who, text)
    except UnicodeDecodeError:
        errors = {"file": [N_("The plan file must be UTF-8 text.")]}
        errors = errors_by_field([Problem(errors["file"][0], "/file")], page_locale(request))
        return render(request, "plan.html", status=422, roots=reading.tree(session),
                      own_node=node.settings.node_id, import_errors=errors["file"], **LABELS)  # fmt: skip
    except InvalidInput as exc:
        messages = [m for ms in errors_by_field(exc.problems, page_locale(request)).values()
                    for m in ms]  # fmt: skip
        return render(request, "plan.html", status=422, roots=reading.tree(session),
                      own_node=node.settings.node_id, import_errors=messages, **LABELS)  # fmt: skip
    return render(request, "plan.html", roots=reading.tree(session), own_node=node.settings.node_id,
                  import_report=report, **LABELS)  # fmt: skip


@router.get("/plan/{code}", response_class=HTMLResponse)
def element_page(
    request: Request,
    code: str,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    require(who, "records.read")
    return _element_page(request, session, node, code, {}, {})


def _element_page(request: Request, session: Session, node: Node, code: str,
                  errors: dict[str, list[str]], values: dict[str, str],
                  status: int = 200) -> Response:  # fmt: skip
    item, trail = _find(session, code)
    updates = reading.updates(session, item.element.stix_id)
    return render(request, "plan_element.html", status=status, item=item, trail=trail,
                  updates=list(reversed(updates)), own_node=node.settings.node_id, errors=errors,
                  values=values, today=date.today().isoformat(), on=date.today(),
                  **LABELS)  # fmt: skip


@router.post("/plan/{code}/updates", response_class=HTMLResponse)
def add_update(
    request: Request,
    code: str,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    values = {k: str(form.get(k) or "") for k in ("text", "status", "progress", "date")}
    try:
        update = read(UpdateIn, values | {"language": page_locale(request)})
        with session.begin_nested():
            service.add_update(session, node, who, code, text=update.text,
                               language=update.language, status=update.status,
                               progress=update.progress, on=update.date)  # fmt: skip
    except InvalidInput as exc:
        errors = errors_by_field(exc.problems, page_locale(request))
        return _element_page(request, session, node, code, errors, values, 422)
    return redirect(f"/plan/{code}")


# -- creating and changing this node's elements ---------------------------------------------------


# An action's milestones and evidence are rows of fields, ``milestone-0-title_en`` and
# ``evidence-1-ref``: one per item, then BLANK_ROWS empty ones to add more. A row left blank
# is ignored, so clearing a row removes its item.
def _row_values(form: FormData) -> dict[str, str]:
    """The milestone and evidence rows' fields the form sent (rows past fields.MAX_ROWS ignored)."""
    values = {}
    for name in form:
        found = fields.ROW_FIELD.fullmatch(name)
        if found and found[3] in fields.ROWS[found[1]] and int(found[2]) < fields.MAX_ROWS:
            values[name] = str(form.get(name) or "")
    return values


def _row_count(values: dict[str, str], kind: str) -> int:
    """How many ``kind`` rows the form shows: up to the last filled one, then BLANK_ROWS."""
    filled = [int(found[2]) for name, value in values.items()
              if (found := fields.ROW_FIELD.fullmatch(name)) and found[1] == kind and value.strip()]  # fmt: skip
    return max(filled, default=-1) + 1 + BLANK_ROWS


BLANK_ROWS = 2
ALREADY_RECORDED = N_("{code} is already recorded: change it with Edit on its page.")
# Service pointers → the form's fields.
POINTERS = {"/title/en": "/title_en", "/title/es": "/title_es", "/leads": "/lead_usa",
            "/leads/USA": "/lead_usa", "/leads/MEX": "/lead_mex"}  # fmt: skip
# A milestone's or evidence item's pointer (``/milestones/1/title/en``) → its row's field.
ROW_POINTER = re.compile(r"/(milestone|evidence)s?/([0-9]+)(?:/([a-z_]+))?(?:/(en|es))?")


def _form_page(request: Request, values: dict[str, str], errors: dict[str, list[str]],
               editing: str, status: int = 200) -> Response:  # fmt: skip
    agencies = {country: [a.code for a in for_country(country)] for country in ("USA", "MEX")}
    return render(request, "plan_form.html", status=status, values=values, errors=errors,
                  editing=editing, levels=LEVELS, agencies=agencies,
                  milestone_rows=_row_count(values, "milestone"),
                  evidence_rows=_row_count(values, "evidence"), evidence_kinds=EVIDENCE_KINDS,
                  **LABELS)  # fmt: skip


@router.get("/plan-new", response_class=HTMLResponse)
def new_form(request: Request, who: PrincipalDep) -> Response:
    require(who, "plan.write")
    return _form_page(
        request, fields.field_values(None, request.query_params.get("parent", "")), {}, ""
    )


@router.get("/plan/{code}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, code: str, session: SessionDep,
    node: NodeDep, who: PrincipalDep,
) -> Response:  # fmt: skip
    require(who, "plan.write")
    item, _ = _find(session, code)
    service.require_writer(node, code, item.owner_node)
    return _form_page(request, fields.field_values(item.element, ""), {}, code)


@router.post("/plan-save", response_class=HTMLResponse)
def save(
    request: Request,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    require(who, "plan.write")
    values = {name: str(form.get(name) or "") for name in fields.FORM_FIELDS} | _row_values(form)
    editing = str(form.get("editing") or "")
    if editing:  # an edit keeps its code, whatever a crafted form sends
        values["code"] = editing
    kept = _find(session, editing)[0].element if editing else None
    element, problems, rows = fields.element_from(values, kept)
    if not editing and service.owner_of(session, element.code) is not None:
        problems.append(Problem(ALREADY_RECORDED, "/code", {"code": element.code}))
    try:
        if problems:  # what the form could not read, with what the element's rules say
            raise InvalidInput(problems + beside(check(element), problems))
        with session.begin_nested():
            service.save_elements(session, node, who, [element], base="")
    except InvalidInput as exc:
        moved = [Problem(p.message, _form_pointer(p.pointer, rows), p.params)
                 for p in exc.problems]  # fmt: skip
        errors = errors_by_field(moved, page_locale(request))
        return _form_page(request, values, errors, editing, 422)
    return redirect(f"/plan/{element.code}")


def _form_pointer(pointer: str, rows: fields.RowMap | None = None) -> str:
    """The form field a service problem's pointer concerns; ``rows`` maps the element's
    milestones and evidence to the form's rows."""
    bare = pointer[2:] if pointer.startswith("/0/") else pointer.removeprefix("/0")
    bare = "/" + bare.lstrip("/")
    found = ROW_POINTER.fullmatch(bare)
    if found:
        kind, index, name = found[1], int(found[2]), found[3] or ""
        numbers = (rows or {}).get(kind, [])
        row = numbers[index] if index < len(numbers) else index
        name = f"title_{found[4] or 'en'}" if name == "title" else name
        return f"/{kind}-{row}-{name if name in fields.ROWS[kind] else fields.ROWS[kind][0]}"
    for prefix, target in POINTERS.items():
        if bare == prefix or bare.startswith(prefix + "/"):
            return target
    return bare
