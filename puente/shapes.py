"""The shapes input is read into, the same on every edge: the REST API, a plan file, a form.

A scalar is text or a JSON value; a date is YYYY-MM-DD, a whole number digits, a figure has
a decimal point and perhaps thousands separators; a field left empty ("" or null) is a field
left out, and an unknown one is refused. Models built of these (``puente.plan.schemas``,
``puente.indicators.schemas``) say what an object's fields are; the domain's ``check``
functions say what they may hold.

Every refusal is a message id with its parameters, and :func:`problems_of` turns pydantic's
errors into :class:`~puente.errors.Problem` s at JSON pointers, so each edge says them in its
user's language (pydantic's own English never reaches a user) and a plan file on its line.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, TypeVar

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from puente.clock import as_utc
from puente.errors import N_, InvalidInput, Problem, read_date, read_whole
from puente.i18n import Text

REFUSAL = "puente"  # the pydantic error type of every refusal below
MESSAGE = "message_id"  # where a refusal's context keeps its message id
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
REQUIRED = N_("This field is required.")
# The errors pydantic raises itself that a shape here may meet, in the node's words.
WHOLE_NUMBER = N_("{field} must be a whole number.")
NUMBER_TEXT = N_("{field} must be a number.")
TRUE_OR_FALSE = N_("{field} must be true or false.")
MAPPING = N_("Each entry of {field} is a mapping of fields.")
BUILT_IN = {
    "missing": REQUIRED,
    "extra_forbidden": N_("Unknown field {field}."),
    "list_type": N_("{field} must be a list."),
    "dict_type": MAPPING,
    "model_type": MAPPING,
    "model_attributes_type": MAPPING,
    "string_type": N_("{field} must be text."),
    "string_too_long": N_("{field} must be at most {max_length} characters."),
    "int_type": WHOLE_NUMBER,
    "int_parsing": WHOLE_NUMBER,
    "int_from_float": WHOLE_NUMBER,
    "float_type": NUMBER_TEXT,
    "float_parsing": NUMBER_TEXT,
    "bool_type": TRUE_OR_FALSE,
    "bool_parsing": TRUE_OR_FALSE,
    "greater_than_equal": N_("{field} must be at least {ge}."),
    "less_than_equal": N_("{field} must be at most {le}."),
    "literal_error": N_("{field} must be one of: {expected}."),
}
# The same, said of the whole input (a request's body), which has no field's name.
BUILT_IN_WHOLE = {
    "list_type": N_("This must be a list."),
    "dict_type": N_("This must be a mapping of fields."),
    "model_type": N_("This must be a mapping of fields."),
    "model_attributes_type": N_("This must be a mapping of fields."),
}
ENTRY = N_("Each entry of {field} is a mapping of fields.")
SHAPELESS = N_("The input is not valid")

S = TypeVar("S", bound=BaseModel)


def refusal(message: str, **params: Any) -> PydanticCustomError:
    """Refuse a value with ``message`` (a message id): a parameter it names and is not given
    is filled with the key the value is at (``{field}``, a filter's ``{dimension}``)."""
    return PydanticCustomError(REFUSAL, message, {**params, MESSAGE: message})


class _Absent:
    """What a field marked :class:`Required` holds when the input leaves it out, so that it
    is refused in the field's own words (pydantic's "missing" has none)."""


ABSENT = _Absent()


@dataclass(frozen=True)
class Required:
    """Annotates a field every edge must give; ``message`` says so when one leaves it out."""

    message: str = REQUIRED

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._given, handler(source))

    def _given(self, value: object) -> object:
        if value is ABSENT:
            raise refusal(self.message)
        return value


def _raise_first(problems: list[Problem]) -> None:
    if problems:
        raise refusal(problems[0].message, **problems[0].params)


def _plain(value: object) -> str:
    if isinstance(value, str):
        return value
    raise refusal(N_("{field} must be text."))


def _day(value: object) -> date:
    if isinstance(value, date):  # given by code (a form's stand-in), not typed
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):  # 20260101
        raise refusal(N_("{value} is not a date: write YYYY-MM-DD."), value=str(value))
    problems: list[Problem] = []
    found = read_date(_plain(value), "", problems)
    _raise_first(problems)
    if found is None:
        raise refusal(REQUIRED)
    return found


