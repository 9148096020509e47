"""HTML views of the plan's meetings: the list by date, one meeting with its agenda,
decisions, participants, the actions it created or re-assigned and the expectations it
adopted, and the form to record or change this node's meetings."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from puente.errors import N_, InvalidInput, Problem
from puente.i18n import translate
from puente.node import Node
from puente.plan import assessment, briefing, service
from puente.plan.meetings import KIND_LABELS, KINDS, Expectation, Meeting, check
from puente.plan.schemas import ExpectationIn, MeetingIn
from puente.policy.roles import Principal, require
from puente.shapes import beside, read, read_partly
from puente.web.deps import (
    FormDep,
    NodeDep,
    PrincipalDep,
    SessionDep,
)
from puente.web.forms import errors_by_field
from puente.web.pages import page_locale, redirect, render

MAX_EXPECTATIONS = 200  # rows of a draft read at most

router = APIRouter(include_in_schema=False)


@router.get("/meetings", response_class=HTMLResponse)
def meetings_page(request: Request, session: SessionDep, who: PrincipalDep) -> Response:
    require(who, "records.read")
    return render(request, "meetings.html", meetings=service.meetings(session),
                  kind_labels=KIND_LABELS)  # fmt: skip


@router.get("/meetings/{code}", response_class=HTMLResponse)
def meeting_page(
    request: Request, code: str, session: SessionDep,
    node: NodeDep, who: PrincipalDep,
) -> Response:  # fmt: skip
    require(who, "records.read")
    return _meeting(request, session, node, who, code, [])


def _meeting(request: Request, session: Session, node: Node, who: Principal, code: str,
             errors: list[str], status: int = 200) -> Response:  # fmt: skip
    meeting, owner = service.get_meeting(session, code)
    mine = owner == node.settings.node_id and who.can("plan.write")
    draft = assessment.assess(session, node, code).draft if mine else []
    return render(request, "meeting.html", status=status, meeting=meeting, owner=owner,
                  kind_labels=KIND_LABELS, draft=draft, may_adopt=mine, may_edit=mine,
                  errors=errors)  # fmt: skip


@router.get("/meetings/{code}/briefing", response_class=HTMLResponse)
def briefing_page(
    request: Request, code: str, session: SessionDep,
    node: NodeDep, who: PrincipalDep,
) -> Response:  # fmt: skip
    require(who, "records.read")
    html = briefing.render_html(session, node, code, page_locale(request), links=True)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/meetings/{code}/briefing.pdf")
def briefing_pdf(
    request: Request, code: str, session: SessionDep,
    node: NodeDep, who: PrincipalDep,
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
    request: Request, code: str, form: FormDep,
    session: SessionDep, node: NodeDep,
    who: PrincipalDep,
) -> Response:  # fmt: skip
    """Adopt the expectations the coordinator kept (and edited) from the draft."""
    require(who, "plan.write")
    meeting, _ = assessment.find_meeting(session, code)
    adopted: list[Expectation] = []
    problems: list[Problem] = []
    count = str(form.get("count") or "0")
    kept = [index for index in range(min(int(count), MAX_EXPECTATIONS) if count.isdigit() else 0)
            if form.get(f"adopt-{index}") == "1"]  # fmt: skip
    for position, index in enumerate(kept):
        given = {"text": {"en": str(form.get(f"en-{index}") or ""),
                          "es": str(form.get(f"es-{index}") or "")},
                 "subject": str(form.get(f"subject-{index}") or ""),
                 "due_date": str(form.get(f"due-{index}") or "")}  # fmt: skip
        try:
            adopted.append(read(ExpectationIn, given, f"/expectations/{position}").expectation())
        except InvalidInput as exc:
            problems += exc.problems
    try:
        if problems:
            raise InvalidInput(problems)
        with session.begin_nested():
            service.save_meetings(session, node, who, [replace(meeting, expectations=adopted)])
    except InvalidInput as exc:
        locale = page_locale(request)
        errors = [translate(locale, p.message, **p.params)
                  for p in exc.problems]  # fmt: skip
        return _meeting(request, session, node, who, code, errors, 422)
    return redirect(f"/meetings/{code}")


# -- recording and changing this node's meetings --------------------------------------------------

FORM_FIELDS = ("code", "kind", "title_en", "title_es", "date", "place", "participants", "agenda",
               "decisions", "actions")  # fmt: skip
LINES = ("participants", "agenda", "decisions")  # one entry a line


def _form_values(meeting: Meeting | None) -> dict[str, str]:
    if meeting is None:
        return {"kind": KINDS[0]}
    return {
        "code": meeting.code, "kind": meeting.kind, "title_en": meeting.title.en,
        "title_es": meeting.title.es, "date": meeting.on.isoformat(), "place": meeting.place,
        "participants": "\n".join("; ".join((p.name, p.role, p.agency)).rstrip("; ")
                                  for p in meeting.participants),
        "agenda": "\n".join(f"{item.en} | {item.es}" for item in meeting.agenda),
        "decisions": "\n".join(f"{item.en} | {item.es}" for item in meeting.decisions),
        "actions": ", ".join(meeting.actions),
    }  # fmt: skip


def _lines(text: str) -> list[tuple[int, str]]:
    """The non-blank lines of a textarea, each with its number (from 1)."""
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)
            if line.strip()]  # fmt: skip


def _meeting_from(values: dict[str, str], kept: Meeting | None,
                  ) -> tuple[Meeting, list[Problem], dict[str, list[int]]]:  # fmt: skip
    """The meeting the form describes (read by the API's :class:`MeetingIn`), what is wrong
    with how it is written, and the line of each entry of the fields written one entry a
    line."""
    problems: list[Problem] = []
    lines: dict[str, list[int]] = {name: [] for name in LINES}
    people: list[dict[str, str]] = []
    for number, line in _lines(values["participants"]):
        parts = [part.strip() for part in line.split(";")]
        if len(parts) > 3:
            problems.append(Problem(N_("Write a participant as: Name; role; AGENCY."),
                                    f"/participants/{len(people)}"))  # fmt: skip
        name, role, agency = (*parts, "", "")[:3]
        people.append({"name": name, "role": role, "agency": agency})
        lines["participants"].append(number)

    def texts(field: str) -> list[dict[str, str]]:
        items: list[dict[str, str]] = []
        for number, line in _lines(values[field]):
            # At the last bar: an English text with a bar of its own (written through the
            # API or a plan file) reads back as it was written.
            en, bar, es = line.rpartition("|")
            if not (bar and en.strip() and es.strip()):
                problems.append(Problem(N_("Write it in English and in Spanish, separated by a "
                                           "vertical bar: English | Español."),
                                        f"/{field}/{len(items)}"))  # fmt: skip
            items.append({"en": en.strip(), "es": es.strip()})
            lines[field].append(number)
        return items

    data = {
        "code": values["code"].strip().upper(), "kind": values["kind"],
        "title": {"en": values["title_en"].strip(), "es": values["title_es"].strip()},
        "date": values["date"], "place": values["place"].strip(), "participants": people,
        "agenda": texts("agenda"), "decisions": texts("decisions"),
        "actions": [code for code in re.split(r"[\s,;]+", values["actions"]) if code],
    }  # fmt: skip
    # Never saved: a missing or wrong date is a problem; the stand-in lets the rules check
    # the rest of the form.
    shape, unread = read_partly(MeetingIn, data, stand_ins={"date": date.min})
    assert shape is not None  # every other field has a default
    return shape.meeting(kept), problems + unread, lines


def _on_form(problem: Problem, lines: dict[str, list[int]], values: dict[str, str]) -> Problem:
    """A problem with the meeting (``/0/agenda/1``) as one of the form's (``/agenda``, on
    its line)."""
    pointer = problem.pointer
    pointer = pointer[2:] if pointer.startswith("/0/") else pointer.removeprefix("/0")
    parts = [part for part in pointer.split("/") if part]
    name = parts[0] if parts else ""
    if name in LINES and len(parts) > 1 and parts[1].isdigit():
        number = lines[name][int(parts[1])] if int(parts[1]) < len(lines[name]) else 0
        return Problem(N_("Line {line}: {problem}"), f"/{name}",
                       {"line": number, "problem": problem})  # fmt: skip
    if name == "title":
        name = "title_es" if values["title_en"].strip() else "title_en"
    elif name not in FORM_FIELDS:  # the expectations, adopted on the meeting's page
        name = ""
    return Problem(problem.message, f"/{name}" if name else "", problem.params)


def _form_page(request: Request, values: dict[str, str], errors: dict[str, list[str]],
               editing: str, status: int = 200) -> Response:  # fmt: skip
    return render(request, "meeting_form.html", status=status, values=values, errors=errors,
                  editing=editing, kinds=KINDS, kind_labels=KIND_LABELS)  # fmt: skip


@router.get("/meetings-new", response_class=HTMLResponse)
def new_form(request: Request, who: PrincipalDep) -> Response:
    require(who, "plan.write")
    return _form_page(request, _form_values(None), {}, "")


@router.get("/meetings/{code}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, code: str, session: SessionDep,
    node: NodeDep, who: PrincipalDep,
) -> Response:  # fmt: skip
    require(who, "plan.write")
    meeting, owner = service.get_meeting(session, code)
    service.require_writer(node, code, owner)
    return _form_page(request, _form_values(meeting), {}, code)


@router.post("/meetings-save", response_class=HTMLResponse)
def save(
    request: Request, form: FormDep, session: SessionDep,
    node: NodeDep, who: PrincipalDep,
) -> Response:  # fmt: skip
    require(who, "plan.write")
    values = {name: str(form.get(name) or "") for name in FORM_FIELDS}
    editing = str(form.get("editing") or "")
    if editing:  # an edit keeps its code, whatever a crafted form sends
        values["code"] = editing
    kept = service.meeting(session, editing) if editing else None
    meeting, problems, lines = _meeting_from(values, kept[0] if kept else None)
    try:
        found = None if editing else service.meeting(session, meeting.code)
        if found is not None and found[1] == node.settings.node_id:
            problems.append(Problem(N_("Meeting {code} is already recorded: change it with Edit "
                                       "on its page."), "/code", {"code": meeting.code}))  # fmt: skip
        if problems:
            raise InvalidInput(problems + beside(check(meeting), problems))
        with session.begin_nested():
            service.save_meetings(session, node, who, [meeting], base="")
    except InvalidInput as exc:
        moved = [_on_form(p, lines, values) for p in exc.problems]
        errors = errors_by_field(moved, page_locale(request))
        return _form_page(request, values, errors, editing, 422)
    return redirect(f"/meetings/{meeting.code}")
