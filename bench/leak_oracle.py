"""The leak oracle of issue 13 as a long run: seeded record lifecycles on two nodes, every exit
read as every reader and held to tests/support/oracle.py's decision table.

A *case* is one decision checked: one record version, one reader, one exit (a list exit's
body checks every version the node holds; a record's exits check that record's versions; an
action refused or accepted is one case too). The run stops once ``--cases`` cases are checked.

    python bench/leak_oracle.py --cases 100000            # moderate: minutes
    python bench/leak_oracle.py --cases 1000000 --out bench/results/leak_oracle.json

It prints the cases checked, the violations found (leaks and existence leaks, under-release
and actions a rule forbids, grouped by rule and exit with a few stories each), the time and
the cases per second; exits 1 if any leak was found. The two nodes are in-process (their own
SQLite databases under $PUENTE_BENCH_DIR), as in tests/functional/test_leak_oracle.py, which
runs a bounded number of the same cases in CI. ``--fresh-every`` plans a new pair of nodes, so
the list exits' cost stays bounded however long the run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import WORK_DIR, log, machine, write_json

from puente import domains
from tests.support import databases
from tests.support.leak_exits import Violation, World
from tests.support.leak_plans import ACCOUNTS, RandomChooser, plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="stop after this many")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--plans", type=int, default=6, help="record lifecycles per round")
    parser.add_argument("--fresh-every", type=int, default=120,
                        help="plans on one pair of nodes before a new pair")  # fmt: skip
    parser.add_argument("--fast", action="store_true",
                        help="CI's sampling of the per-record exits (see World._record)")  # fmt: skip
    parser.add_argument("--cli-every", type=int, default=5,
                        help="rounds between two `puente export stix` as every user; 0: never")  # fmt: skip
    parser.add_argument("--examples", type=int, default=2, help="stories shown per group")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()

    domains.install()
    work = WORK_DIR / f"leak-oracle-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "template").mkdir(parents=True)
    template = databases.sqlite_template(work / "template")
    rng = random.Random(args.seed)
    chooser = RandomChooser(rng)

    cases = requests = plans_done = worlds = rounds = 0
    violations: list[Violation] = []
    exits: Counter[str] = Counter()
    releases: Counter[str] = Counter()  # approvals by state, copies released and recalled

    def tally(done: World) -> None:
        releases.update(f"approvals {a.state}" for a in done.approvals)
        copies = [t for t in done.records.values() if t.copy is not None]
        releases["copies released"] += len(copies)
        releases["copies approved"] += sum(1 for t in copies if t.copy and t.copy.approved_by)
        releases["copies recalled"] += sum(1 for t in copies if t.recalled)

    started = time.perf_counter()
    world: World | None = None
    try:
        while cases < args.cases:
            if world is None or plans_done >= args.fresh_every * worlds:
                if world is not None:
                    cases, requests = cases + world.cases, requests + world.requests
                    violations += world.violations
                    exits += world.exits_seen
                    tally(world)
                    world.close()
                worlds += 1
                folder = work / f"world-{worlds}"
                (folder / "db").mkdir(parents=True)
                urls = [databases.sqlite_copy(template, folder / "db", f"{n}.db")
                        for n in ("us", "mx")]  # fmt: skip
                world = World(folder, *urls, seed=rng.randrange(2**32))
                world.check_admin_tokens()
            made = [world.apply(plan(chooser)) for _ in range(args.plans)]
            plans_done += args.plans
            rounds += 1
            world.sync()
            world.check(focus=[t.stix_id for t in made if t is not None], fast=args.fast)
            if args.cli_every and rounds % args.cli_every == 0:
                world.check_cli()
            done = cases + world.cases
            elapsed = time.perf_counter() - started
            log(f"round {rounds}: {done:,} cases, {len(violations) + len(world.violations):,} "
                f"violations, {elapsed:.0f} s, {done / elapsed:,.0f} cases/s")  # fmt: skip
            if world.cases + cases >= args.cases:
                break
    finally:
        if world is not None:
            cases, requests = cases + world.cases, requests + world.requests
            violations += world.violations
            exits += world.exits_seen
            tally(world)
            reporter = world
            reporter.violations = violations
            reporter.cases, reporter.requests = cases, requests
            print(reporter.report(limit=args.examples))
            world.close()
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - started
    kinds = Counter(v.kind for v in violations)
    leaks = kinds["leak"] + kinds["existence"]
    figures: dict[str, Any] = {
        "cases": cases,
        "leaks": leaks,
        "violations": dict(kinds),
        "groups": dict(Counter(f"{v.kind} · {v.rule} · {v.exit}" for v in violations)),
        "requests": requests,
        "plans": plans_done,
        "rounds": rounds,
        "node_pairs": worlds,
        "seconds": round(seconds, 1),
        "cases_per_second": round(cases / seconds, 1),
        "requests_per_second": round(requests / seconds, 1),
        "exits": len(exits),
        "exits_read": dict(exits),
        "readers": {
            "users": sum(len(a) for a in ACCOUNTS.values()),
            "partner nodes": 2,
            "hit indexes": 2,
        },
        "releases": dict(releases),
        "options": {k: str(v) for k, v in vars(args).items()},
        "machine": machine(),
    }
    print(f"\ncases checked: {cases:,}")
    print(f"leaks found:   {leaks:,} (content {kinds['leak']:,}, existence "
          f"{kinds['existence']:,}); under-release {kinds['lost']:,}; actions a rule forbids "
          f"{kinds['action']:,}")  # fmt: skip
    print(f"time:          {seconds:,.1f} s ({requests:,} requests, {plans_done:,} records' "
          f"lifecycles on {worlds} pair(s) of nodes)")  # fmt: skip
    print(f"throughput:    {cases / seconds:,.0f} cases/s, {requests / seconds:,.0f} requests/s")
    print(f"exits read:    {len(exits)}; releases: "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(releases.items())))  # fmt: skip
    if args.out:
        write_json(args.out, figures)
    return 1 if leaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
