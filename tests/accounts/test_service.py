"""Accounts: passwords at rest, sign-in and lockout, API tokens, and roles held in services."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from puente.accounts import service as accounts
from puente.accounts.models import ApiToken, User, WebSession
from puente.audit import service as audit
from puente.clock import now
from puente.config import PasswordHashing
from puente.errors import Forbidden, InvalidInput, Locked, Unauthenticated
from puente.node import Node
from puente.policy.roles import Principal
from puente.policy.schemas import MarkingsIn
from puente.records import service as records
from tests.support.nodes import ADMIN_PASSWORD, PASSWORD


def _sign_in(node: Node, username: str, password: str) -> Exception | None:
    """Sign in as the web view does: a refusal is caught inside the unit of work."""
    with node.db.session() as session:
        try:
            accounts.authenticate(session, node.settings, username, password)
        except (Unauthenticated, Locked) as exc:
            return exc
    return None


def _user(node: Node, username: str) -> User:
    with node.db.session() as session:
        return accounts.get_user(session, username)


def test_passwords_are_stored_as_argon2id_hashes_never_in_clear(
    node: Node, analyst: Principal
) -> None:
    for username, password in (("admin", ADMIN_PASSWORD), ("ana", PASSWORD)):
        stored = _user(node, username).password_hash
        assert stored.startswith("$argon2id$")
        assert password not in stored
    with node.db.engine.connect() as connection:
        dump = "\n".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM users"))
    assert PASSWORD not in dump
    assert ADMIN_PASSWORD not in dump


def test_the_right_password_signs_in(node: Node, analyst: Principal) -> None:
    assert _sign_in(node, "ana", PASSWORD) is None


def test_unknown_user_and_wrong_password_get_the_same_error(node: Node, analyst: Principal) -> None:
    wrong = _sign_in(node, "ana", "not-her-password")
    unknown = _sign_in(node, "nobody", "not-her-password")
    assert isinstance(wrong, Unauthenticated)
    assert isinstance(unknown, Unauthenticated)
    assert (wrong.message, wrong.params) == (unknown.message, unknown.params)
    assert str(wrong).startswith("Wrong username or password.")


def test_a_deactivated_user_cannot_sign_in(node: Node, analyst: Principal) -> None:
    with node.db.session() as session:
        accounts.get_user(session, "ana").active = False
    refused = _sign_in(node, "ana", PASSWORD)
    assert isinstance(refused, Unauthenticated)
    assert str(refused).startswith("Wrong username or password.")


def test_lockout_after_the_threshold_and_unlock_after_the_time(
    node: Node, analyst: Principal
) -> None:
    threshold = node.settings.security.lockout_threshold
    for _ in range(threshold - 1):
        assert isinstance(_sign_in(node, "ana", "wrong-password"), Unauthenticated)
    assert _user(node, "ana").locked_until is None
    assert isinstance(_sign_in(node, "ana", "wrong-password"), Unauthenticated)
    assert _user(node, "ana").locked_until is not None

    # Locked: even the right password is refused, with the same words as any refusal (no
    # oracle for which accounts exist), which tell how long a lock lasts.
    refused = _sign_in(node, "ana", PASSWORD)
    assert isinstance(refused, Unauthenticated)
    assert str(refused) == str(_sign_in(node, "nobody-here", "wrong-password"))
    assert "locked for 15 minutes" in str(refused)

    # When the lock's time has passed, the right password works again.
    with node.db.session() as session:
        user = accounts.get_user(session, "ana")
        user.locked_until = now() - timedelta(seconds=1)
    assert _sign_in(node, "ana", PASSWORD) is None
    assert _user(node, "ana").locked_until is None
    assert _user(node, "ana").failed_logins == 0


def test_a_success_resets_the_failure_count(node: Node, analyst: Principal) -> None:
    threshold = node.settings.security.lockout_threshold
    for _ in range(threshold - 1):
        _sign_in(node, "ana", "wrong-password")
    assert _sign_in(node, "ana", PASSWORD) is None
    for _ in range(threshold - 1):
        _sign_in(node, "ana", "wrong-password")
    assert _sign_in(node, "ana", PASSWORD) is None


def test_a_lower_threshold_from_settings_is_honoured(node: Node, analyst: Principal) -> None:
    node.settings.security.lockout_threshold = 2
    _sign_in(node, "ana", "wrong-password")
    _sign_in(node, "ana", "wrong-password")
    assert _sign_in(node, "ana", PASSWORD) is not None
    assert _user(node, "ana").locked_until is not None


def test_api_token_is_shown_once_and_stored_hashed(node: Node, analyst: Principal) -> None:
    with node.db.session() as session:
        issued = accounts.create_token(session, analyst, "ana", "laptop", 30)
    assert issued.token.startswith("pte_")
    assert len(issued.token) > 40
    with node.db.session() as session:
        row = session.get(ApiToken, issued.id)
        assert row is not None
        assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
        assert issued.token not in (row.token_hash, row.prefix, row.name)
        listed = accounts.list_tokens(session, analyst)
    assert [t.id for t in listed] == [issued.id]
    with node.db.engine.connect() as connection:
        dump = "\n".join(str(r) for r in connection.exec_driver_sql("SELECT * FROM api_tokens"))
    assert issued.token not in dump


def test_api_token_identifies_its_user_and_records_last_use(node: Node, analyst: Principal) -> None:
    with node.db.session() as session:
        issued = accounts.create_token(session, analyst, "ana", "laptop", 30)
    with node.db.session() as session:
        assert session.get(ApiToken, issued.id).last_used_at is None  # type: ignore[union-attr]
        assert accounts.user_for_token(session, issued.token).username == "ana"
    with node.db.session() as session:
        used = session.get(ApiToken, issued.id)
        assert used is not None
        assert used.last_used_at is not None


def test_an_expired_api_token_is_refused(node: Node, analyst: Principal) -> None:
    with node.db.session() as session:
        issued = accounts.create_token(session, analyst, "ana", "laptop", 1)
        assert issued.expires_at - now() <= timedelta(days=1)
    with node.db.session() as session:
        row = session.get(ApiToken, issued.id)
        assert row is not None
        row.expires_at = now() - timedelta(seconds=1)
    with node.db.session() as session, pytest.raises(Unauthenticated):
        accounts.user_for_token(session, issued.token)


def test_a_revoked_api_token_is_refused(node: Node, analyst: Principal) -> None:
    with node.db.session() as session:
        issued = accounts.create_token(session, analyst, "ana", "laptop", 30)
    with node.db.session() as session:
        accounts.revoke_token(session, analyst, issued.id)
    with node.db.session() as session, pytest.raises(Unauthenticated):
        accounts.user_for_token(session, issued.token)


def test_an_unknown_api_token_is_refused(node: Node) -> None:
    with node.db.session() as session, pytest.raises(Unauthenticated):
        accounts.user_for_token(session, "pte_" + "x" * 43)


def test_nobody_issues_another_users_token_and_only_an_admin_revokes_one(
    node: Node, analyst: Principal, admin: Principal
) -> None:
    other = _other_analyst(node)
    for actor in (other, admin):
        with node.db.session() as session, pytest.raises(Forbidden):
            accounts.create_token(session, actor, "ana", "theirs", 30)
    with node.db.session() as session, pytest.raises(Forbidden):
        accounts.issue_on_host(session, other, "ana", "theirs", 30)
    with node.db.session() as session:
        # The operator on the node's machine (`puente token create`) may start ana off.
        issued = accounts.issue_on_host(session, admin, "ana", "for ana", 30)
    with node.db.session() as session, pytest.raises(Forbidden):
        accounts.revoke_token(session, other, issued.id)
    with node.db.session() as session:
        accounts.revoke_token(session, admin, issued.id)


def _other_analyst(node: Node) -> Principal:
    from tests.support.nodes import add_user

    return add_user(node, "dan", "DEA", ["analyst"])


def test_an_analyst_cannot_create_users(node: Node, analyst: Principal) -> None:
    with node.db.session() as session, pytest.raises(Forbidden) as refused:
        accounts.create_user(
            session, analyst, "eve", "long-enough-1", "CBP", ["admin"], "Eve", node.settings
        )
    assert refused.value.params == {"permission": "accounts.admin"}
    with node.db.session() as session:
        assert session.execute(select(User).where(User.username == "eve")).first() is None
        with pytest.raises(Forbidden):
            accounts.list_users(session, analyst)


def test_an_analyst_cannot_read_the_audit_log(node: Node, analyst: Principal) -> None:
    with node.db.session() as session:
        with pytest.raises(Forbidden):
            audit.search(session, analyst, audit.AuditFilter())
        with pytest.raises(Forbidden):
            audit.verify(session, analyst)


def test_an_auditor_cannot_create_records(node: Node, auditor: Principal) -> None:
    marked = MarkingsIn(tlp="AMBER").to_markings("USA")
    with node.db.session() as session, pytest.raises(Forbidden):
        records.create(session, node.settings, auditor, "incident", {"name": "x"}, marked)
    with node.db.session() as session, pytest.raises(Forbidden):
        records.import_objects(session, node.settings, auditor, [])
    with node.db.session() as session:
        assert records.search(session, auditor, records.SearchQuery()).items == []


def test_an_auditor_reads_the_audit_log(node: Node, auditor: Principal) -> None:
    with node.db.session() as session:
        actions = {e.action for e in audit.search(session, auditor, audit.AuditFilter())}
    assert "user.create" in actions


@pytest.mark.parametrize(
    ("field", "value", "pointer", "message"),
    [
        pytest.param(
            "username",
            "Not Valid!",
            "/username",
            "A username is 2 to 64 lowercase letters",
            id="a bad username",
        ),
        pytest.param(
            "password",
            "short",
            "/password",
            "A password needs at least 10 characters.",
            id="a short password",
        ),
        pytest.param("agency", "KGB", "/agency", "Unknown agency KGB.", id="an unknown agency"),
        pytest.param(
            "agency",
            "FGR",
            "/agency",
            "Agency FGR belongs to another country's node.",
            id="the partner country's agency",
        ),
        pytest.param(
            "roles", ["analyst", "spy"], "/roles/1", "Unknown role spy", id="an unknown role"
        ),
        pytest.param("roles", [], "/roles", "Give the user at least one role.", id="no role"),
    ],
)
def test_create_user_names_the_bad_field(
    node: Node, admin: Principal, field: str, value: object, pointer: str, message: str
) -> None:
    arguments: dict[str, object] = {
        "username": "eve",
        "password": "long-enough-1",
        "agency": "CBP",
        "roles": ["analyst"],
    }
    arguments[field] = value
    with node.db.session() as session, pytest.raises(InvalidInput) as refused:
        accounts.create_user(
            session,
            admin,
            str(arguments["username"]),
            str(arguments["password"]),
            str(arguments["agency"]),
            list(arguments["roles"]),
            "Eve",
            node.settings,
        )  # type: ignore[call-overload]
    problems = {p.pointer: p for p in refused.value.problems}
    assert list(problems) == [pointer]
    problem = problems[pointer]
    assert problem.message.format(**problem.params).startswith(message)


def test_create_user_reports_every_problem_at_once(node: Node, admin: Principal) -> None:
    with node.db.session() as session, pytest.raises(InvalidInput) as refused:
        accounts.create_user(session, admin, "X", "short", "KGB", ["spy"], "", node.settings)
    assert [p.pointer for p in refused.value.problems] == [
        "/username",
        "/password",
        "/agency",
        "/roles/0",
    ]


def test_a_taken_username_is_a_conflict_at_the_username(
    node: Node, admin: Principal, analyst: Principal
) -> None:
    from puente.errors import Conflict

    with node.db.session() as session, pytest.raises(Conflict) as refused:
        accounts.create_user(
            session, admin, "ana", "long-enough-1", "CBP", ["analyst"], "", node.settings
        )
    assert refused.value.pointer == "/username"


def test_creating_a_user_is_audited(node: Node, admin: Principal, auditor: Principal) -> None:
    with node.db.session() as session:
        accounts.create_user(
            session,
            admin,
            "eve",
            "long-enough-1",
            "DEA",
            ["liaison", "analyst"],
            "Eve",
            node.settings,
        )
    with node.db.session() as session:
        entry = audit.search(session, auditor, audit.AuditFilter(target="eve"))[0]
    assert (entry.actor, entry.action) == ("admin", "user.create")
    assert entry.details == '{"agency":"DEA","roles":["analyst","liaison"]}'
    assert "long-enough-1" not in entry.details


def test_a_token_may_not_outlive_the_node_limit(node: Node, analyst: Principal) -> None:
    limit = node.settings.security.token_max_days
    with node.db.session() as session, pytest.raises(InvalidInput) as refused:
        accounts.create_token(session, analyst, "ana", "forever", limit + 1, max_days=limit)
    assert refused.value.problems[0].pointer == "/days"
    assert refused.value.problems[0].params == {"max": limit}
    with node.db.session() as session:
        issued = accounts.create_token(session, analyst, "ana", "a year", limit, max_days=limit)
    assert (issued.expires_at - now()).days in (limit - 1, limit)


def test_a_session_left_idle_ends_and_ended_sessions_are_purged(node: Node) -> None:
    idle = timedelta(minutes=node.settings.security.session_idle_minutes)
    with node.db.session() as session:
        user = accounts.get_user(session, "admin")
        first = accounts.open_session(session, node.settings, user)
        second = accounts.open_session(session, node.settings, user)
    with node.db.session() as session:
        assert accounts.resolve_session(session, node.settings, first.session_id) is not None
        for row in session.execute(select(WebSession)).scalars():
            row.last_seen_at = now() - idle - timedelta(seconds=1)
    with node.db.session() as session:
        assert accounts.resolve_session(session, node.settings, first.session_id) is None
        # Opening a new session sweeps the ones that ended: the idle second one goes too.
        accounts.open_session(session, node.settings, accounts.get_user(session, "admin"))
    with node.db.session() as session:
        assert accounts.resolve_session(session, node.settings, second.session_id) is None
        assert len(session.execute(select(WebSession)).scalars().all()) == 1


def test_no_more_password_hashes_run_at_once_than_there_are_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each Argon2id hash holds 64 MiB: fifty users signing in at once held 1.9 GB."""

    running, most = [0], [0]
    lock = threading.Lock()

    class Counting:
        def hash(self, password: str) -> str:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)
            with lock:
                running[0] -= 1
            return "counted"

    monkeypatch.setattr(accounts, "_hasher", lambda cost: Counting())
    threads = [threading.Thread(target=accounts._hash, args=(PasswordHashing(), "pw"))
               for _ in range(6 * (os.cpu_count() or 2))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= most[0] <= (os.cpu_count() or 2)
