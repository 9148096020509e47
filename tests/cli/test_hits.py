"""`puente hits index`: an operator brings the partners' hit/no-hit indexes up to date."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from puente.policy.markings import Markings
from puente.records import builder
from puente.records.ingest import apply_markings
from tests.cli.test_cli import run


def _bundle(path: Path) -> Path:
    searchable = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"MEX"}))
    national = Markings(tlp="AMBER", rel_to=frozenset({"USA"}))
    objects = []
    for given, surname, markings in (("Ana", "Ruiz", searchable), ("Eva", "Soto", national)):
        obj = builder.build("person", {"given_names": given, "paternal_surname": surname,
                                       "date_of_birth": "1990-05-01"}, "CBP")  # fmt: skip
        apply_markings(obj, markings)
        objects.append(obj)
    path.write_bytes(orjson.dumps({"type": "bundle", "id": "bundle--" + "0" * 8 + "-0000-4000-8000-"
                                   + "0" * 12, "objects": objects}))  # fmt: skip
    return path


def test_the_index_takes_what_the_partner_may_search_and_says_so(
    home: Path, tmp_path: Path
) -> None:
    assert run("hits", "index")[1].strip() == "No enabled partner: no index to keep."
    assert run("import", "stix", str(_bundle(tmp_path / "people.json")))[0] == 0
    code, _ = run("partner", "add", "mx-x", "--country", "MEX", "--url", "http://127.0.0.1:9",
                  "--key", "ab" * 32, "--secret", "mexico-issued-secret-0001",
                  "--issue-secret", "us-issued-secret-00000001")  # fmt: skip
    assert code == 0
    code, output = run("hits", "index")
    assert code == 0, output
    found = re.search(r"Index for mx-x: (\d+) keys \((\d+) added, 0 removed, from 2 record", output)
    assert found, output
    assert int(found.group(1)) == int(found.group(2)) > 0  # Ana's keys; not Eva's
    code, output = run("hits", "index", "mx-x")
    assert "(0 added, 0 removed, from 0 record versions)" in " ".join(output.split())
    code, output = run("hits", "index", "nobody")
    assert code != 0
    assert "No partner with node id nobody" in output
