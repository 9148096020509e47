"""Domain errors.

Services raise these; only the web layer turns them into HTTP problem details and only the
CLI turns them into exit codes. Messages are gettext message ids with ``{name}`` fields, so
each edge renders them in its user's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WHOLE_DIGITS = 9  # more than any count or percentage here


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it yet."""
    return message


class Plural(str):
    """A message id with a plural form (``NP_``): translated, the form follows its ``count``
    parameter in the reader's language ("1 record", "2 records"; "1 registro", "2 registros").
    As a string it is the singular, the id the catalogs hold it under."""

    __slots__ = ("plural",)
    plural: str

    def __new__(cls, singular: str, plural: str) -> Plural:
        made = super().__new__(cls, singular)
        made.plural = plural
        return made

    def __reduce__(self) -> tuple[type[Plural], tuple[str, str]]:  # copy, pickle keep the plural
        return (Plural, (str(self), self.plural))


def NP_(singular: str, plural: str) -> Plural:
    """Mark a message with a plural form for extraction, to translate later with a count."""
    return Plural(singular, plural)


def counted(singular: str, plural: str, count: int) -> Problem:
    """A count with its noun ("3 records", "1 registro"), to fill a message's parameter: each
    reader reads it in their own language and number."""
    return Problem(Plural(singular, plural), "", {"count": count})


class Label(str):
    """A parameter that is itself a message id (a field's name, a state, a level): each
    reader sees it in their own language. Any other text parameter (what a user typed) is
    shown as it is, even when it happens to spell a message id."""

    __slots__ = ()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where (an RFC 6901 JSON pointer)."""

    message: str
    pointer: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    # Where in a text no pointer reaches (a body that is not JSON): its line and column.
    line_column: tuple[int, int] | None = None


def read_date(text: str, pointer: str, problems: list[Problem]) -> date | None:
    """A date as typed (YYYY-MM-DD): None when empty, or when it is not one, which then adds
    its problem at ``pointer``. Only that form: Python 3.11 would also read 20260115 and
    2026-W03-4, which the message does not offer."""
    if not text:
        return None
    if DATE_TEXT.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    problems.append(Problem(N_("{value} is not a date: write YYYY-MM-DD."), pointer,
                            {"value": text}))  # fmt: skip
    return None


def read_whole(text: str, pointer: str, problems: list[Problem]) -> int | None:
    """A whole number as typed (digits 0-9): None when empty, or when it is not one, which
    then adds its problem at ``pointer``. Checked before int(), which takes "²" for a digit
    and fails on thousands of digits."""
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text.lstrip("0")) <= WHOLE_DIGITS:
        return int(text)
    problems.append(Problem(N_("{value} is not a whole number."), pointer, {"value": text}))
    return None


class PuenteError(Exception):
    """Base of every error a service raises on purpose."""

    kind = "error"

    def __init__(self, message: str, *, pointer: str = "", **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.pointer = pointer
        self.params = params

    @property
    def problems(self) -> list[Problem]:
        return [Problem(self.message, self.pointer, self.params)]


class InvalidInput(PuenteError):
    """The input is malformed or breaks a rule; carries every problem found."""

    kind = "invalid-input"

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(first.message, pointer=first.pointer, **first.params)
        self._problems = problems

    @property
    def problems(self) -> list[Problem]:
        return self._problems


class NotFound(PuenteError):
    kind = "not-found"


class Forbidden(PuenteError):
    kind = "forbidden"


class Unauthenticated(PuenteError):
    kind = "unauthenticated"


class Conflict(PuenteError):
    kind = "conflict"


class TooLarge(PuenteError):
    kind = "too-large"


class Locked(PuenteError):
    kind = "locked"


class Busy(PuenteError):
    """The node's write lock is held by a long write (an import, a sync) and this request may
    not wait for it (HTTP 503): trying again in a moment works."""

    kind = "busy"

    def __init__(self) -> None:
        super().__init__(N_("The node is busy with a large write (an import or a sync). Try "
                            "again in a moment."))  # fmt: skip


class Unavailable(PuenteError):
    """A partner node could not be reached or did not answer as TAXII 2.1 requires."""

    kind = "unavailable"


class QuotaExceeded(PuenteError):
    """A daily quota is used up (HTTP 429)."""

    kind = "quota"


class ConfigError(PuenteError):
    kind = "config"
