"""The two-node demo in a real browser: Mexico's analyst asks whether the United States holds a
person (in Spanish), gets a hit, sends a request for information; the US liaison (in English)
answers by releasing the record, once its originating agency approves; the analyst opens it, and
reads the request in both languages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support.demo import Demo, sign_in

pytestmark = pytest.mark.browser


def test_a_hit_leads_to_a_request_answered_with_the_record(
    browser: Browser, demo: Demo, screenshots: Path
) -> None:
    mexico = browser.new_context(locale="es-MX", viewport={"width": 1280, "height": 900})
    usa = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    for context in (mexico, usa):
        context.set_default_timeout(20_000)
    analyst, liaison = mexico.new_page(), usa.new_page()
    person = demo.person

    # Mexico's analyst, in Spanish, asks whether the United States knows the person.
    sign_in(analyst, demo.mx_url, "fgr.analista")
    if analyst.locator("html").get_attribute("lang") != "es":
        analyst.get_by_role("button", name="Español").click()
    analyst.get_by_role("link", name="Coincidencia/no coincidencia").click()
    analyst.locator("#f-partner").select_option("us-demo")
    analyst.locator("#f-case_reference").fill("FGR/FED/UEIDCS/0117/2026")
    analyst.locator("#f-legal_basis").fill("Tratado de Asistencia Jurídica Mutua, art. 1")
    analyst.locator("#f-category-person").check()
    analyst.locator("#f-given_names").fill(person["given_names"])
    analyst.locator("#f-paternal_surname").fill(person["paternal_surname"])
    analyst.locator("#f-maternal_surname").fill(person["maternal_surname"])
    analyst.locator("#f-date_of_birth").fill(person["date_of_birth"])
    analyst.get_by_role("button", name="Consultar").click()
    expect(analyst.locator("tbody")).to_contain_text("Coincidencia")
    analyst.screenshot(path=str(screenshots / "hit-es.png"), full_page=True)

    # The hit becomes a request for information, prefilled from the query.
    analyst.get_by_role("link", name=re.compile("^Solicitar información")).first.click()
    expect(analyst.locator("#f-case_reference")).to_have_value("FGR/FED/UEIDCS/0117/2026")
    analyst.locator("#f-question").fill(
        "Investigamos un envío de fentanilo por Nogales. ¿Qué registros tienen de esta persona?"
    )
    analyst.get_by_role("button", name="Enviar a la contraparte").click()
    expect(analyst.locator("#rfi-state")).to_have_text("Recibido")
    request_url = analyst.url

    # The US liaison, in English, finds it in the inbox and answers with the record.
    sign_in(liaison, demo.us_url, "hsi.liaison")
    liaison.get_by_role("link", name="Requests", exact=True).click()
    expect(liaison.locator("h1")).to_have_text("Requests for information")
    liaison.locator("#rfi-list a").first.click()
    expect(liaison.locator("#rfi-question")).to_contain_text("fentanilo por Nogales")
    liaison.get_by_label(re.compile(re.escape(demo.name))).first.check()
    liaison.locator("#f-answer").fill("We hold one record on this person; released to you.")
    liaison.locator("#f-tlp").select_option("AMBER")
    liaison.locator("#f-release_reason").fill("FGR investigates the shipment he drove.")
    liaison.get_by_role("button", name="Send the answer").click()
    if liaison.locator("#release-approvals").count():
        # A record its originating agency has not let Mexico have: that agency approves it.
        expect(liaison.locator("#rfi-state")).to_have_text("Received")
        office = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        office.set_default_timeout(20_000)
        approving = office.new_page()
        sign_in(approving, demo.us_url, demo.approver)
        approving.goto(demo.us_url + "/rfis/approvals")
        expect(approving.locator("#approvals")).to_contain_text(demo.name)
        approving.get_by_role("button", name="Approve the release").first.click()
        expect(approving.locator("#approvals")).to_contain_text("Nothing awaits")
        office.close()
        liaison.reload()
    expect(liaison.locator("#rfi-state")).to_have_text("Answered")
    liaison.screenshot(path=str(screenshots / "rfi-answered-en.png"), full_page=True)

    # The analyst sees the answer at once, and the record with the next sync.
    analyst.goto(request_url)
    expect(analyst.locator("#rfi-state")).to_have_text("Respondido")
    expect(analyst.locator("#rfi-answer")).to_contain_text("released to you")
    record_link = analyst.locator("#released-records a")
    for _ in range(40):  # the demo's nodes sync every 20 s
        if record_link.count():
            break
        analyst.wait_for_timeout(1000)
        analyst.reload()
    expect(record_link).to_have_text(demo.name)
    analyst.screenshot(path=str(screenshots / "rfi-answered-es.png"), full_page=True)
    record_link.click()
    expect(analyst.locator("h1")).to_contain_text(demo.name)
    expect(analyst.locator("#banner-top")).to_contain_text("TLP:AMBER")

    # The same request, read in English.
    analyst.goto(request_url)
    analyst.get_by_role("button", name="English").click()
    expect(analyst.locator("#rfi-state")).to_have_text("Answered")
    expect(analyst.locator("#history-heading")).to_have_text("History")
    mexico.close()
    usa.close()
