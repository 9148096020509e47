"""Adding a partner: the credentials it is told to use work, and a partner of this node's own
country is refused (its collection would receive what only this country's agencies may see).
Through `puente partner add`, the only way to add one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.errors import InvalidInput
from puente.node import Node
from puente.policy.roles import Principal
from puente.sharing import partners
from puente.sharing.models import Partner
from puente.web.app import create_app
from tests.support.cli import run
from tests.support.partners import MEX_KEY, basic

SAME_COUNTRY = (
    "A partner is another country's node: this node is in USA, so its collection would "
    "receive records meant for USA's agencies only."
)


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


def _add(node: Node, node_id: str, country: str) -> tuple[int, str]:
    env = {"PUENTE_HOME": str(node.settings.data_dir), "PUENTE_LANG": "en"}
    return run("partner", "add", node_id, "--country", country, "--url", "http://127.0.0.1:9",
               "--key", MEX_KEY, "--secret", "theirs-" * 4, env=env)  # fmt: skip


def test_partner_add_prints_the_credentials_the_partner_signs_in_with(
    client: TestClient, node: Node
) -> None:
    code, output = _add(node, "mx-node", "MEX")
    assert code == 0, output
    lines = output.splitlines()
    username = next(line.split(":", 1)[1].strip() for line in lines if "username:" in line)
    secret = next(line.split(":", 1)[1].strip() for line in lines if "secret:" in line)
    assert username == "mx-node"  # the partner's own node id, not this node's (us-node)
    signed_in = client.get("/taxii2/api/collections/", headers=basic(username, secret))
    assert signed_in.status_code == 200, signed_in.text


def test_a_partner_of_this_nodes_own_country_is_refused(node: Node, admin: Principal) -> None:
    code, output = _add(node, "us-other", "usa")
    assert code == 1
    assert SAME_COUNTRY in " ".join(output.split())
    with node.db.session() as session:
        with pytest.raises(InvalidInput) as refused:
            partners.add_partner(
                session, admin, node_id="us-other", country="USA", display_name="",
                base_url="http://127.0.0.1:9", public_key=MEX_KEY, outbound_secret="x" * 24,
            )  # fmt: skip
        assert refused.value.problems[0].pointer == "/country"
        assert session.execute(select(Partner.id)).first() is None
