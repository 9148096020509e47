"""Run every `console` example in docs/ and check the output the guide promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.functional.support import free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
GUIDES = sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
MARK = "@@puente-doc-step@@"


def steps(guide: Path) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for block in BLOCK.findall(guide.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif line.strip() and found:
                found[-1][1].append(line.strip())
    return found


def matches(expected: str, output: str) -> bool:
    pattern = ".*?".join(re.escape(part.strip()) for part in expected.split("…"))
    return re.search(pattern, output) is not None


@pytest.fixture
def workspace(tmp_path: Path, database_url: str) -> dict[str, str]:
    shared = ROOT.parent / "shared"
    (tmp_path / "work").mkdir()
    if shared.exists():
        os.symlink(shared, tmp_path / "shared")
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
    if guide.name != "operator.md":
        # Guides other than the operator's start from a node, as their readers do.
        subprocess.run(
            [
                shutil.which("puente") or "puente",
                "init",
                "--node-id",
                "us-doc",
                "--country",
                "USA",
                "--admin-password",
                "admin-password-1",
                # In the node's settings, not the environment: a guide may start a second
                # node (federation.md), which keeps its own SQLite file.
                *(["--database-url", database_url] if on_postgresql else []),
            ],
            cwd=cwd,
            env=env,
            check=True,
            capture_output=True,
        )
    if any("$PUENTE_URL" in command for command, _ in examples):
        port = free_port()
        env["PUENTE_URL"] = f"http://127.0.0.1:{port}"
        server = start_server(cwd / "puente-data", port)
    script = "".join(f"echo '{MARK}'\n{command}\n" for command, _ in examples)
    try:
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
    outputs = done.stdout.split(MARK + "\n")[1:]
    assert len(outputs) == len(examples), done.stdout
    for (command, expected), output in zip(examples, outputs, strict=True):
        for line in expected:
            assert matches(line, output), f"{guide.name}: `{command}` printed:\n{output}"
