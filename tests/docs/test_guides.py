"""Run every `console` example in docs/ and check the output the guide promises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import free_port, start_server
from tests.support.shell import in_process_puente

ROOT = Path(__file__).resolve().parents[2]
GUIDES = sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
MARK = "@@puente-doc-step@@"
STATUS = "@@puente-doc-status:"


def steps(guide: Path) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for block in BLOCK.findall(guide.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif line.strip() and found:
                found[-1][1].append(line.strip())
    return found


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )


def matches(expected: str, output: str) -> bool:
    pattern = ".*?".join(re.escape(part.strip()) for part in expected.split("…"))
    return re.search(pattern, output) is not None


@pytest.fixture
def workspace(tmp_path: Path, database_url: str) -> dict[str, str]:
    # The guides' examples run from the folder that holds docs/ (their example files).
    (tmp_path / "work").mkdir()
    os.symlink(ROOT / "docs", tmp_path / "work" / "docs")
    env = {
        **os.environ,
        "PUENTE_LANG": "en",
        "COLUMNS": "200",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    env.pop("PUENTE_HOME", None)
    env.pop("PUENTE_DATABASE_URL", None)
    return {**env, "_cwd": str(tmp_path / "work"), "_database_url": database_url}


@pytest.mark.parametrize("guide", GUIDES, ids=[g.name for g in GUIDES])
def test_guide_examples_run(guide: Path, workspace: dict[str, str]) -> None:
    examples = steps(guide)
    if not examples:
        pytest.skip("no console examples")
    cwd = Path(workspace.pop("_cwd"))
    database_url = workspace.pop("_database_url")
    env = dict(workspace)
    server = None
    on_postgresql = database_url.startswith("postgresql")
    if on_postgresql and guide.name == "operator.md":
        # The operator's guide runs its own `puente init`: the database comes from the
        # environment, as an operator may set it.
        env["PUENTE_DATABASE_URL"] = database_url
    setup = ""
    if guide.name != "operator.md":
        # Guides other than the operator's start from a node, as their readers do. Its
        # database is in the node's settings, not the environment: a guide may start a second
        # node (federation.md), which keeps its own SQLite file.
        database = f" --database-url '{database_url}'" if on_postgresql else ""
        setup = ("puente init --node-id us-doc --country USA --admin-password "
                 f"'admin-password-1'{database} >/dev/null || exit 97\n")  # fmt: skip
    with in_process_puente() as (function, function_env):
        env.update(function_env)
        # The node must exist before its server starts; then the guide's own steps.
        made = _bash(function + setup, cwd, env)
        assert made.returncode == 0, made.stdout
        if any("$PUENTE_URL" in command for command, _ in examples):
            port = free_port()
            env["PUENTE_URL"] = f"http://127.0.0.1:{port}"
            server = start_server(cwd / "puente-data", port)
        script = "".join(f"echo '{MARK}'\n{command}\necho \"{STATUS}$?\"\n"
                         for command, _ in examples)  # fmt: skip
        try:
            done = _bash(function + script, cwd, env)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=20)
    outputs = done.stdout.split(MARK + "\n")[1:]
    assert len(outputs) == len(examples), done.stdout
    for (command, expected), output in zip(examples, outputs, strict=True):
        output, _, status = output.rpartition(STATUS)
        # A step succeeds unless the guide shows it refused (its output names an error).
        refused = any("error" in line.lower() for line in expected)
        assert refused or status.strip() == "0", (
            f"{guide.name}: `{command}` exited {status.strip()}:\n{output}"
        )
        for line in expected:
            assert matches(line, output), f"{guide.name}: `{command}` printed:\n{output}"


def test_the_postgresql_settings_the_benchmarks_use_are_the_ones_the_operator_guide_gives() -> None:
    """bench/RESULTS.md's national-node figures are measured on bench/pgserver.py's server:
    what the operator is told to set must be what was measured."""
    import ast

    guide = (ROOT / "docs" / "operator.md").read_text(encoding="utf-8")
    block = re.search(r"### PostgreSQL settings.*?```ini\n(.*?)```", guide, re.S)
    assert block is not None, "docs/operator.md has no PostgreSQL settings block"
    given = {}
    for line in block.group(1).splitlines():
        name, _, value = line.split("#", 1)[0].partition("=")
        if name.strip():
            given[name.strip()] = value.strip()
    source = ast.parse((ROOT / "bench" / "pgserver.py").read_text(encoding="utf-8"))
    settings = next(
        ast.literal_eval(node.value)
        for node in source.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SETTINGS"
    )
    assert given == {**settings, "jit": "off"}
