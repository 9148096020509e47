"""HTML views of the joint action plan: the tree, an element with its updates, and the forms
to record progress and to create or change this node's elements."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from puente.accounts.agencies import for_country
from puente.accounts.service import Principal, require
from puente.errors import N_, InvalidInput, NotFound, Problem
from puente.node import Node
from puente.plan import gaps, reading, service, yaml_io
from puente.plan.elements import (
    EVIDENCE_KINDS,
    EVIDENCE_LABELS,
    LEVEL_LABELS,
    LEVELS,
    STATUS_LABELS,
    STATUSES,
    Element,
    Evidence,
    Milestone,
    Text,
    check,
)
from puente.web.deps import db_session, form_data, get_node, principal
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
    session: Session = db_session,
    node: Node = Depends(get_node),
    who: Principal = Depends(principal),
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
def export_file(session: Session = db_session, who: Principal = Depends(principal)) -> Response:
    return Response(yaml_io.export(session, who), media_type="application/yaml",
                    headers={"Content-Disposition": 'attachment; filename="plan.yaml"'})  # fmt: skip


@router.post("/plan/import", response_class=HTMLResponse)
def import_file(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = db_session,
    node: Node = Depends(get_node),
    who: Principal = Depends(principal),
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
    session: Session = db_session,
    node: Node = Depends(get_node),
    who: Principal = Depends(principal),
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
    form: FormData = Depends(form_data),
    session: Session = db_session,
    node: Node = Depends(get_node),
    who: Principal = Depends(principal),
) -> Response:
    values = {k: str(form.get(k) or "") for k in ("text", "status", "progress", "date")}
    problems: list[Problem] = []
    progress = int(values["progress"]) if values["progress"].isdigit() else -1
    try:
        on = date.fromisoformat(values["date"]) if values["date"] else None
    except ValueError:
        problems.append(Problem(N_("{value} is not a date: write YYYY-MM-DD."), "/date",
                                {"value": values["date"]}))  # fmt: skip
        on = None
    try:
        if problems:
            raise InvalidInput(problems)
        with session.begin_nested():
            service.add_update(session, node, who, code, text=values["text"],
                               language=page_locale(request), status=values["status"],
                               progress=progress, on=on)  # fmt: skip
    except InvalidInput as exc:
        errors = errors_by_field(exc.problems, page_locale(request))
        return _element_page(request, session, node, code, errors, values, 422)
    return redirect(f"/plan/{code}")


# -- creating and changing this node's elements ---------------------------------------------------


# An action's milestones and evidence are rows of fields, ``milestone-0-title_en`` and
# ``evidence-1-ref``: one per item, then BLANK_ROWS empty ones to add more. A row left blank
# is ignored, so clearing a row removes its item.
MILESTONE_FIELDS = ("title_en", "title_es", "due_date", "done_date")
EVIDENCE_FIELDS = ("kind", "ref", "label")
ROWS = {"milestone": MILESTONE_FIELDS, "evidence": EVIDENCE_FIELDS}
ROW_FIELD = re.compile(r"(milestone|evidence)-([0-9]{1,3})-([a-z_]+)")
BLANK_ROWS = 2
MAX_ROWS = 200


def _day_text(day: date | None) -> str:
    return day.isoformat() if day else ""


def _form_values(element: Element | None, parent: str) -> dict[str, str]:
    if element is None:
        level = LEVELS[min(parent.count(".") + 1, 3)] if parent else "goal"
        return {"parent": parent, "level": level, "status": "not_started", "progress": "0"}
    values = {
        "code": element.code, "level": element.level, "parent": element.parent_code,
        "title_en": element.title.en, "title_es": element.title.es,
        "description_en": element.description.en, "description_es": element.description.es,
        "status": element.status, "progress": str(element.progress),
        "start_date": _day_text(element.start_date), "due_date": _day_text(element.due_date),
        "lead_usa": ", ".join(element.leads.get("USA", [])),
        "lead_mex": ", ".join(element.leads.get("MEX", [])),
        "supporting": ", ".join(element.supporting),
    }  # fmt: skip
    for index, m in enumerate(element.milestones):
        items = (m.title.en, m.title.es, _day_text(m.due_date), _day_text(m.done_date))
        values |= _row(f"milestone-{index}-", MILESTONE_FIELDS, items)
    for index, e in enumerate(element.evidence):
        values |= _row(f"evidence-{index}-", EVIDENCE_FIELDS, (e.kind, e.ref, e.label))
    return values


def _row(prefix: str, names: tuple[str, ...], items: tuple[str, ...]) -> dict[str, str]:
    return {prefix + name: item for name, item in zip(names, items, strict=True)}


def _row_values(form: FormData) -> dict[str, str]:
    """The milestone and evidence rows' fields the form sent (rows past MAX_ROWS ignored)."""
    values = {}
    for name in form:
        found = ROW_FIELD.fullmatch(name)
        if found and found[3] in ROWS[found[1]] and int(found[2]) < MAX_ROWS:
            values[name] = str(form.get(name) or "")
    return values


