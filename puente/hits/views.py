"""HTML views of hit/no-hit: the query form (one subject, or a CSV list), and the answers.

Asking calls the partner node and opens units of work of its own, so the route that asks
resolves its caller outside the request's unit of work (see
:func:`puente.web.deps.principal_outside_unit_of_work`) and holds none while it asks. A good
query redirects to its answer page, which reads the stored query: reloading it asks nothing
again, and the page stays at hand for the follow-up request for information.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from puente.errors import N_, InvalidInput, Problem, PuenteError
from puente.hits import asking
from puente.hits import transport as hit_transport
from puente.hits.labels import CATEGORY_LABELS, key_type_label
from puente.hits.subjects import FIELDS, LISTS, Subject, subjects_from_csv
from puente.i18n import translate
from puente.policy.roles import Principal, require
from puente.web.deps import (
    FormDep,
    NodeDep,
    PrincipalDep,
    PrincipalOutsideDep,
    SessionDep,
)
from puente.web.forms import errors_by_field
from puente.web.pages import page_locale, redirect, render
from puente.web.problems import STATUS

router = APIRouter(include_in_schema=False)

RECENT = 10
SUBJECT_FIELDS = tuple(name for names in FIELDS.values() for name in names)
# Problems about the partner itself (unknown, disabled, unreachable) belong next to its field.
PARTNER_KINDS = frozenset({"not-found", "forbidden", "unavailable"})


@dataclass
class HitForm:
    """The query form's values, as shown and as submitted."""

    partner: str = ""
    case_reference: str = ""
    legal_basis: str = ""
    category: str = ""
    values: dict[str, str] = field(default_factory=dict)
    csv: bytes = b""

    @classmethod
    def parse(cls, form: FormData) -> HitForm:
        upload = form.get("csv")
        data = upload.file.read() if isinstance(upload, UploadFile) else b""
        return cls(
            partner=str(form.get("partner") or ""),
            case_reference=str(form.get("case_reference") or ""),
            legal_basis=str(form.get("legal_basis") or ""),
            category=str(form.get("category") or ""),
            values={name: str(form.get(name) or "") for name in SUBJECT_FIELDS},
            csv=data,
        )

    def subjects(self, max_rows: int) -> list[Subject]:
        """The subject typed in, or the list uploaded; every problem with the form at once."""
        problems = asking.request_problems(self.case_reference, self.legal_basis)
        if not self.partner:
            problems.append(Problem(N_("Choose the partner to ask."), "/partner"))
        filled = {name: value for name, value in self.values.items() if value.strip()}
        subjects: list[Subject] = []
        try:
            if self.csv.strip():
                if filled:
                    raise InvalidInput([Problem(N_("Ask about either the subject typed in or "
                                                   "the list uploaded, not both."), "/csv")])  # fmt: skip
                subjects = subjects_from_csv(self.csv, max_rows=max_rows)
            else:
                data: dict[str, object] = {
                    name: _items(value) if name in LISTS else value
                    for name, value in filled.items()
                }
                subjects = [Subject.from_dict({"category": self.category, **data})]
        except InvalidInput as exc:
            problems += exc.problems
        if problems:
            raise InvalidInput(problems)
        return subjects


def _items(text: str) -> list[str]:
    """A textarea's values: one a line (or separated by ";", as in a CSV cell)."""
    return [item for line in text.splitlines() for item in line.split(";") if item.strip()]


def form_errors(problems: list[Problem], locale: str, kind: str = "") -> dict[str, list[str]]:
    """Each problem under the form field it concerns; a CSV's by line and column."""
    errors: dict[str, list[str]] = {}
    rest: list[Problem] = []
    for problem in problems:
        message = translate(locale, problem.message, **problem.params)
        parts = problem.pointer.split("/")[1:]
        if parts[:1] == ["csv"] and len(parts) > 1:
            if len(parts) > 2:
                message = translate(locale, N_("Line {line}, column {column}: {problem}"),
                                    line=parts[1], column=parts[2], problem=message)  # fmt: skip
            else:
                message = translate(locale, N_("Line {line}: {problem}"), line=parts[1],
                                    problem=message)  # fmt: skip
            errors.setdefault("csv", []).append(message)
        elif parts[:1] == ["subjects"]:
            # The form asks about one subject: what ask() says of subject 0 is the form's.
            tail = "/".join(parts[2:])
            rest.append(Problem(problem.message, f"/{tail}" if tail else "", problem.params))
        elif not parts and kind in PARTNER_KINDS:
            errors.setdefault("partner", []).append(message)
        else:
            rest.append(problem)
    for key, messages in errors_by_field(rest, locale).items():
        errors.setdefault(key, []).extend(messages)
    return errors


def _form_page(
    request: Request,
    session: Session,
    who: Principal,
    form: HitForm,
    errors: dict[str, list[str]],
    status: int = 200,
) -> Response:
    return render(
        request,
        "hits.html",
        status=status,
        form=form,
        errors=errors,
        partners=asking.askable_partners(session, who),
        recent=asking.sent_queries(session, who, RECENT),
        category_labels=CATEGORY_LABELS,
    )


@router.get("/hits", response_class=HTMLResponse)
def hits_page(request: Request, session: SessionDep, who: PrincipalDep) -> Response:
    return _form_page(request, session, who, HitForm(), {})


@router.post("/hits", response_class=HTMLResponse)
def ask(
    request: Request,
    form: FormDep,
    node: NodeDep,
    who: PrincipalOutsideDep,
) -> Response:
    """Ask, then show the answer; a refused query comes back as the form, saying why."""
    require(who, "hits.query")
    values = HitForm.parse(form)
    try:
        subjects = values.subjects(node.settings.hits.max_keys_per_query)
        answer = hit_transport.ask(node, who, values.partner, subjects,
                            case_reference=values.case_reference,
                            legal_basis=values.legal_basis)  # fmt: skip
    except PuenteError as exc:
        errors = form_errors(exc.problems, page_locale(request), exc.kind)
        with node.db.session() as session:
            return _form_page(request, session, who, values, errors, STATUS.get(exc.kind, 400))
    return redirect(f"/hits/queries/{answer.query_id}")


@router.get("/hits/queries/{query_id}", response_class=HTMLResponse)
def answer_page(
    request: Request,
    query_id: str,
    session: SessionDep,
    who: PrincipalDep,
) -> Response:
    query = asking.sent_query(session, who, query_id)
    return render(
        request,
        "hit_answer.html",
        query=query,
        category_labels=CATEGORY_LABELS,
        key_type_label=key_type_label,
    )
