"""A plan file's YAML read as text, with the line of every part of it.

Every scalar is read as text (so a code ``2.10`` stays ``2.10`` and ``20260115`` is no
date): the shapes (:mod:`puente.shapes`) read dates and numbers the same way on every edge.
A problem's JSON pointer (``/elements/3/due_date``) then names the line it is on.
"""

from __future__ import annotations

from typing import Any

import yaml

from puente.errors import N_, InvalidInput, Problem
from puente.shapes import NUL, SURROGATE, lone_surrogate


def _step(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


class Lines:
    """The line (from 1) of each JSON pointer in the composed YAML, and the keys given twice
    in one mapping (YAML would keep the last silently)."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.lines: dict[str, int] = {}
        self.twice: list[Problem] = []
        self.broken: list[Problem] = []  # text no UTF-8 holds
        if root is not None:
            self._walk(root, "")

    def _walk(self, node: yaml.Node, pointer: str) -> None:
        self.lines[pointer] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            self._text(node, pointer)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._text(key, pointer)
                at = pointer + _step(str(key.value))
                if at in self.lines:
                    self.twice.append(Problem(N_("{field} is given twice."), at,
                                              {"field": key.value}))  # fmt: skip
                self.lines[at] = key.start_mark.line + 1
                self._walk(value, at)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, f"{pointer}/{index}")

    def _text(self, node: yaml.Node, pointer: str) -> None:
        if "\x00" in str(node.value):  # YAML's "\0"
            self.broken.append(Problem(N_("Line {line}: {problem}"), pointer, {
                "line": node.start_mark.line + 1, "problem": Problem(NUL)}))  # fmt: skip
        escape = lone_surrogate(str(node.value))
        if escape is not None:
            mark = node.start_mark
            self.broken.append(Problem(SURROGATE, pointer, {"escape": escape,
                               "line": mark.line + 1, "column": mark.column + 1}))  # fmt: skip

    def of(self, pointer: str) -> int:
        """The line of ``pointer``, or of the nearest part of the file above it."""
        while pointer and pointer not in self.lines:
            pointer = pointer.rpartition("/")[0]
        return self.lines.get(pointer, 1)

    def refuse(self, problems: list[Problem]) -> InvalidInput:
        """``problems``, each led by its line."""
        return InvalidInput([
            Problem(N_("Line {line}: {problem}"), p.pointer,
                    {"line": self.of(p.pointer), "problem": p})
            for p in problems
        ])  # fmt: skip


def load(text: str) -> tuple[Any, Lines]:
    """The file's data, every scalar a text, and its lines; InvalidInput naming the line when
    it is not YAML a plan may be written in."""
    try:
        # An alias repeats a node wherever it is named: nested ones grow a small file
        # exponentially. A plan file has no use for them.
        for event in yaml.parse(text, Loader=yaml.BaseLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise InvalidInput([Problem(N_("Line {line}: a plan file may not repeat a "
                                               "part by alias (*{name}); write it out."), "",
                                            {"line": mark.line + 1 if mark else 1,
                                             "name": event.anchor})])  # fmt: skip
        root = yaml.compose(text, Loader=yaml.BaseLoader)
        data = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise InvalidInput([Problem(N_("Line {line}: this is not valid YAML ({reason})."), "",
                                    {"line": line, "reason": getattr(exc, "problem", "") or
                                     str(exc)})]) from None  # fmt: skip
    except RecursionError:  # thousands of [ in a row: the parser recurses once for each
        raise InvalidInput([Problem(N_("The file nests lists or mappings too deeply to be a "
                                       "plan."), "")]) from None  # fmt: skip
    lines = Lines(root)
    if lines.broken:
        raise InvalidInput(lines.broken)
    if lines.twice:
        raise lines.refuse(lines.twice)
    return data, lines
