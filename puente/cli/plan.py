"""`puente plan`: the joint action plan — import, export, show, change an element, and record
progress."""

from __future__ import annotations

from pathlib import Path

import typer

from puente.cli.common import (
    ActAs,
    DataDir,
    acting_user,
    cli_locale,
    console,
    handles_errors,
    opened,
    t,
)
from puente.errors import N_, InvalidInput, Problem, read_date

plan_app = typer.Typer(help="The joint action plan: goals, areas, objectives and actions.")


@plan_app.command("import")
@handles_errors
def import_command(
    path: Path = typer.Argument(..., help="A plan file (docs/plan-format.md)."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Bring the plan to what the file says: all of it, or nothing and every problem."""
    from puente.plan import yaml_io

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput([Problem(N_("Cannot read {path}: {reason}"), "",
                                    {"path": str(path), "reason": str(exc)})]) from None  # fmt: skip
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            report = yaml_io.import_plan(session, node, actor, text)
    for line in report.summary():
        console.print(t(line.message, **line.params))


@plan_app.command("export")
@handles_errors
def export_command(
    output: Path | None = typer.Option(None, "--output", "-o", help="Default: standard output."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Write the whole plan (both nodes' elements and updates) as a plan file."""
    from puente.plan import yaml_io

    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            text = yaml_io.export(session, actor)
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        console.print(t("Plan written to {path}.", path=str(output)))


@plan_app.command("show")
@handles_errors
def show_command(data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """The plan as a tree, with each element's status and progress."""
    from puente.plan import reading
    from puente.plan.elements import STATUS_LABELS

    locale = cli_locale()
    with opened(data_dir) as node:
        acting_user(node, act_as)
        with node.db.session() as session:
            roots = reading.tree(session)

    def show(items: list[reading.TreeNode], depth: int) -> None:
        for item in items:
            late = " · " + t("Overdue") if item.overdue else ""
            status = t(STATUS_LABELS[item.status]) if item.element.is_action else ""
            console.print(f"{'  ' * depth}{item.element.code} {item.element.title.get(locale)}"
                          f"  {item.progress}% {status}{late}", highlight=False)  # fmt: skip
            show(item.children, depth + 1)

    show(roots, 0)


@plan_app.command("update")
@handles_errors
def update_command(
    code: str = typer.Argument(..., help="The element's code, e.g. 2.1.3.1."),
    text: str = typer.Option("", "--text", help="What progress was made."),
    status: str = typer.Option(
        ..., "--status", help="not_started, on_track, at_risk, delayed, completed or cancelled"
    ),
    progress: int = typer.Option(..., "--progress", help="0 to 100"),
    language: str = typer.Option("", "--lang", help="en or es (default: yours)"),
    on: str = typer.Option("", "--date", help="YYYY-MM-DD (default: today)"),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Record a dated progress update on an element (this side's or the partner's)."""
    from puente.plan import service

    problems: list[Problem] = []
    day = read_date(on, "/date", problems)
    if problems:
        raise InvalidInput(problems)
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            service.add_update(session, node, actor, code, text=text,
                               language=language or cli_locale(), status=status,
                               progress=progress, on=day)  # fmt: skip
    console.print(t("Progress on {code} recorded.", code=code))


# Each option of `plan set` is the element's field of the same name (puente/plan/fields.py).
SET_FIELDS = ("level", "parent", "title_en", "title_es", "description_en", "description_es",
              "status", "progress", "start_date", "due_date", "lead_usa", "lead_mex",
              "supporting")  # fmt: skip
LEAD_POINTERS = {"/leads": "--lead-usa, --lead-mex", "/leads/USA": "--lead-usa",
                 "/leads/MEX": "--lead-mex"}  # fmt: skip


def _option_pointer(pointer: str) -> str:
    """A problem's pointer as the option to put right (``/0/title/en`` → ``--title-en``)."""
    bare = pointer.removeprefix("/0") or "/"
    for prefix in ("/leads/USA", "/leads/MEX", "/leads"):  # an agency's pointer ends /leads/USA/0
        if bare == prefix or bare.startswith(prefix + "/"):
            return LEAD_POINTERS[prefix]
    name = bare.strip("/").replace("/", "_")
    return "--" + name.replace("_", "-") if name in SET_FIELDS else bare


@plan_app.command("set")
@handles_errors
def set_command(
    code: str = typer.Argument(..., help="The element's code, e.g. 2.1.3.1."),
    level: str | None = typer.Option(None, help="goal, area, objective or action"),
    parent: str | None = typer.Option(None, help="The parent's code: a new one moves it."),
    title_en: str | None = typer.Option(None, help="Title in English"),
    title_es: str | None = typer.Option(None, help="Title in Spanish"),
    description_en: str | None = typer.Option(None, help="Description in English"),
    description_es: str | None = typer.Option(None, help="Description in Spanish"),
    status: str | None = typer.Option(
        None, help="not_started, on_track, at_risk, delayed, completed or cancelled"
    ),
    progress: str | None = typer.Option(None, help="0 to 100"),
    start_date: str | None = typer.Option(None, help="YYYY-MM-DD ('' clears it)"),
    due_date: str | None = typer.Option(None, help="YYYY-MM-DD ('' clears it)"),
    lead_usa: str | None = typer.Option(None, help="United States lead agencies: DEA, CBP"),
    lead_mex: str | None = typer.Option(None, help="Mexico lead agencies: FGR, SSPC"),
    supporting: str | None = typer.Option(None, help="Supporting agencies, either side"),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Create an element of this node's, or change the fields given and keep the rest:
    --parent moves it, --status completed or cancelled closes it."""
    from puente.plan import service

    given = dict(zip(SET_FIELDS, (level, parent, title_en, title_es, description_en,
                                  description_es, status, progress, start_date, due_date,
                                  lead_usa, lead_mex, supporting), strict=True))  # fmt: skip
    changes = {name: value for name, value in given.items() if value is not None}
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        try:
            with node.db.session() as session:
                service.set_element(session, node, actor, code, changes)
        except InvalidInput as exc:
            raise InvalidInput([Problem(p.message, _option_pointer(p.pointer), p.params)
                                for p in exc.problems]) from None  # fmt: skip
    console.print(t("{code} saved.", code=code))


@plan_app.command("gaps")
@handles_errors
def gaps_command(data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """What the assessment must point out, rule by rule (docs/plan-gaps.md)."""
    from puente.plan import gaps

    locale = cli_locale()
    with opened(data_dir) as node:
        acting_user(node, act_as)
        with node.db.session() as session:
            found = gaps.find_gaps(session, node)
    for rule, label in gaps.RULES.items():
        mine = [g for g in found if g.rule == rule]
        console.print(f"[bold]{t(label)}[/]: {len(mine)}")
        for gap in mine:
            console.print(f"  {gaps.describe(gap, locale)}", highlight=False)


@plan_app.command("briefing")
@handles_errors
def briefing_command(
    code: str = typer.Argument(..., help="The meeting's code, e.g. MIN-2027-02."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="A .pdf or .html file; with --all, a folder."
    ),
    language: str = typer.Option("", "--lang", help="en or es (default: yours)"),
    both: bool = typer.Option(False, "--all", help="HTML and PDF in English and Spanish."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Write the briefing for a meeting: its assessment, as PDF or HTML."""
    from puente.plan import assessment, briefing

    locale = language or cli_locale()
    with opened(data_dir) as node:
        acting_user(node, act_as)
        if both:
            with node.db.session() as session:
                assessment.find_meeting(session, code)  # an unknown code stops here
                output.mkdir(parents=True, exist_ok=True)
                written = briefing.write_both_languages(session, node, code, output)
            for path in written:
                console.print(t("Briefing for {code} written to {path}.", code=code,
                                path=str(path)))  # fmt: skip
            return
        with node.db.session() as session:
            if output.suffix.lower() == ".html":
                output.write_text(briefing.render_html(session, node, code, locale),
                                  encoding="utf-8")  # fmt: skip
            else:
                output.write_bytes(briefing.render_pdf(session, node, code, locale))
    console.print(t("Briefing for {code} written to {path}.", code=code, path=str(output)))