def _whole(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # a JSON number: whether it is in range is the rules' to say
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):  # 1.5: a number, but not a whole one
        raise refusal(N_("{value} is not a whole number."), value=repr(value))
    problems: list[Problem] = []
    found = read_whole(_plain(value), "", problems)
    _raise_first(problems)
    if found is None:
        raise refusal(REQUIRED)
    return found


def _figure(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer past float's range
            number = math.inf
        if not math.isfinite(number):  # JSON has no NaN: it would travel as null
            raise refusal(N_("A value must be a finite number."))
        return number
    text = _plain(value).strip()
    if "," in text and not THOUSANDS.fullmatch(text):
        # 1,5 is one and a half to a Mexican reader and fifteen to a thousands separator.
        raise refusal(N_("{value}: write decimals with a point (1.5); a comma only separates "
                         "thousands (12,345.6)."), value=text)  # fmt: skip
    # Digits, a point and an exponent only: float() would also take 1_5 (fifteen), nan, inf.
    if not NUMBER.fullmatch(text.replace(",", "")):
        raise refusal(N_("{value} is not a number."), value=text)
    number = float(text.replace(",", ""))
    if not math.isfinite(number):  # 1e999
        raise refusal(N_("{value} is not a number."), value=text)
    return number


def _month(value: object) -> date:
    if isinstance(value, date):
        return value
    text = _plain(value)
    if MONTH.fullmatch(text):
        try:
            return date.fromisoformat(text + "-01")
        except ValueError:
            pass
    raise refusal(N_("{value} is not a month: write YYYY-MM."), value=text)


def _texts(message: str, item: Callable[[str], str] = str) -> Callable[[object], list[str]]:
    def read(value: object) -> list[str]:
        # A text where the list belongs is refused once, not read as a list of its letters.
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [item(v) for v in value]
        raise refusal(message)

    return read


def listed(message: str = N_("{field} must be a list.")) -> BeforeValidator:
    """Annotates a list field: anything else there is refused once, with ``message``."""

    def read(value: object) -> object:
        if isinstance(value, list):
            return value
        raise refusal(message)

    return BeforeValidator(read)


def mapped(message: str) -> BeforeValidator:
    """Annotates a mapping field (not a shape): anything else is refused with ``message``."""

    def read(value: object) -> object:
        if isinstance(value, dict):
            return value
        raise refusal(message)

    return BeforeValidator(read)


# Text, kept as written: the other ways in keep a title's spaces, so an export read back is
# unchanged.
Plain = Annotated[str, BeforeValidator(_plain)]
Date = Annotated[date, BeforeValidator(_day)]
Day = Date | None
Whole = Annotated[int, BeforeValidator(_whole)]
Figure = Annotated[float, BeforeValidator(_figure)]
Month = Annotated[date, BeforeValidator(_month),
                  WithJsonSchema({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"})]  # fmt: skip
Codes = Annotated[list[str], BeforeValidator(_texts(N_("This must be a list of agency codes."),
                                                    str.strip))]  # fmt: skip
Texts = Annotated[
    list[str], BeforeValidator(_texts(N_("This field must be a list of text values.")))
]
# A moment as the API gives it: aware and written with its offset (SQLite hands stored times
# back naive; every one is UTC).
Moment = Annotated[datetime, AfterValidator(as_utc)]


def _empty(value: object) -> bool:
    """Whether a field's default is empty: none, no text, nothing listed, zero (an element's
    progress), or a shape of empty fields (a text in neither language)."""
    if isinstance(value, BaseModel):
        return not any(value.model_dump().values())
    return value is None or value in ("", [], {}) or (type(value) is int and value == 0)


class Shape(BaseModel):
    """An object as an edge gives it: unknown fields refused, a field left empty ("" or null)
    taken as left out where leaving it out means empty (a description, a list of leads, no
    progress yet), and anything but a mapping refused in the shape's own words. Where leaving
    a field out means something else (an element's status), an empty value is read as it is
    and refused: a client that sends null for "unchanged" must not reset what it meant to
    keep."""

    model_config = ConfigDict(extra="forbid")
    NOT_A_MAPPING: ClassVar[str] = ENTRY

    @model_validator(mode="before")
    @classmethod
    def _given(cls, data: Any) -> Any:
        if isinstance(data, BaseModel):
            return data
        if not isinstance(data, dict):
            raise refusal(cls.NOT_A_MAPPING)
        fields = cls.model_fields

        def left_out(key: str, value: object) -> bool:
            # Empty, where leaving the field out means empty, or is refused in its own words.
            info = fields.get(key)
            return (
                (value is None or value == "")
                and info is not None
                and (
                    info.is_required()
                    or any(isinstance(m, Required) for m in info.metadata)
                    or _empty(info.get_default(call_default_factory=True))
                )
            )

        given = {key: value for key, value in data.items() if not left_out(key, value)}
        for name, info in fields.items():
            if name not in given and any(isinstance(m, Required) for m in info.metadata):
                given[name] = ABSENT
        return given


class BilingualIn(Shape):
    """A text in English (en) and Spanish (es), each as written."""

    NOT_A_MAPPING: ClassVar[str] = N_("{field} needs en and es.")

    en: Plain = ""
    es: Plain = ""

    def text(self) -> Text:
        return Text(self.en, self.es)


def pointer(loc: Sequence[int | str]) -> str:
    """An error's location as an RFC 6901 JSON pointer: ``("elements", 3)`` → ``/elements/3``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in loc)


def problem_of(error: Mapping[str, Any], loc: Sequence[int | str] | None = None) -> Problem | None:
    """The problem a pydantic error reports, at ``loc`` (by default its own); None for an
    error no shape here raises, which the caller words itself."""
    where = tuple(error["loc"] if loc is None else loc)
    params = dict(error.get("ctx") or {})
    message = params.pop(MESSAGE, None) if error["type"] == REFUSAL else BUILT_IN.get(error["type"])
    if message is None:
        return None
    key = next((str(part) for part in reversed(where) if isinstance(part, str)), "")
    if error["type"] == "literal_error":  # pydantic joins the last two with an English "or"
        params["expected"] = str(params.get("expected", "")).replace("' or '", "', '")
    if not key and error["type"] in BUILT_IN_WHOLE:
        message = BUILT_IN_WHOLE[error["type"]]
    for _, name, _, _ in string.Formatter().parse(message):
        if name and name not in params:
            params[name] = key
    return Problem(message, pointer(where), params)


def problems_of(exc: ValidationError, at: str = "") -> list[Problem]:
    """Every problem of ``exc``, each at its pointer under ``at``."""
    found = []
    for error in exc.errors():
        problem = problem_of(error) or Problem(SHAPELESS, pointer(error["loc"]))
        found.append(Problem(problem.message, at + problem.pointer, problem.params))
    return found


def read(shape: type[S], data: object, at: str = "") -> S:
    """``data`` as ``shape``; InvalidInput with every problem (under ``at``) when it is not."""
    try:
        return shape.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(problems_of(exc, at)) from None


def read_partly(
    shape: type[S], data: dict[str, Any], stand_ins: Mapping[str, Any] | None = None
) -> tuple[S | None, list[Problem]]:
    """``data`` as ``shape``, and every problem reading it. A form shows what the rules say of
    the fields it could read beside those it could not, so the shape is then built without
    them (or with their ``stand_ins``); None when even that fails."""
    try:
        return shape.model_validate(data), []
    except ValidationError as exc:
        problems = problems_of(exc)
        unread = {error["loc"][0] for error in exc.errors() if error["loc"]}
    rest = {k: v for k, v in data.items() if k not in unread}
    rest |= {k: v for k, v in (stand_ins or {}).items() if k in unread}
    try:
        return shape.model_validate(rest), problems
    except ValidationError:
        return None, problems


def beside(rules: list[Problem], problems: list[Problem]) -> list[Problem]:
    """The ``rules``' problems with fields ``problems`` do not concern: a field that could not
    be read is checked once it reads."""
    unread = {p.pointer.split("/")[1] for p in problems if p.pointer}
    return [p for p in rules if not p.pointer or p.pointer.split("/")[1] not in unread]


# --- A JSON document as it arrives (a request's body) --------------------------------------

# orjson's own limit: it refuses deeper documents, so nothing after it recurses that far.
MAX_DEPTH = 1024
MALFORMED = N_("Malformed JSON at line {line}, column {column}: {reason}")
NOT_UTF8 = N_("The body is not valid UTF-8 at line {line}, column {column} (byte {offset}).")
SURROGATE = N_(
    "{escape} at line {line}, column {column} is half of a UTF-16 surrogate pair, not a character."
)
TOO_DEEP = N_("The JSON is nested more than {limit} levels deep (line {line}, column {column}).")
NOT_FINITE = N_("{value} is not a number: JSON numbers are finite.")
TOO_LARGE_NUMBER = N_("{value} is too large a number.")
NON_FINITE_WORDS = ("NaN", "Infinity", "-Infinity")
# More digits than any finite double has before its decimal point.
MAX_INTEGER_DIGITS = 309


NUL = N_("Text here cannot hold a NUL character (U+0000).")


def nul_problems(data: Any) -> list[Problem]:
    """A problem at each text of ``data`` (keys too) holding a NUL, which no text column of
    PostgreSQL holds: refused as input rather than failing in the database."""
    found: list[Problem] = []
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while stack:  # no recursion: the document may be nested as deep as the reader allows
        where, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                found.append(Problem(NUL, pointer(where)))
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if "\x00" in key:
                    found.append(Problem(NUL, pointer((*where, key))))
                stack.append(((*where, key), item))
        elif isinstance(value, list):
            stack.extend(((*where, i), v) for i, v in reversed(list(enumerate(value))))
    return found


def read_json(raw: bytes) -> Any:
    """``raw`` as JSON (RFC 8259): InvalidInput saying where it is not, in words each edge
    translates. Strict where Python's own reader is lenient: bytes that are not UTF-8 (it
    decodes them with surrogatepass), escapes of lone surrogates (strings no UTF-8 can hold,
    a 500 at the first write), NaN and Infinity (not JSON; stored as null), and nesting deep
    enough to exhaust the interpreter's stack; and NUL characters, which no text column of
    PostgreSQL holds."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(_json_problems(raw, exc)) from None
    # JSON writes a NUL only escaped: a document without the escape has none to look for.
    if b"\\u0000" in raw and (found := nul_problems(data)):
        raise InvalidInput(found)
    return data


def _json_problems(raw: bytes, exc: orjson.JSONDecodeError) -> list[Problem]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        before = raw[: bad.start].decode("utf-8")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        where = {"line": line, "column": column}
        return [Problem(NOT_UTF8, "", {**where, "offset": bad.start}, (line, column))]
    at = (exc.lineno, exc.colno)
    where = {"line": exc.lineno, "column": exc.colno}
    reason = exc.msg.lower()
    if "surrogate" in reason:
        return [Problem(SURROGATE, "", {**where, "escape": text[exc.pos : exc.pos + 6]}, at)]
    if "depth" in reason or "recursion" in reason:
        return [Problem(TOO_DEEP, "", {**where, "limit": MAX_DEPTH}, at)]
    ahead = text[max(exc.pos - 1, 0) : exc.pos + 9]
    if "infinity" in reason or any(word in ahead for word in NON_FINITE_WORDS):
        found = _non_finite(text)
        if found:
            return found
    return [Problem(MALFORMED, "", {**where, "reason": exc.msg}, at)]


_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(text: str) -> str | None:
    """The first code point of ``text`` that is half of a UTF-16 surrogate pair, as its escape
    (``\\ud800``): a string no UTF-8 can hold, which a lenient reader (YAML's, Python's
    ``json``) makes of such an escape; None when there is none."""
    found = _SURROGATE.search(text)
    return f"\\u{ord(found.group()):04x}" if found else None


class _NonFinite(str):
    """A number JSON cannot hold, as written, where Python's reader put it."""


def _non_finite(text: str) -> list[Problem]:
    """Each number of ``text`` JSON cannot hold, at its pointer; found with Python's lenient
    reader, which takes them (empty when even it cannot read ``text``)."""

    def number(written: str) -> Any:
        value = float(written)
        return _NonFinite(written) if math.isinf(value) else value

    def integer(written: str) -> Any:
        return (
            _NonFinite(written) if len(written.lstrip("-")) > MAX_INTEGER_DIGITS else int(written)
        )

    try:
        data = json.loads(text, parse_constant=_NonFinite, parse_float=number, parse_int=integer)
    except (ValueError, RecursionError):
        return []
    found: list[Problem] = []
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while stack:  # no recursion: the document may be nested as deep as the reader allows
        where, value = stack.pop()
        if isinstance(value, _NonFinite):
            shown = value if len(value) <= 24 else value[:20] + "…"
            message = NOT_FINITE if value in NON_FINITE_WORDS else TOO_LARGE_NUMBER
            found.append(Problem(message, pointer(where), {"value": shown}))
        elif isinstance(value, dict):
            stack.extend(((*where, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((*where, i), v) for i, v in reversed(list(enumerate(value))))
    return found
