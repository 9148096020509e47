"""A real `puente serve`, read by the OASIS TAXII client as a partner node would read it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import stix2
from taxii2client.v21 import Collection, Server, as_pages

from puente.records.definitions import published
from tests.support.records import oasis_errors
from tests.support.servers import free_port, puente, start_server, write_bundle

OBJECTS = 2500


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[str, str, str]]:
    """A US node holding OBJECTS identities REL TO Mexico, and Mexico's credentials there."""
    data = tmp_path / "node"
    puente("init", "--node-id", "us-taxii", "--country", "USA", "--admin-password",
           "admin-password-1", "--database-url", database_url, data_dir=data)  # fmt: skip
    bundle = tmp_path / "bundle.json"
    write_bundle(bundle, OBJECTS)
    puente("import", "stix", str(bundle), "--tlp", "GREEN", "--rel-to", "USA", "--rel-to", "MEX",
           data_dir=data)  # fmt: skip
    added = puente("partner", "add", "mx-taxii", "--country", "MEX", "--url",
                   "http://127.0.0.1:9", "--key", "cd" * 32, "--secret", "mexico-issued-secret-1",
                   data_dir=data).stdout  # fmt: skip
    secret = re.search(r"secret:\s+(\S+)", added)
    assert secret is not None, added
    port = free_port()
    server = start_server(data, port)
    try:
        yield f"http://127.0.0.1:{port}/taxii2/", "mx-taxii", secret.group(1)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_oasis_client_discovers_and_pages_through_everything(
    served: tuple[str, str, str],
) -> None:
    url, user, password = served
    server = Server(url, user=user, password=password)
    assert server.title.startswith("Puente")
    (root,) = server.api_roots
    assert root.versions == ["application/taxii+json;version=2.1"]
    collection, inbox = root.collections
    assert (collection.can_read, collection.can_write) == (True, False)
    assert (inbox.can_read, inbox.can_write) == (False, True)  # where its receipts go

    pages = list(as_pages(collection.get_objects, per_request=1000))
    # With the records, the definitions they point at (their agencies' identities, TLP 2.0,
    # Puente's extensions), added when the collection was first read.
    definitions = len(published())
    assert [len(p.get("objects", [])) for p in pages] == [1000, 1000, 500 + definitions]
    objects = [obj for p in pages for obj in p["objects"]]
    assert len({obj["id"] for obj in objects}) == OBJECTS + definitions
    for obj in objects:  # the OASIS library parses every served object
        stix2.parse(obj, allow_custom=True)
    for obj in objects[::50]:  # the validator is slow (about 400 objects/s): a sample of 50
        assert oasis_errors(obj) == [], obj["id"]
    for obj in objects[OBJECTS:]:  # and every definition
        assert oasis_errors(obj) == [], obj["id"]

    manifest = collection.get_manifest()
    assert len(manifest["objects"]) == 1000
    assert manifest["more"] is True
    first = objects[0]
    versions = collection.object_versions(first["id"])
    assert versions["versions"] == [first["modified"]]
    one = collection.get_object(first["id"])
    assert [o["id"] for o in one["objects"]] == [first["id"]]
    # The same collection through its URL, as a sync job keeps it.
    again = Collection(collection.url, user=user, password=password)
    assert again.get_objects(limit=1)["objects"][0]["id"] == first["id"]


def test_the_oasis_client_is_refused_with_wrong_credentials(
    served: tuple[str, str, str],
) -> None:
    url, user, _password = served
    import requests

    with pytest.raises(requests.exceptions.HTTPError, match="401"):
        _ = Server(url, user=user, password="not-the-secret").title
