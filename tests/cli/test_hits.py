"""`puente hits index`: an operator brings the partners' hit/no-hit indexes up to date."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from puente.policy.markings import Markings, apply_markings
from puente.records import builder
from tests.support.cli import run


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
    assert run("hits", "index")[1].strip() == "No partner: no index to keep."
    assert run("import", "stix", str(_bundle(tmp_path / "people.json")))[0] == 0
    code, _ = run("partner", "add", "mx-x", "--country", "MEX", "--url", "http://127.0.0.1:9",
                  "--key", "ab" * 32, "--secret", "mexico-issued-secret-0001",
                  "--issue-secret", "us-issued-secret-00000001")  # fmt: skip
    assert code == 0
    code, output = run("hits", "index")
    assert code == 0, output
    # One index per match-key spec version the node serves (hits.spec_versions: 1 and 2).
    found = re.findall(r"Index for mx-x in match-key spec version (\d): (\d+) keys \((\d+) "
                       r"added, 0 removed, from 2 record", " ".join(output.split()))  # fmt: skip
    assert [version for version, _, _ in found] == ["1", "2"], output
    assert all(int(keys) == int(added) > 0 for _, keys, added in found)  # Ana's keys; not Eva's
    code, output = run("hits", "index", "mx-x")
    assert "(0 added, 0 removed, from 0 record versions)" in " ".join(output.split())
    code, output = run("hits", "index", "nobody")
    assert code != 0
    assert "No partner with node id nobody" in output


def test_ask_reads_a_csv_list_and_says_where_it_is_wrong(home: Path, tmp_path: Path) -> None:
    code, _ = run("partner", "add", "mx-x", "--country", "MEX", "--url", "http://127.0.0.1:9",
                  "--key", "ab" * 32, "--secret", "mexico-issued-secret-0001",
                  "--issue-secret", "us-issued-secret-00000001")  # fmt: skip
    assert code == 0
    listed = tmp_path / "list.csv"
    listed.write_bytes("given_names,paternal_surname,date_of_birth,serial,manufacturer\n"
                       "Ana,Ruiz,1990-05-01,,\n,,,12345,\n".encode("latin-1"))  # fmt: skip
    case = ("--case", "C-1", "--legal-basis", "L-1")
    code, output = run("hits", "ask", "mx-x", *case, "--csv", str(listed))
    assert code == 1
    assert "/csv/3/manufacturer: A firearm needs its manufacturer" in " ".join(output.split())
    code, output = run("hits", "ask", "mx-x", *case, "--csv", str(listed), "--vin", "X")
    assert "either --csv or the fields" in output
    listed.write_text("vin\n1HGCM82633A004352\n")
    code, output = run("hits", "ask", "mx-x", *case, "--csv", str(listed))
    assert code == 1
    assert "Could not query mx-x" in output  # checked, then asked: nobody listens there
    code, output = run("hits", "ask", "mx-x", *case, "--serial", "12345")
    assert "/manufacturer: A firearm needs its manufacturer" in " ".join(output.split())


@pytest.mark.usefixtures("linked")
def test_ask_prints_one_line_a_subject(tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("category,given_names,paternal_surname,date_of_birth,manufacturer,serial\n"
                      "person,Pepe,Hernandez,1984-03-12,,\nfirearm,,,,Colt,X1\n")  # fmt: skip
    code, output = run("hits", "ask", "us-node", "--case", "C-1", "--legal-basis", "L-1",
                       "--csv", str(listed), "--data-dir", str(tmp_path / "mx"))  # fmt: skip
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("1. Person Pepe Hernandez, 1984-03-12: HIT (")
    assert "person.name-dob" in lines[0]
    assert lines[1] == "2. Firearm Colt X1: no hit"
    assert lines[2].startswith("Query ")
    assert lines[2].endswith("keys asked of us-node.")
