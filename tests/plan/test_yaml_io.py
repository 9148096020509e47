"""The plan file: imported all or nothing with errors that name the line, exported losslessly."""

from __future__ import annotations

from pathlib import Path

import pytest

from puente.errors import InvalidInput
from puente.i18n import translate
from puente.node import Node
from puente.plan import reading, yaml_io
from puente.policy.roles import Principal
from tests.support.nodes import add_user

SAMPLE = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")


@pytest.fixture
def coordinator(node: Node) -> Principal:
    return add_user(node, "laura", "INL", ["coordinator"])


def _import(node: Node, who: Principal, text: str) -> yaml_io.ImportReport:
    with node.db.session() as session:
        return yaml_io.import_plan(session, node, who, text)


def _export(node: Node, who: Principal) -> str:
    with node.db.session() as session:
        return yaml_io.export(session, who)


def _messages(exc: pytest.ExceptionInfo[InvalidInput], locale: str = "en") -> list[str]:
    return [translate(locale, p.message, **p.params) for p in exc.value.problems]


def test_a_plan_imports_and_exports_again_without_losing_anything(
    node: Node, coordinator: Principal
) -> None:
    report = _import(node, coordinator, SAMPLE)
    assert (report.created, report.updates_added) == (4, 1)
    exported = _export(node, coordinator)
    again = _import(node, coordinator, exported)
    assert (again.created, again.changed, again.unchanged, again.updates_added) == (0, 0, 4, 0)
    assert _export(node, coordinator) == exported
    with node.db.session() as session:
        (goal,) = reading.tree(session)
    action = goal.children[0].children[0].children[0]
    assert action.element.leads == {"USA": ["DEA"], "MEX": ["FGR"]}
    assert action.element.milestones[0].title.es == "Célula integrada"
    assert (action.status, action.progress) == ("on_track", 45)  # the latest update's
    assert goal.progress == 45  # rolled up


def test_changing_an_element_makes_a_new_version(node: Node, coordinator: Principal) -> None:
    _import(node, coordinator, SAMPLE)
    changed = SAMPLE.replace('progress: "40"', 'progress: "60"')
    report = _import(node, coordinator, changed)
    assert (report.changed, report.unchanged) == (1, 3)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("parent: \"1.1.1\"", "parent: \"9.9.9\""),
         "Line 19: No element 9.9.9 in the plan to be the parent."),
        (("leads: {USA: [DEA], MEX: [FGR]}", "leads: {}"),
         "Line 25: An action needs a lead agency on at least one side."),
        (("due_date: \"2026-12-31\"", "due_date: \"2025-12-31\""),
         "Line 24: The due date comes before the start date."),
        (("supporting: [CBP, ANAM]", "supporting: [CBP, XYZ]"),
         "Line 26: Unknown agency XYZ."),
        (("leads: {USA: [DEA], MEX: [FGR]}", "leads: {USA: [DEA], MEX: [DEA]}"),
         "Line 25: DEA is not an agency of MEX."),
        (("start_date: \"2026-01-15\"", "start_date: \"15/01/2026\""),
         "Line 23: 15/01/2026 is not a date: write YYYY-MM-DD."),
        (("  - code: \"1.1\"\n    level: area\n    parent: \"1\"",
          "  - code: \"1.1\"\n    level: area\n    parent: \"1.1.1\""),
         "The parents form a cycle"),
        (("elements:", "elements: [\n"), "this is not valid YAML"),
        (("done_date: \"2026-02-20\"", "done_date: \"2025-12-20\""),
         "Line 30: A milestone cannot be done before the action starts (2026-01-15)."),
        (("ref: https://www.state.gov/", "ref: \"\""),
         "Line 33: Evidence needs a reference: a record id, a document's reference or a URL."),
        (("ref: https://www.state.gov/", "ref: ftp://www.state.gov/"),
         "Line 33: A URL starts with https:// or http://."),
        (('progress: "40"', 'progress: "²"'), "Line 22: ² is not a whole number."),
        (('progress: "40"', f'progress: "{"9" * 5000}"'), "is not a whole number."),
        (('start_date: "2026-01-15"', 'start_date: "20260115"'),
         "Line 23: 20260115 is not a date: write YYYY-MM-DD."),
        (("supporting: [CBP, ANAM]", "supporting: &s [CBP, ANAM]\n    extra: *s"),
         "Line 27: a plan file may not repeat a part by alias (*s); write it out."),
        (("status: on_track\n    progress", "status: on_track\n    status: at_risk\n    progress"),
         "Line 22: status is given twice."),
        (("    milestones:\n      - title: {en: Cell staffed, es: Célula integrada}\n"
          "        due_date: \"2026-03-01\"\n        done_date: \"2026-02-20\"\n",
          "    milestones: Cell staffed\n"), "Line 27: milestones must be a list."),
        (('  - element: "1.1.1.1"', '  - element: "9.9"'), "Line 36: No element 9.9 in the plan."),
        (('date: "2026-11-20"', 'date: "2999-01-01"'),
         "2999-01-01 is ahead of today: date an update when the work was done."),
        (("elements:", "elements: " + "[" * 3000 + "]" * 3000 + "\nrest:"),
         "The file nests lists or mappings too deeply to be a plan."),
        (("    description:\n", "    leads: {usa: [DEA]}\n    description:\n"),
         "Line 14: Leads are given per country: USA or MEX, not usa."),
    ],
    ids=["dangling parent", "no lead", "dates out of order", "unknown agency",
         "agency of the other country", "bad date", "cycle", "truncated",
         "milestone done before the start", "evidence without a reference", "ftp evidence",
         "superscript progress", "five thousand digits", "date without dashes", "alias",
         "field twice", "milestones as text", "update on no element", "update dated ahead",
         "nested too deeply", "objective leads per country"],
)  # fmt: skip
def test_bad_input_names_the_line_and_imports_nothing(
    node: Node, coordinator: Principal, edit: tuple[str, str], expected: str
) -> None:
    old, new = edit
    assert old in SAMPLE
    with pytest.raises(InvalidInput) as refused:
        _import(node, coordinator, SAMPLE.replace(old, new, 1))
    assert any(expected in m for m in _messages(refused)), _messages(refused)
    with node.db.session() as session:
        assert reading.elements(session) == []  # nothing half-imported


