"""Partners for tests: a partner with a key, what it sent and acknowledged, a TAXII server that pretends to be one, and records to share with it."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from puente.clock import now
from puente.node import Node, generate_key
from puente.policy.markings import MARKINGS_EXTENSION, TLP_MARKING_IDS, Markings
from puente.policy.roles import Principal
from puente.records import builder
from puente.records import service as records
from puente.records.models import Record
from puente.sharing import partners, receipts, signing, sync
from puente.sharing.models import Partner, Quarantined
from puente.sharing.partners import PartnerPrincipal

PULL_URL = "http://127.0.0.1:9/api/collections/0b0b0b0b-0000-4000-8000-000000000001/objects/"


def add_keyed_partner(
    node: Node, admin: Principal, key_dir: Path, node_id: str = "mx-node", country: str = "MEX"
) -> Path:
    """A partner whose signing key the test holds, so it can sign receipts; its key path."""
    key_path = key_dir / f"{node_id}.pem"
    generate_key(key_path)
    public = signing.private_key(key_path).public_key().public_bytes_raw().hex()
    with node.db.session() as session:
        partners.add_partner(
            session, admin, node_id=node_id, country=country, display_name=f"Nodo {node_id}",
            base_url="http://127.0.0.1:9", public_key=public, outbound_secret="theirs-" * 4,
        )  # fmt: skip
    return key_path


def acknowledge(node: Node, key_path: Path, node_id: str, stix_ids: list[str]) -> str:
    """The partner's signed receipt for every stored version of these records, accepted."""
    with node.db.session() as session:
        rows = session.execute(
            select(Record).where(Record.stix_id.in_(stix_ids)).order_by(Record.pk)
        ).scalars()
        versions = [(r.stix_id, r.modified_key, r.content_hash) for r in rows]
        partner = session.execute(select(Partner).where(Partner.node_id == node_id)).scalar_one()
        requester = PartnerPrincipal(partner.id, partner.node_id, partner.country)
        signed = signed_receipt(node, key_path, versions, node_id)
        assert receipts.accept(session, node, requester, signed) is None
    return str(signed["id"])


def signed_receipt(
    node: Node, key_path: Path, versions: list[tuple[str, str, str]], node_id: str
) -> dict[str, Any]:
    """The receipt partner ``node_id`` would send ``node`` for these (id, modified, hash)
    versions, signed with its key."""
    stamp = "2026-02-01T09:00:00.000Z"
    body: dict[str, Any] = {
        "type": receipts.RECEIPT_TYPE, "spec_version": "2.1",
        "id": f"{receipts.RECEIPT_TYPE}--{uuid.uuid4()}", "created": stamp, "modified": stamp,
        "sender_node": node.settings.node_id, "receiver_node": node_id,
        "collection_id": "released", "object_count": len(versions),
        "first_date_added": stamp, "last_date_added": stamp,
        "versions": [list(v) for v in versions],
        "versions_sha256": receipts.versions_digest(versions),
    }  # fmt: skip
    return signing.sign(key_path, body)


def receive(node: Node, node_id: str, objects: list[Any], stamp: str) -> sync.StoredPage:
    """Store a page as if pulled from ``node_id`` (provenance, receipt and all)."""
    with node.db.session() as session:
        partner = session.execute(select(Partner).where(Partner.node_id == node_id)).scalar_one()
        return sync.store_page(session, node, partner, PULL_URL, objects, stamp, stamp)


def quarantine(node: Node, node_id: str, content: Any, reason: str, object_id: str = "") -> None:
    text = content if isinstance(content, str) else orjson.dumps(content).decode()
    with node.db.session() as session:
        partner = session.execute(select(Partner).where(Partner.node_id == node_id)).scalar_one()
        session.add(
            Quarantined(
                partner_id=partner.id,
                object_id=object_id or (content.get("id", "") if isinstance(content, dict) else ""),
                version="2026-02-01T08:00:00.000Z",
                reason=reason,
                content=text,
                size=len(text.encode()),
                date_added="2026-02-01T09:00:00.000001Z",
                received_at=now(),
            )
        )


