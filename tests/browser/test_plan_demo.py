"""The joint action plan in the two-node demo, in a real browser: Mexico's coordinator (in
Spanish) records progress on an action the United States leads; the US coordinator (in
English) sees it after the nodes sync, with the indicators' charts and the gaps."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support.demo import Demo, sign_in

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


def test_a_coordinator_records_a_meeting_and_a_milestone_in_the_forms(
    browser: Browser, demo: Demo, screenshots: Path
) -> None:
    """Mexico's coordinator, in Spanish: a working-group meeting through the meeting form
    (first naming an objective where an action belongs, and told so next to the field), then
    a milestone on one of Mexico's actions through the element form."""
    context = browser.new_context(locale="es-MX", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, demo.mx_url, "sre.coordinacion")
    if page.locator("html").get_attribute("lang") != "es":
        page.get_by_role("button", name="Español").click()
    page.goto(demo.mx_url + "/meetings")
    page.get_by_role("link", name="Nueva reunión").click()
    page.locator("#f-code").fill("WG-2026-12")
    page.locator("#f-kind").select_option("working_group")
    page.locator("#f-title_en").fill("Firearms trafficking working group")
    page.locator("#f-title_es").fill("Grupo de trabajo sobre tráfico de armas")
    page.locator("#f-date").fill("2026-12-10")
    page.locator("#f-place").fill("Ciudad de México")
    page.locator("#f-participants").fill("Ana Paula Mendoza Lara; coordinadora; SRE")
    page.locator("#f-agenda").fill("Southbound seizures | Decomisos hacia el sur")
    page.locator("#f-actions").fill("1.2.1")
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("#f-actions-error-1")).to_contain_text("1.2.1 no es una acción")
    page.locator("#f-actions").fill("1.2.1.1")
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("h1")).to_contain_text("Grupo de trabajo sobre tráfico de armas")
    expect(page.locator("#meeting-agenda")).to_contain_text("Decomisos hacia el sur")

    page.goto(demo.mx_url + "/plan/1.2.1.1/edit")
    row = (
        page.locator("#milestone-rows fieldset.plan-row")
        .filter(has=page.locator("input[name$='title_es'][value='']"))
        .first
    )
    row.locator("input[name$='title_en']").fill("Bulletin template agreed")
    row.locator("input[name$='title_es']").fill("Formato del boletín acordado")
    row.locator("input[name$='due_date']").fill("2027-01-31")
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("#plan-milestones")).to_contain_text("Formato del boletín acordado")
    expect(page.locator("#plan-milestones")).to_contain_text("Aún no cumplido")
    page.screenshot(path=str(screenshots / "plan-milestone-es.png"), full_page=True)
    context.close()
