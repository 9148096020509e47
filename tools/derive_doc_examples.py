"""Cut the small real files the guides' examples use from the public data files.

Run from the repository root, with the project's shared data beside the clone::

    python tools/derive_doc_examples.py ../shared/data

The guides in docs/ import real files, and a reader (or tests/docs) of a fresh clone has no
shared data beside it: this keeps whole rows of the originals (their header, quoting and
quirks), filtered to what a guide needs, under docs/examples/. docs/examples/README.md says
where each came from.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "examples"

DRUG_WINDOWS = (
    "cbp_drug_seizures_fy19_22.csv",
    "cbp_drug_seizures_fy22_25.csv",
    "nationwide-drugs-fy23-fy26-apr.csv",
)
WEAPONS = "cbp_weapons_seizures_fy22_25.csv"
STIX_EXAMPLES = ("indicator-for-c2-ip-address.json", "threat-reports/apt1.json")


def cut(source: Path, target: Path, keep: Callable[[list[str]], bool]) -> int:
    """Copy the header and the lines ``keep`` accepts, byte for byte; the number kept."""
    lines = source.read_bytes().splitlines(keepends=True)
    kept = [line for line in lines[1:] if keep(line.decode("utf-8-sig").split(","))]
    target.write_bytes(lines[0] + b"".join(kept))
    return len(kept)


def main(data: Path) -> None:
    for name in DRUG_WINDOWS:
        # Column 7 is the drug type: fentanyl, the partnership's first concern.
        count = cut(data / "cbp" / name, OUT / "cbp" / name.replace(".csv", "-fentanyl.csv"),
                    lambda row: len(row) > 6 and row[6] == "Fentanyl")  # fmt: skip
        print(f"{name}: {count} fentanyl rows")
    # Fiscal year 2024's first quarter at the Southwest border: a row with no quantity
    # (which the importer reports and skips) included.
    count = cut(
        data / "cbp" / WEAPONS,
        OUT / "cbp" / WEAPONS.replace(".csv", "-southwest-fy24q1.csv"),
        lambda row: row[0] == "2024" and row[1] in {"OCT", "NOV", "DEC"}
        and row[3] == "Southwest Border",
    )  # fmt: skip
    print(f"{WEAPONS}: {count} rows")
    for name in STIX_EXAMPLES:
        shutil.copyfile(data / "stix" / "examples" / name, OUT / "stix" / Path(name).name)
    shutil.copyfile(data / "stix" / "LICENSE", OUT / "stix" / "LICENSE")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
