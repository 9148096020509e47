"""What leaves a node as STIX: a full export (everything its users may export, together) and a
partner's collection as TAXII serves it to the partner."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from puente.accounts import service as accounts
from puente.node import Node
from puente.policy.roles import Principal
from puente.records import service as records
from tests.support.partners import basic

ROOT = "/taxii2/api/"


def full_export(node: Node, kinds: tuple[str, ...] = ()) -> dict[str, Any]:
    """One bundle of what every user allowed to export may export (of these kinds, as
    `puente export stix --kind` asks), each object once."""
    found: dict[str, dict[str, Any]] = {}
    query = records.SearchQuery(kinds=kinds)
    with node.db.session() as session:
        for user in accounts.list_users(session, _admin(node)):
            who = accounts.principal_for(user, node.settings)
            if who.can("records.export"):
                found |= {obj["id"]: obj for obj in records.export(session, who, query)}
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(found.values())}


def partner_collection(client: TestClient, partner: str, secret: str) -> list[dict[str, Any]]:
    """Every object the partner's readable collection serves it, page after page."""
    headers = basic(partner, secret)
    listed = client.get(ROOT + "collections/", headers=headers).json()["collections"]
    (readable,) = [c for c in listed if c["can_read"]]
    objects: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    while True:
        page = client.get(f"{ROOT}collections/{readable['id']}/objects/", params=params,
                          headers=headers)  # fmt: skip
        assert page.status_code == 200, page.text
        body = page.json()
        objects += body.get("objects", [])
        if not body.get("more"):
            return objects
        params = {"next": body["next"]}


def _admin(node: Node) -> Principal:
    with node.db.session() as session:
        return accounts.principal_for(accounts.get_user(session, "admin"), node.settings)
