"""The rules of the code's shape that import-linter cannot see (its contracts, in
pyproject.toml, hold the layers): who opens a unit of work, who writes SQL, and that tests
stand on their own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "puente"
EDGE = re.compile(r"(api|views|meeting_api|meeting_views|recall_views)\.py")
# Modules named as jobs: they own their transactions (and may call a partner between them).
JOBS = {
    "sharing/sync.py", "sharing/scheduler.py", "sharing/client.py", "hits/transport.py",
    "hits/refresh.py", "rfis/transport.py", "accounts/bootstrap.py", "db.py", "web/deps.py",
    "audit/scheduled.py",
}  # fmt: skip


def _modules(folder: Path) -> list[tuple[str, ast.Module]]:
    return [(str(path.relative_to(folder)), ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(folder.rglob("*.py"))]  # fmt: skip


def test_only_jobs_edges_and_commands_open_a_unit_of_work() -> None:
    """Services take the caller's session; a module that opens one is a job, an edge (a route
    or page, which may need a unit of work outside the request's), the command line or the
    demo."""
    opening = []
    for name, tree in _modules(PACKAGE):
        exempt = name in JOBS or EDGE.search(name) or name.startswith(("cli/", "demo/"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"session", "sessions"}
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "db"
                and not exempt
            ):
                opening.append(f"{name}:{node.lineno}")
    assert opening == []


def test_routes_and_pages_write_no_sql() -> None:
    """An edge calls services; only the type of a session may come from SQLAlchemy."""
    found = []
    for name, tree in _modules(PACKAGE):
        if not EDGE.search(name):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                names = {alias.name for alias in node.names}
                if node.module != "sqlalchemy.orm" or names != {"Session"}:
                    found.append(f"{name}:{node.lineno} {node.module} {sorted(names)}")
    assert found == []


def test_no_test_imports_another_test_module() -> None:
    """What tests share lives in tests/support; a test module or conftest is never imported."""
    test_module = re.compile(r"^tests(\.\w+)*\.(test_\w+|conftest)$")
    found = []
    for name, tree in _modules(ROOT / "tests"):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and test_module.match(node.module or ""):
                found.append(f"tests/{name}:{node.lineno} {node.module}")
    assert found == [], found
