"""The joint action plan for tests: a plan file and its meetings."""

from __future__ import annotations

MEETINGS = """meetings:
  - code: SIG-2026-09
    kind: sig
    title: {en: Security Implementation Group, es: Grupo de Implementación de Seguridad}
    date: "2026-09-18"
    place: Mexico City
    agenda:
      - {en: Fentanyl interdiction, es: Intercepción de fentanilo}
    decisions:
      - {en: Mexico leads precursor inspections, es: México encabeza las inspecciones}
    actions: ["1.1.1.1"]
    expectations:
      - {text: {en: Cell fully staffed, es: Célula completa}, subject: "1.1.1.1", due_date: "2026-12-31"}
"""


PLAN = """format: puente-plan/1
elements:
  - {code: "1", level: goal, title: {en: Protect, es: Proteger}}
  - {code: "1.1", level: area, parent: "1", title: {en: Fentanyl, es: Fentanilo}}
  - {code: "1.1.1", level: objective, parent: "1.1", title: {en: Interdict, es: Interceptar}}
  - {code: "1.1.2", level: objective, parent: "1.1", title: {en: Precursors, es: Precursores}}
  - {code: "1.1.1.1", level: action, parent: "1.1.1", title: {en: Scanners, es: Escáneres},
     status: on_track, due_date: "2026-10-31", leads: {USA: [CBP], MEX: [ANAM]}}
  - {code: "1.1.1.2", level: action, parent: "1.1.1", title: {en: Cell, es: Célula},
     status: on_track, due_date: "2027-01-31", leads: {USA: [DEA]}}
  - {code: "1.1.2.1", level: action, parent: "1.1.2", title: {en: Done, es: Hecha},
     status: completed, due_date: "2026-01-31", leads: {USA: [DEA]}}
"""
