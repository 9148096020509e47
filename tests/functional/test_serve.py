"""A real `puente serve` on loopback: the REST API end to end over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port, puente, start_server


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[str, str]]:
    data = tmp_path / "node"
    env = {"PUENTE_DATABASE_URL": database_url}
    puente(
        "init",
        "--node-id",
        "us-serve",
        "--country",
        "USA",
        "--admin-password",
        "admin-password-1",
        "--database-url",
        database_url,
        data_dir=data,
    )
    puente(
        "user",
        "add",
        "ana",
        "--agency",
        "CBP",
        "--role",
        "analyst",
        "--password",
        "analyst-pass-1",
        data_dir=data,
        env=env,
    )
    token = puente("token", "create", "ana", data_dir=data, env=env).stdout.strip().splitlines()[-1]
    port = free_port()
    proc = start_server(data, port)
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_an_analyst_creates_finds_and_reads_a_seizure_over_http(served: tuple[str, str]) -> None:
    base, token = served
    headers = {"Authorization": f"Bearer {token}"}
    port = httpx.post(
        f"{base}/api/v1/records",
        headers=headers,
        json={
            "kind": "location",
            "fields": {
                "name": "San Ysidro",
                "country": "US",
                "administrative_area": "CA",
                "port_code": "2504",
            },
            "markings": {"tlp": "CLEAR", "rel_to": ["MEX"]},
        },
    )
    assert port.status_code == 201, port.text
    seizure = httpx.post(
        f"{base}/api/v1/records",
        headers=headers,
        json={
            "kind": "seizure",
            "fields": {
                "name": "Fentanyl pills in a quarter panel",
                "seizure_date": "2025-05-02",
                "substance": "fentanyl",
                "substance_category": "drug",
                "quantity": 12.4,
                "unit": "lb",
                "location_ref": port.json()["id"],
                "concealment_method": "vehicle-compartment",
            },
            "markings": {"tlp": "AMBER", "rel_to": ["MEX"], "handling": "H1"},
        },
    )
    assert seizure.status_code == 201, seizure.text
    assert seizure.json()["markings"]["banner"] == "TLP:AMBER · REL TO MEX, USA · H1"
    found = httpx.get(
        f"{base}/api/v1/records", headers=headers, params={"q": "quarter panel", "kind": "seizure"}
    ).json()
    assert [item["id"] for item in found["items"]] == [seizure.json()["id"]]
    related = httpx.get(
        f"{base}/api/v1/records/{port.json()['id']}/related", headers=headers
    ).json()
    assert seizure.json()["id"] in [item["id"] for item in related]
    assert httpx.get(f"{base}/api/v1/records").status_code == 401
