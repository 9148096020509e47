"""The Jinja2 environment every page and document is rendered with: the web's pages
(puente/web/templates) and the plan's briefing (puente/plan/templates) alike."""

from __future__ import annotations

from functools import cache
from importlib import resources

from jinja2 import Environment, FileSystemLoader, select_autoescape


def when(moment: str | None) -> str:
    """``2025-01-31T12:34:56.123456Z`` → ``2025-01-31 12:34 UTC`` (ISO dates read in both languages)."""
    if not moment:
        return ""
    text = str(moment)
    if len(text) < 16 or text[10] != "T":
        return text[:10]
    return f"{text[:10]} {text[11:16]} UTC"


@cache
def environment(package: str) -> Environment:
    """The templates of ``package`` (``"web"``, ``"plan"``): HTML escaped, blocks trimmed."""
    folder = resources.files("puente") / package / "templates"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    return env
