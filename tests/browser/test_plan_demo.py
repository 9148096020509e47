"""The joint action plan in the two-node demo, in a real browser: Mexico's coordinator (in
Spanish) records progress on an action the United States leads; the US coordinator (in
English) sees it after the nodes sync, with the indicators' charts and the gaps."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.demo import Demo, sign_in

pytestmark = pytest.mark.browser


def test_a_coordinator_records_progress_that_the_other_side_sees(
    browser: Browser, demo: Demo, screenshots: Path
) -> None:
    mexico = browser.new_context(locale="es-MX", viewport={"width": 1280, "height": 900})
    usa = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    for context in (mexico, usa):
        context.set_default_timeout(20_000)
    coordinadora, coordinator = mexico.new_page(), usa.new_page()

    sign_in(coordinadora, demo.mx_url, "sre.coordinacion")
    if coordinadora.locator("html").get_attribute("lang") != "es":
        coordinadora.get_by_role("button", name="Español").click()
    coordinadora.get_by_role("link", name="Plan", exact=True).click()
    expect(coordinadora.locator("h1")).to_have_text("Plan de acción conjunto")
    expect(coordinadora.locator("#plan-2-1-1-1")).to_contain_text("Retrasada")
    expect(coordinadora.locator("#plan-gaps")).to_contain_text("no tiene ninguna acción activa")
    coordinadora.locator("#plan-2-1-1-1 a").first.click()
    coordinadora.locator("#f-text").fill("Se asignó personal a los carriles de salida de Laredo.")
    coordinadora.locator("#f-status").select_option("on_track")
    coordinadora.locator("#f-progress").fill("60")
    coordinadora.get_by_role("button", name="Registrar avance").click()
    expect(coordinadora.locator("#plan-status")).to_have_text("En curso")
    expect(coordinadora.locator("#plan-updates")).to_contain_text("carriles de salida de Laredo")
    coordinadora.screenshot(path=str(screenshots / "plan-update-es.png"), full_page=True)

    # The United States node pulls Mexico's update with its next sync (every 20 s in the demo).
    sign_in(coordinator, demo.us_url, "inl.coordinator")
    coordinator.goto(demo.us_url + "/plan/2.1.1.1")
    status = coordinator.locator("#plan-status")
    for _ in range(45):
        if status.inner_text() == "On track":
            break
        coordinator.wait_for_timeout(1000)
        coordinator.reload()
    expect(status).to_have_text("On track")
    expect(coordinator.locator("#plan-updates")).to_contain_text("sre.coordinacion · mx-demo")

    coordinator.goto(demo.us_url + "/indicators/I1")
    expect(coordinator.locator("figure.chart svg").first).to_be_visible()
    expect(coordinator.locator("h1")).to_contain_text("Fentanyl seized at the Southwest border")
    coordinator.screenshot(path=str(screenshots / "indicator-en.png"), full_page=True)
    mexico.close()
    usa.close()


def _pdf_text(path: Path) -> str:
    import pypdf

    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(path).pages).split())


def test_a_coordinator_downloads_the_ministerial_briefing_in_both_languages(
    browser: Browser, demo: Demo, tmp_path: Path
) -> None:
    context = browser.new_context(locale="es-MX", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)  # fmt: skip
    context.set_default_timeout(30_000)
    coordinadora = context.new_page()
    sign_in(coordinadora, demo.mx_url, "sre.coordinacion")
    if coordinadora.locator("html").get_attribute("lang") != "es":
        coordinadora.get_by_role("button", name="Español").click()
    coordinadora.goto(demo.mx_url + "/meetings")
    coordinadora.get_by_role("link", name="Reunión Ministerial de Seguridad").click()
    texts = {}
    for name, language in (("Informe en PDF en español", "es"),
                           ("Informe en PDF en inglés", "en")):  # fmt: skip
        with coordinadora.expect_download() as download:
            coordinadora.get_by_role("link", name=name).click()
        saved = tmp_path / f"briefing-{language}.pdf"
        download.value.save_as(saved)
        texts[language] = _pdf_text(saved)
    assert "Informe: Reunión Ministerial de Seguridad" in texts["es"]
    assert "Avance por objetivo general y objetivo" in texts["es"]
    assert "Proteger a nuestras personas" in texts["es"]
    assert "Briefing: Security Ministerial" in texts["en"]
    assert "Progress by goal and objective" in texts["en"]
    assert "Protect our people" in texts["en"]
    coordinadora.get_by_role("link", name="Generar el informe").click()
    expect(coordinadora.locator("h1")).to_have_text("Informe: Reunión Ministerial de Seguridad")
    context.close()
