"""`puente import stix` of a bundle with a hostile object: refused by name, no traceback."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.hostile import HOSTILE, HOSTILE_AT, incident


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_the_command_line_import_names_the_field(home: Path, tmp_path: Path, hostile: str) -> None:
    bad = incident()
    HOSTILE[hostile](bad)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                   "objects": [incident(), bad]}))  # fmt: skip
    code, output = run("import", "stix", str(path), "--as", "admin")
    assert code != 0
    assert "/objects/1" + HOSTILE_AT[hostile] in output, output
    assert "Traceback" not in output
