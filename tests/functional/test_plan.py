"""One plan, two nodes: each writes its own elements and updates, unaware of the other's, and
after syncing both ways they hold the same plan."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.servers import Pair, puente, sync_now

SAMPLE = Path(__file__).resolve().parents[1] / "plan" / "sample.yaml"
MEXICO_ACTION = """format: puente-plan/1
elements:
  - code: "1.1.1.2"
    level: action
    parent: "1.1.1"
    title: {en: Precursor inspections at Manzanillo, es: Inspecciones de precursores en Manzanillo}
    status: at_risk
    progress: "10"
    due_date: "2026-09-30"
    leads: {MEX: [ANAM]}
"""


def test_both_nodes_converge_on_one_plan(served_pair: Pair, tmp_path: Path) -> None:
    us, mx = served_pair.us, served_pair.mx
    puente("plan", "import", str(SAMPLE), data_dir=us)
    sync_now(mx, "us-node")  # Mexico learns the structure
    (tmp_path / "mx.yaml").write_text(MEXICO_ACTION, encoding="utf-8")
    # Both write at once, neither hearing of the other: Mexico its own action and an update
    # on the United States' action; the United States an update on its own.
    puente("plan", "import", str(tmp_path / "mx.yaml"), data_dir=mx)
    puente("plan", "update", "1.1.1.1", "--text", "Dos rutas más identificadas.", "--status",
           "on_track", "--progress", "55", "--lang", "es", "--date", "2026-11-25", data_dir=mx)  # fmt: skip
    puente("plan", "update", "1.1.1.1", "--text", "Cell met in El Paso.", "--status",
           "at_risk", "--progress", "50", "--date", "2026-11-24", data_dir=us)  # fmt: skip
    refused = puente("plan", "update", "9.9", "--text", "x", "--status", "on_track",
                     "--progress", "1", data_dir=us, check=False)  # fmt: skip
    assert refused.returncode == 1
    assert "No element 9.9 in the plan" in refused.stderr
    sync_now(us, "mx-node")
    sync_now(mx, "us-node")
    us_plan = puente("plan", "export", data_dir=us).stdout
    mx_plan = puente("plan", "export", data_dir=mx).stdout
    assert us_plan == mx_plan
    assert "Inspecciones de precursores en Manzanillo" in us_plan
    assert "owner: mx-node" in us_plan
    shown = puente("plan", "show", data_dir=us).stdout
    assert "1.1.1.1 Joint precursor targeting cell  55% On track" in shown  # the latest update
    # Mexico's element is Mexico's: the United States may not change it.
    changed = MEXICO_ACTION.replace('progress: "10"', 'progress: "90"')
    (tmp_path / "us.yaml").write_text(changed, encoding="utf-8")
    refused = puente("plan", "import", str(tmp_path / "us.yaml"), data_dir=us, check=False)
    assert refused.returncode == 1
    assert "1.1.1.2 belongs to node mx-node: only it may change it." in refused.stderr


def test_the_plan_converges_after_a_node_was_offline(served_pair: Pair, tmp_path: Path) -> None:
    """Mexico's node goes down; both keep writing (each node's plan lives in its own
    database); when it is back, one sync each way and both hold the same plan."""
    us, mx = served_pair.us, served_pair.mx
    puente("plan", "import", str(SAMPLE), data_dir=us)
    sync_now(mx, "us-node")
    served_pair.stop(mx)
    puente("plan", "update", "1.1.1.1", "--text", "Cell met in El Paso.", "--status",
           "at_risk", "--progress", "50", "--date", "2026-11-24", data_dir=us)  # fmt: skip
    unreachable = puente("sync", "mx-node", data_dir=us, check=False)
    assert unreachable.returncode != 0
    assert "mx-node" in unreachable.stderr
    (tmp_path / "mx.yaml").write_text(MEXICO_ACTION, encoding="utf-8")
    puente("plan", "import", str(tmp_path / "mx.yaml"), data_dir=mx)
    assert "Cell met in El Paso" not in puente("plan", "export", data_dir=mx).stdout
    served_pair.start(mx)
    sync_now(us, "mx-node")
    sync_now(mx, "us-node")
    us_plan = puente("plan", "export", data_dir=us).stdout
    assert us_plan == puente("plan", "export", data_dir=mx).stdout
    assert "Cell met in El Paso." in us_plan
    assert "Inspecciones de precursores en Manzanillo" in us_plan


def test_a_code_both_nodes_gave_out_is_a_gap_both_see(served_pair: Pair, tmp_path: Path) -> None:
    """Working apart, each node files an action as 1.1.1.2: after syncing each still shows
    its own in the plan (a partner's element cannot hide it), both name the clash as a gap,
    and Mexico can still cancel its own."""
    us, mx = served_pair.us, served_pair.mx
    puente("plan", "import", str(SAMPLE), data_dir=us)
    sync_now(mx, "us-node")
    (tmp_path / "mx.yaml").write_text(MEXICO_ACTION, encoding="utf-8")
    puente("plan", "import", str(tmp_path / "mx.yaml"), data_dir=mx)
    puente("plan", "set", "1.1.1.2", "--parent", "1.1.1", "--title-en", "Scanner lanes",
           "--title-es", "Carriles con escáner", "--lead-usa", "CBP", data_dir=us)  # fmt: skip
    sync_now(us, "mx-node")
    sync_now(mx, "us-node")
    us_shows, mx_shows = (puente("plan", "show", data_dir=node).stdout for node in (us, mx))
    assert "Scanner lanes" in us_shows
    assert "Precursor inspections" not in us_shows
    assert "Precursor inspections" in mx_shows
    assert "Scanner lanes" not in mx_shows
    for node in (us, mx):
        gaps = puente("plan", "gaps", data_dir=node).stdout
        assert "A code two nodes gave to different elements: 1" in gaps
    puente("plan", "set", "1.1.1.2", "--status", "cancelled", data_dir=mx)
    exported = yaml.safe_load(puente("plan", "export", data_dir=mx).stdout)["elements"]
    statuses = {e["owner"]: e.get("status", "not_started") for e in exported
                if e["code"] == "1.1.1.2"}  # fmt: skip
    assert statuses == {"mx-node": "cancelled", "us-node": "not_started"}
