"""The shapes every edge reads input with: scalars as text or JSON values, dates, whole numbers
and figures read one way, and each refusal a message id at a JSON pointer, never pydantic's
English."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pytest
from pydantic import Field

from puente.errors import InvalidInput, Problem
from puente.i18n import translate
from puente.node import Node
from puente.plan.schemas import ElementIn
from puente.shapes import (
    BilingualIn,
    Codes,
    Date,
    Day,
    Figure,
    Month,
    Plain,
    Required,
    Shape,
    Whole,
    beside,
    listed,
    read,
    read_partly,
)
from tests.support.nodes import token_headers


class Row(Shape):
    on: Annotated[Date, Required("A row needs a date.")]
    note: Plain = ""


class Sample(Shape):
    code: Plain = ""
    title: BilingualIn = Field(default_factory=BilingualIn)
    count: Whole = 0
    figure: Figure | None = None
    due: Day = None
    month: Month | None = None
    codes: Codes = Field(default_factory=list)
    rows: Annotated[list[Row], listed()] = Field(default_factory=list)


def refused(data: Any, locale: str = "en") -> dict[str, str]:
    """Each problem reading ``data`` as a Sample, by its pointer."""
    with pytest.raises(InvalidInput) as caught:
        read(Sample, data)
    return {p.pointer: translate(locale, p.message, **p.params) for p in caught.value.problems}


def test_text_is_read_as_written_and_numbers_and_dates_from_text_or_json() -> None:
    sample = read(Sample, {"code": " 2.10 ", "title": {"en": "Cell "}, "count": "45",
                           "figure": "12,345.5", "due": "2026-12-31", "month": "2026-10",
                           "codes": [" DEA", "FGR "], "rows": [{"on": "2026-01-15"}]})  # fmt: skip
    assert (sample.code, sample.title.text().en, sample.title.text().es) == (" 2.10 ", "Cell ", "")
    assert (sample.count, sample.figure, sample.due) == (45, 12345.5, date(2026, 12, 31))
    assert (sample.month, sample.codes) == (date(2026, 10, 1), ["DEA", "FGR"])
    assert read(Sample, {"count": 7, "figure": 2}).figure == 2.0  # JSON numbers as they are


@pytest.mark.parametrize(
    ("data", "pointer", "message"),
    [({"count": "²"}, "/count", "² is not a whole number."),
     ({"count": "9" * 5000}, "/count", f"{'9' * 5000} is not a whole number."),
     ({"count": ["4"]}, "/count", "count must be text."),
     ({"figure": "1,5"}, "/figure", "1,5: write decimals with a point (1.5); a comma only "
                                    "separates thousands (12,345.6)."),
     ({"figure": "1_5"}, "/figure", "1_5 is not a number."),
     ({"figure": "0x10"}, "/figure", "0x10 is not a number."),
     ({"figure": "1e999"}, "/figure", "1e999 is not a number."),
     ({"figure": float("nan")}, "/figure", "A value must be a finite number."),
     ({"due": "20260115"}, "/due", "20260115 is not a date: write YYYY-MM-DD."),
     ({"month": "2026-10-15"}, "/month", "2026-10-15 is not a month: write YYYY-MM."),
     ({"codes": "DEA"}, "/codes", "This must be a list of agency codes."),
     ({"rows": "many"}, "/rows", "rows must be a list."),
     ({"rows": ["x"]}, "/rows/0", "Each entry of rows is a mapping of fields."),
     ({"rows": [{"note": "x"}]}, "/rows/0/on", "A row needs a date."),
     ({"title": "Cell"}, "/title", "title needs en and es."),
     ({"title": {"en": "a", "fr": "b"}}, "/title/fr", "Unknown field fr."),
     ({"code": 2.1}, "/code", "code must be text."),
     ({"a/b": "x"}, "/a~1b", "Unknown field a/b.")],
    ids=["superscript", "five thousand digits", "list for a number", "decimal comma",
         "underscore", "hexadecimal", "past float", "nan", "date without dashes",
         "a date for a month", "text for a list", "text for a list of rows", "row not a mapping",
         "row without its date", "text for a bilingual text", "a third language",
         "number for text", "key with a slash"],
)  # fmt: skip
def test_each_refusal_is_said_once_at_its_pointer(data: Any, pointer: str, message: str) -> None:
    assert refused(data) == {pointer: message}


def test_refusals_read_in_spanish() -> None:
    assert refused({"due": "mañana"}, "es") == {"/due": "mañana no es una fecha: escriba "
                                                        "AAAA-MM-DD."}  # fmt: skip


def test_an_empty_field_is_a_field_left_out() -> None:
    assert read(Sample, {"code": "", "count": "", "due": None, "rows": ""}) == Sample()
    assert refused({"rows": [{"on": ""}]}) == {"/rows/0/on": "A row needs a date."}


def test_a_form_reads_the_rest_beside_what_it_cannot() -> None:
    sample, problems = read_partly(Sample, {"code": "1", "due": "soon", "count": "x"})
    assert sample is not None
    assert (sample.code, sample.due, sample.count) == ("1", None, 0)
    assert [p.pointer for p in problems] == ["/count", "/due"]
    rules = [Problem("rule", "/due/x"), Problem("rule", "/code")]
    assert [p.pointer for p in beside(rules, problems)] == ["/code"]
    stood_in, _ = read_partly(Row, {"on": "soon"}, stand_ins={"on": date.min})
    assert stood_in is not None
    assert stood_in.on == date.min
    assert read_partly(Row, {"on": "soon"})[0] is None


def _refusals(body: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as refused:
        read(ElementIn, body)
    return [(p.pointer, p.message) for p in refused.value.problems]


def test_an_empty_field_stands_for_an_empty_value_only_where_left_out_means_empty() -> None:
    """A client sending null for "unchanged" must not reset an element's status (a PUT
    replaces the element): that is refused; an empty description, list or progress is empty."""
    assert _refusals({"code": "1", "status": None}) == [("/status", "{field} must be text.")]
    empty = read(ElementIn, {"code": "1", "description": None, "leads": None, "due_date": "",
                             "progress": None})  # fmt: skip
    assert (empty.description.text().en, empty.leads, empty.due_date) == ("", {}, None)
    assert empty.progress == 0


def test_an_unknown_field_is_refused_even_when_empty() -> None:
    assert _refusals({"code": "1", "bogus": ""}) == [("/bogus", "Unknown field {field}.")]


def test_a_number_where_a_whole_number_or_a_date_belongs_says_so() -> None:
    assert _refusals({"code": "1", "progress": 1.5}) == [
        ("/progress", "{value} is not a whole number.")
    ]
    assert _refusals({"code": "1", "due_date": 20260101}) == [
        ("/due_date", "{value} is not a date: write YYYY-MM-DD.")
    ]


def test_a_body_of_the_wrong_kind_is_refused_in_the_callers_language(
    node: Node,
) -> None:
    from fastapi.testclient import TestClient

    from puente.web.app import create_app

    coordinator = token_headers(node, "laura", "INL", "coordinator")
    with TestClient(create_app(node)) as client:
        refused = client.put("/api/v1/plan/elements", json={"code": "1"},
                             headers=coordinator | {"Accept-Language": "es"})  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Esto debe ser una lista."
