"""The web UI in a real browser: sign in, Spanish, a keyboard-only form, search, the banner."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from puente.accounts import service as accounts
from puente.policy.markings import Markings
from puente.records import service as records
from tests.support.demo import Served
from tests.support.nodes import PASSWORD, add_user

pytestmark = pytest.mark.browser


def sign_in(page: Page, served: Served, username: str = "ana") -> None:
    page.goto(served.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.locator("h1")).to_have_text("Dashboard")


def tab_to(page: Page, element_id: str, limit: int = 120) -> None:
    """Press Tab until the element has focus, as a keyboard user moves through a form."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def seed(served: Served, *incidents: tuple[str, str]) -> None:
    """Incidents created by ana (CBP), each under its TLP, releasable to the USA only."""
    with served.node.db.session() as session:
        ana = accounts.principal_for(accounts.get_user(session, "ana"), served.node.settings)
        for name, tlp in incidents:
            records.create(
                session,
                served.node.settings,
                ana,
                "incident",
                {"name": name},
                Markings(tlp=tlp, rel_to=frozenset({"USA"})),
            )


def test_sign_in_then_switch_to_spanish(page: Page, served: Served, screenshots: Path) -> None:
    add_user(served.node, "ana", "CBP", ["analyst"])
    seed(served, ("Tunnel under the Nogales wash", "AMBER"), ("Drone drop near Tecate", "GREEN"))
    sign_in(page, served)
    assert page.evaluate("typeof htmx") == "object"  # the vendored script loaded, no CDN
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Español").click()
    expect(page.locator("h1")).to_have_text("Tablero")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Registros más recientes")).to_be_visible()
    expect(page.get_by_role("link", name="Tunnel under the Nogales wash")).to_be_visible()
    expect(page.locator("#banner-top")).to_have_text("TLP:AMBER · REL TO USA · H0")
    expect(page.get_by_role("link", name="Buscar registros").first).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    page.screenshot(path=str(screenshots / "dashboard-es.png"), full_page=True)

    page.reload()  # the choice sticks
    expect(page.locator("h1")).to_have_text("Tablero")


def test_create_a_person_with_the_keyboard_find_it_and_read_it(
    page: Page,
    served: Served,
    screenshots: Path,
) -> None:
    add_user(served.node, "ana", "CBP", ["analyst"])
    sign_in(page, served)
    page.goto(served.url + "/records/new/person")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Given names")).to_be_focused()
    page.keyboard.type("Rosa María")
    page.keyboard.press("Tab")
    page.keyboard.type("Quintero")
    page.keyboard.press("Tab")
    page.keyboard.type("Beltrán")
    page.keyboard.press("Tab")
    page.keyboard.type("La Jefa")
    page.keyboard.press("Enter")
    page.keyboard.type("Doña Rosa")
    tab_to(page, "f-date_of_birth")
    page.keyboard.type("03121984")
    tab_to(page, "f-documents")
    page.keyboard.type("CURP:QUBR840312MSLNLT09")
    tab_to(page, "f-markings-handling_text")  # a text input: Enter submits the form
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Rosa María Quintero Beltrán")
    expect(page.locator("#banner-top")).to_have_text("TLP:AMBER · REL TO USA · H2")
    expect(page.locator("#banner-bottom")).to_have_text("TLP:AMBER · REL TO USA · H2")
    expect(page.locator("dl").first).to_contain_text("1984-03-12")
    expect(page.locator("dl").first).to_contain_text("Doña Rosa")

    # Find it: the search page answers as the user types (htmx), without a page load.
    page.goto(served.url + "/records")
    page.get_by_label("Words").type("quintero")
    result = page.locator("#results").get_by_role("link", name="Rosa María Quintero Beltrán")
    expect(result).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=quintero"))
    result.focus()
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Rosa María Quintero Beltrán")
    top, bottom = page.locator("#banner-top"), page.locator("#banner-bottom")
    expect(top).to_be_visible()
    expect(bottom).to_be_visible()
    top_box, bottom_box, main_box = (
        top.bounding_box(),
        bottom.bounding_box(),
        page.locator("main").bounding_box(),
    )
    assert top_box
    assert bottom_box
    assert main_box
    assert top_box["y"] + top_box["height"] <= main_box["y"] + 1
    assert bottom_box["y"] >= main_box["y"] + main_box["height"] - 1
    page.screenshot(path=str(screenshots / "record.png"), full_page=True)


def test_the_banner_in_the_browser_follows_the_search_results(page: Page, served: Served) -> None:
    add_user(served.node, "ana", "CBP", ["analyst"])
    seed(served, ("Nogales port", "GREEN"), ("Nogales tunnel", "AMBER"))
    sign_in(page, served)
    page.goto(served.url + "/records")
    page.get_by_label("Words").type("port")
    expect(page.locator("#results").get_by_role("link")).to_have_count(1)
    expect(page.locator("#banner-top")).to_have_text("TLP:GREEN · REL TO USA · H0")
    page.get_by_label("Words").fill("nogales")
    expect(page.locator("#results").get_by_role("link")).to_have_count(2)
    expect(page.locator("#banner-top")).to_have_text("TLP:AMBER · REL TO USA · H0")
    expect(page.locator("#banner-bottom")).to_have_text("TLP:AMBER · REL TO USA · H0")


def test_recall_a_shared_record_and_follow_it_on_the_partner_pages(
    page: Page, served: Served, screenshots: Path
) -> None:
    from puente.sharing import partners

    add_user(served.node, "ana", "CBP", ["analyst"])
    with served.node.db.session() as session:
        admin = accounts.principal_for(accounts.get_user(session, "admin"), served.node.settings)
        partners.add_partner(
            session, admin, node_id="mx-node", country="MEX", display_name="México",
            base_url="http://127.0.0.1:9", public_key="ab" * 32,
            outbound_secret="mexico-issued-secret-0001",
        )  # fmt: skip
        ana = accounts.principal_for(accounts.get_user(session, "ana"), served.node.settings)
        view = records.create(
            session, served.node.settings, ana, "incident", {"name": "Sent by mistake"},
            Markings(tlp="GREEN", rel_to=frozenset({"USA", "MEX"})),
        )  # fmt: skip
    sign_in(page, served)
    page.get_by_role("link", name="Partners").click()
    expect(page.locator("h1")).to_have_text("Partners")
    expect(page.locator("main")).to_contain_text("mx-node")

    page.goto(f"{served.url}/records/{view.stix_id}")
    page.get_by_role("link", name="Recall from partners").click()
    page.get_by_label("Why is it recalled?").fill("Sent before the case officer cleared it")
    page.get_by_role("button", name="Recall from partners").click()
    expect(page).to_have_url(re.compile(r"/recalls$"))
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("mx-node")
    expect(row).to_contain_text("pending")
    page.screenshot(path=str(screenshots / "recalls.png"), full_page=True)
