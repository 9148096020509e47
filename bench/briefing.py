"""Briefing speed (issue 5): the assessment of a meeting as HTML and PDF, in both languages.

Builds a node (SQLite) with the shipped public figures and a generated plan of 150 actions
(3 goals × 5 areas × 2 objectives × 5 actions, in every status, with updates) and 25
indicators (dataset ones split by field office or state, platform and manual ones), and a
meeting; then times, in one process as `puente serve` would, the HTML and the PDF in English
and in Spanish: everything a coordinator's "Generate briefing" in both languages costs,
charts drawn on the server included. Target: at most 10 s for the four.

Usage::

    python bench/briefing.py [--out bench/results/briefing.json]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, init_node, log, machine, write_json

STATUSES = ("not_started", "on_track", "at_risk", "delayed", "completed", "cancelled")
INDICATOR_KINDS = (
    ("cbp.drugs", "weight_lb", {"region": "Southwest Border", "drug": "Fentanyl"}, "aor"),
    ("cbp.weapons", "events", {"southbound": "yes", "seizure_type": "All"}, "aor"),
    ("sesnsp.incidence", "incidents", {"subtipo": "Homicidio doloso"}, ""),
)


def plan_file() -> str:
    lines = ["format: puente-plan/1", "elements:"]
    number = 0
    for g in range(1, 4):
        lines.append(f'  - {{code: "{g}", level: goal, title: {{en: Goal {g}, es: Objetivo {g}}}}}')
        for a in range(1, 6):
            lines.append(f'  - {{code: "{g}.{a}", level: area, parent: "{g}", '
                         f'title: {{en: Area {g}.{a}, es: Área {g}.{a}}}}}')  # fmt: skip
            for o in range(1, 3):
                code = f"{g}.{a}.{o}"
                lines.append(f'  - {{code: "{code}", level: objective, parent: "{g}.{a}", '
                             f'title: {{en: Objective {code}, es: Objetivo {code}}}}}')  # fmt: skip
                for n in range(1, 6):
                    number += 1
                    status = STATUSES[number % len(STATUSES)]
                    lines.append(
                        f'  - {{code: "{code}.{n}", level: action, parent: "{code}", title: '
                        f'{{en: Action {code}.{n}, es: Acción {code}.{n}}}, status: {status}, '
                        f'progress: "{(number * 7) % 100}", start_date: "2025-01-01", '
                        f'due_date: "2026-{1 + number % 12:02d}-28", '
                        f'leads: {{USA: [CBP]{", MEX: [FGR]" if number % 4 else ""}}}}}'
                    )  # fmt: skip
    lines.append("indicators:")
    for i in range(1, 26):
        dataset, measure, filters, split = INDICATOR_KINDS[i % 3]
        shown = ", ".join(f"{k}: {v!r}" for k, v in filters.items())
        lines.append(
            f'  - {{code: I{i}, objective: "1.1.1", name: {{en: Indicator {i}, es: Indicador {i}}}, '
            f'unit: {{en: units, es: unidades}}, good_direction: up, source: dataset, '
            f'dataset: {dataset}, measure: {measure}, filters: {{{shown}}}, '
            f'{f"split_by: {split}, " if split else ""}baseline: {{date: "2021-01-01", value: "100"}}, '
            f'targets: [{{date: "2027-01-01", value: "200"}}]}}'
        )  # fmt: skip
    lines += ["meetings:",
              '  - {code: MIN-2027-02, kind: ministerial, title: {en: Security Ministerial, '
              'es: Reunión Ministerial de Seguridad}, date: "2027-02-20"}']  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "briefing.json")
    parser.add_argument("--work", type=Path, default=Path("/tmp/puente-bench-briefing"))
    args = parser.parse_args(argv)
    init_node(args.work)
    from puente.accounts import service as accounts
    from puente.indicators import store
    from puente.node import open_node
    from puente.plan import briefing, yaml_io

    node = open_node(args.work)
    with node.db.session() as session:
        admin = accounts.principal_for(accounts.get_user(session, "admin"), node.settings)
        store.import_shipped(session, admin)
        report = yaml_io.import_plan(session, node, admin, plan_file())
    log(f"plan: {report.created} elements, {report.indicators} indicators, "
        f"{report.meetings} meeting")  # fmt: skip
    timings: dict[str, Any] = {}
    started = time.perf_counter()
    with node.db.session() as session:
        for locale in ("en", "es"):
            t0 = time.perf_counter()
            html = briefing.render_html(session, node, "MIN-2027-02", locale)
            t1 = time.perf_counter()
            pdf = briefing.render_pdf(session, node, "MIN-2027-02", locale)
            t2 = time.perf_counter()
            timings[locale] = {"html_s": round(t1 - t0, 3), "pdf_s": round(t2 - t1, 3),
                               "html_bytes": len(html), "pdf_bytes": len(pdf)}  # fmt: skip
            log(f"{locale}: HTML {timings[locale]['html_s']} s, PDF {timings[locale]['pdf_s']} s")
    total = round(time.perf_counter() - started, 3)
    log(f"all four: {total} s (target 10 s)")
    node.close()
    write_json(args.out, {"machine": machine(), "actions": 150, "indicators": 25,
                          "elements": report.created, "timings": timings, "total_s": total})  # fmt: skip
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
