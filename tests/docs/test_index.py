"""The guides' index lists every guide, and no link in the index or the README leads nowhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def _links(page: Path) -> set[str]:
    return {m.group(1) for m in LINK.finditer(page.read_text(encoding="utf-8"))}


def test_the_index_lists_every_guide() -> None:
    guides = {p.name for p in DOCS.glob("*.md") if p.name != "README.md"}
    assert guides - _links(DOCS / "README.md") == set()


def test_every_link_in_the_readme_and_the_guides_leads_to_a_file_of_this_repository() -> None:
    broken = []
    for page in [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted(DOCS.rglob("*.md"))]:
        for target in _links(page):
            if re.match(r"[a-z]+:", target):  # https:, mailto: … are not files
                continue
            resolved = (page.parent / target).resolve()
            if not resolved.exists() or ROOT not in resolved.parents:
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert broken == []