TAXII = "application/taxii+json;version=2.1"


MEX_KEY = "ab" * 32


def add_partner(
    node: Node, admin: Principal, node_id: str = "mx-node", country: str = "MEX"
) -> str:
    with node.db.session() as session:
        added = partners.add_partner(
            session, admin, node_id=node_id, country=country, display_name=node_id,
            base_url="http://127.0.0.1:9", public_key=MEX_KEY, outbound_secret="theirs-" * 4,
        )  # fmt: skip
    return added.inbound_secret


def basic(user: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Accept": TAXII}


def store(node: Node, who: Principal, name: str, **marks: object) -> str:
    markings = Markings(
        tlp=str(marks.pop("tlp", "GREEN")),
        rel_to=frozenset(marks.pop("rel_to", ("USA", "MEX"))),  # type: ignore[arg-type]
        **marks,  # type: ignore[arg-type]
    )
    obj = builder.build("incident", {"name": name}, who.agency)
    with node.db.session() as session:
        records.import_objects(session, node.settings, who, [obj], override=markings)
    return str(obj["id"])


def incident(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "incident", "spec_version": "2.1", "id": f"incident--{uuid.uuid4()}",
        "created": "2026-02-01T08:00:00.000Z", "modified": "2026-02-01T08:00:00.000Z",
        "name": name, "object_marking_refs": [TLP_MARKING_IDS["GREEN"]],
        "extensions": {MARKINGS_EXTENSION: {"extension_type": "property-extension",
                                            "rel_to": ["MEX", "USA"], "handling": "H0"}},
        **extra,
    }  # fmt: skip


@dataclass
class FakePartner:
    """A TAXII server with one page of objects, recording the receipts posted to it."""

    pages: list[tuple[str, list[Any]]] = field(default_factory=list)  # (date_added, objects)
    posted: list[Any] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    broken: tuple[int, bytes] | None = None  # (status, body) every page request answers, if set

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self, body: Any, headers: dict[str, str] | None = None, status: int = 200
            ) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", TAXII)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                if self.path == "/taxii2/":
                    self._send({"title": "fake", "api_roots": ["/api/"], "default": "/api/"})
                elif self.path == "/api/collections/":
                    self._send({"collections": [
                        {"id": "0b0b0b0b-0000-4000-8000-000000000001", "title": "out",
                         "can_read": True, "can_write": False},
                        {"id": "0b0b0b0b-0000-4000-8000-000000000002", "title": "in",
                         "can_read": False, "can_write": True},
                    ]})  # fmt: skip
                elif "/objects/" in self.path and fake.broken is not None:
                    status, raw = fake.broken
                    self.send_response(status)
                    self.send_header("Content-Type", TAXII)
                    self.send_header("X-TAXII-Date-Added-Last", "2026-02-01T09:00:00.000001Z")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                elif "/objects/" in self.path:
                    after = ""
                    if "added_after=" in self.path:
                        after = self.path.split("added_after=")[1].split("&")[0].replace("%3A", ":")
                    for stamp, objects in fake.pages:
                        if stamp > after:
                            headers = {
                                "X-TAXII-Date-Added-First": stamp,
                                "X-TAXII-Date-Added-Last": stamp,
                            }
                            later = any(other > stamp for other, _ in fake.pages)
                            self._send({"more": later, "objects": objects}, headers)
                            return
                    self._send({})
                else:
                    self._send({"title": "not found"}, status=404)

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                envelope = json.loads(self.rfile.read(length))
                fake.posted.extend(envelope["objects"])
                successes = [{"id": o["id"], "version": o["modified"]} for o in envelope["objects"]]
                self._send({"id": str(uuid.uuid4()), "status": "complete", "total_count": len(successes),
                            "success_count": len(successes), "failure_count": 0, "pending_count": 0,
                            "successes": successes}, status=202)  # fmt: skip

        return Handler