def test_errors_read_in_spanish_too(node: Node, coordinator: Principal) -> None:
    with pytest.raises(InvalidInput) as refused:
        _import(node, coordinator, SAMPLE.replace("supporting: [CBP, ANAM]", "supporting: [XYZ]"))
    assert _messages(refused, "es") == ["Línea 26: Dependencia desconocida: XYZ."]


def test_only_coordinators_import(node: Node) -> None:
    from puente.errors import Forbidden

    analyst = add_user(node, "ana", "CBP", ["analyst"])
    with pytest.raises(Forbidden):
        _import(node, analyst, SAMPLE)


def test_text_is_kept_as_written_so_a_second_import_changes_nothing(
    node: Node, coordinator: Principal
) -> None:
    spaced = SAMPLE.replace("title: {en: Joint precursor targeting cell,",
                            'title: {en: "Joint precursor targeting cell ",')  # fmt: skip
    _import(node, coordinator, spaced)
    again = _import(node, coordinator, _export(node, coordinator))
    assert (again.changed, again.unchanged) == (0, 4)


def test_a_file_from_another_plan_is_refused_with_what_to_do(
    node: Node, coordinator: Principal
) -> None:
    _import(node, coordinator, SAMPLE)
    exported = _export(node, coordinator)
    with node.db.session() as session:
        goal = reading.elements(session)[0][0]
    foreign = exported.replace(
        goal.stix_id, "x-puente-plan-element--" + "1" * 8 + "-1111-4111-8111-" + "1" * 12
    )
    with pytest.raises(InvalidInput) as refused:
        _import(node, coordinator, foreign)
    (message,) = _messages(refused)
    assert message.endswith("The id of 1 is not the one this plan holds: the file comes from "
                            "another plan; leave its ids out to load its elements as new.")  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "expected"),
    [(("        label: Joint statement\n", "        label: Joint statement\n        colour: red\n"),
      "Line 35: Unknown field colour."),
     (("title: {en: Cell staffed, es: Célula integrada}",
       "title: {en: Cell staffed, es: Célula integrada, fr: Cellule}"), "Line 28: Unknown field fr."),
     (('    progress: "45"\n', ""), "Line 36: This field is required."),
     (("    evidence:\n      - kind: url", "    evidence:\n      - url\n      - kind: url"),
      "Line 32: Each entry of evidence is a mapping of fields.")],
    ids=["unknown field of evidence", "a third language", "update without progress",
         "evidence not a mapping"],
)  # fmt: skip
def test_an_entry_is_read_as_the_api_reads_it(
    node: Node, coordinator: Principal, edit: tuple[str, str], expected: str
) -> None:
    assert edit[0] in SAMPLE
    with pytest.raises(InvalidInput) as refused:
        _import(node, coordinator, SAMPLE.replace(*edit, 1))
    assert _messages(refused) == [expected]


@pytest.mark.parametrize(
    ("written", "escape"),
    [('"Proteger \\ud800"', "\\ud800"), ('"\\udfff y \\U0000DC00"', "\\udfff"),
     ('{"\\ud83d": x}', "\\ud83d")],
)  # fmt: skip
def test_a_lone_surrogate_escape_is_refused_at_its_line(
    node: Node, coordinator: Principal, written: str, escape: str
) -> None:
    """Issue 14: YAML's "\\ud800" made a string no UTF-8 holds: a 500 when it was stored."""
    text = SAMPLE.replace("es: Proteger a nuestra gente", f"es: {written}", 1)
    with pytest.raises(InvalidInput) as refused:
        _import(node, coordinator, text)
    (message,) = _messages(refused)
    assert message.startswith(f"{escape} at line 5, column ")
    with node.db.session() as session:
        assert reading.tree(session) == []


def test_a_nul_character_is_refused_at_its_line(node: Node, coordinator: Principal) -> None:
    """Issue 14: YAML's "\\0" reached a text column PostgreSQL refuses: a 500."""
    text = SAMPLE.replace("es: Proteger a nuestra gente", 'es: "Proteger\\0"', 1)
    with pytest.raises(InvalidInput) as refused:
        _import(node, coordinator, text)
    assert _messages(refused) == ["Line 5: Text here cannot hold a NUL character (U+0000)."]