def _row_count(values: dict[str, str], kind: str) -> int:
    """How many ``kind`` rows the form shows: up to the last filled one, then BLANK_ROWS."""
    filled = [int(found[2]) for name, value in values.items()
              if (found := ROW_FIELD.fullmatch(name)) and found[1] == kind and value.strip()]  # fmt: skip
    return max(filled, default=-1) + 1 + BLANK_ROWS


def _rows(values: dict[str, str], kind: str) -> Iterable[tuple[int, dict[str, str]]]:
    """Each row of ``kind`` that is not blank: its number and its fields, stripped."""
    count = max((int(found[2]) + 1 for name in values
                 if (found := ROW_FIELD.fullmatch(name)) and found[1] == kind), default=0)  # fmt: skip
    for index in range(count):
        row = {name: values.get(f"{kind}-{index}-{name}", "").strip() for name in ROWS[kind]}
        if any(row.values()):
            yield index, row


def _split(text: str) -> list[str]:
    return [part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip()]


# Which form row each of the element's milestones and evidence items came from.
RowMap = dict[str, list[int]]


def _element_from(values: dict[str, str],
                  kept: Element | None) -> tuple[Element, list[Problem], RowMap]:  # fmt: skip
    """The element the form describes, the values it could not read, and the rows' map.

    A form without any milestone (or evidence) field keeps the element's own ``kept`` ones.
    """
    problems: list[Problem] = []

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(values[name]) if values.get(name) else None
        except ValueError:
            problems.append(Problem(N_("{value} is not a date: write YYYY-MM-DD."), f"/{name}",
                                    {"value": values[name]}))  # fmt: skip
            return None

    progress = values.get("progress", "0") or "0"
    if not progress.isdigit():
        problems.append(Problem(N_("{value} is not a whole number."), "/progress",
                                {"value": progress}))  # fmt: skip
    leads = {"USA": _split(values.get("lead_usa", "")), "MEX": _split(values.get("lead_mex", ""))}
    rows: RowMap = {"milestone": [], "evidence": []}
    milestones, evidence = (kept.milestones, kept.evidence) if kept else ([], [])
    if any(name.startswith("milestone-") for name in values):
        milestones = []
        for index, row in _rows(values, "milestone"):
            rows["milestone"].append(index)
            milestones.append(Milestone(Text(row["title_en"], row["title_es"]),
                                        day(f"milestone-{index}-due_date"),
                                        day(f"milestone-{index}-done_date")))  # fmt: skip
    if any(name.startswith("evidence-") for name in values):
        evidence = []
        for index, row in _rows(values, "evidence"):
            rows["evidence"].append(index)
            evidence.append(Evidence(row["kind"], row["ref"], row["label"]))
    element = Element(
        level=values.get("level", ""), code=values.get("code", "").strip(),
        title=Text(values.get("title_en", ""), values.get("title_es", "")),
        description=Text(values.get("description_en", ""), values.get("description_es", "")),
        parent_code=values.get("parent", "").strip(), status=values.get("status", "not_started"),
        progress=int(progress) if progress.isdigit() else 0, start_date=day("start_date"),
        due_date=day("due_date"), leads={c: a for c, a in leads.items() if a},
        supporting=_split(values.get("supporting", "")),
        milestones=milestones, evidence=evidence,
    )  # fmt: skip
    return element, problems, rows


FORM_FIELDS = ("code", "level", "parent", "title_en", "title_es", "description_en",
               "description_es", "status", "progress", "start_date", "due_date", "lead_usa",
               "lead_mex", "supporting")  # fmt: skip
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
def new_form(request: Request, who: Principal = Depends(principal)) -> Response:
    require(who, "plan.write")
    return _form_page(request, _form_values(None, request.query_params.get("parent", "")), {}, "")


@router.get("/plan/{code}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, code: str, session: Session = db_session,
    who: Principal = Depends(principal),
) -> Response:  # fmt: skip
    require(who, "plan.write")
    item, _ = _find(session, code)
    return _form_page(request, _form_values(item.element, ""), {}, code)


@router.post("/plan-save", response_class=HTMLResponse)
def save(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = db_session,
    node: Node = Depends(get_node),
    who: Principal = Depends(principal),
) -> Response:
    values = {name: str(form.get(name) or "") for name in FORM_FIELDS} | _row_values(form)
    editing = str(form.get("editing") or "")
    kept = _find(session, editing)[0].element if editing else None
    element, problems, rows = _element_from(values, kept)
    try:
        if problems:  # what the form could not read, with what the element's rules say
            raise InvalidInput(problems + check(element, "/0"))
        with session.begin_nested():
            service.save_elements(session, node, who, [element], base="")
    except InvalidInput as exc:
        moved = [Problem(p.message, _form_pointer(p.pointer, rows), p.params)
                 for p in exc.problems]  # fmt: skip
        errors = errors_by_field(moved, page_locale(request))
        return _form_page(request, values, errors, editing, 422)
    return redirect(f"/plan/{element.code}")


def _form_pointer(pointer: str, rows: RowMap | None = None) -> str:
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
        return f"/{kind}-{row}-{name if name in ROWS[kind] else ROWS[kind][0]}"
    for prefix, target in POINTERS.items():
        if bare == prefix or bare.startswith(prefix + "/"):
            return target
    return bare
