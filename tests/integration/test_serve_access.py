"""Who reaches the chat simulator, where `fundbot serve` may listen, and a port in use."""

from __future__ import annotations

import socket

import pytest
from flask import Response
from sqlalchemy import func, select

from bot.cli.serve import open_listener
from bot.config import Settings
from bot.errors import UserError
from bot.runtime import Runtime
from bot.simulator import access
from models.identity import LinkCode
from tests.dashboard_data import log_in_tester
from tests.factories import make_contract
from tests.line_events import in_thai, make_app

REFUSED = (
    "The chat simulator only answers on the computer that runs it: open it there, "
    "at http://127.0.0.1 or http://localhost with the same port."
)
IN_USE = (
    "Port %(port)d is already in use on %(host)s: stop the program using it, "
    "or choose another port with --port, for example --port %(other)d."
)


@pytest.fixture
def app(env):
    """The app without LINE credentials: the simulator is on."""
    app = make_app(env)
    yield app
    app.extensions["fundbot"].db.dispose()


@pytest.fixture
def debtor(session):
    contract = make_contract(session)
    session.commit()
    return contract.borrower


@pytest.fixture
def taken_port():
    """A real socket listening on a free loopback port, for the length of the test."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def from_(remote: str, host: str = "127.0.0.1:5000") -> dict:
    return {"environ_base": {"REMOTE_ADDR": remote}, "headers": {"Host": host}}


def test_another_machine_gets_nothing_from_the_simulator(db, app, debtor):
    client = app.test_client()
    lan = from_("192.168.1.20")
    people = client.get("/simulator/api/people?q=", **lan)
    assert people.status_code == 403
    assert people.get_data(as_text=True) == in_thai(REFUSED)
    assert "สมศรี" not in people.get_data(as_text=True)
    assert client.get("/simulator/", **lan).status_code == 403
    link = client.post("/simulator/api/link", json={"kind": "borrower", "id": debtor.id}, **lan)
    assert link.status_code == 403
    send = {"action": "text", "text": "ยอด", "user_id": "U" + "0" * 32, "chat_type": "user"}
    assert client.post("/simulator/api/send", json=send, **lan).status_code == 403
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(LinkCode)) == 0


def test_a_rebound_name_is_refused_even_from_this_machine(app, debtor):
    client = app.test_client()
    for host in ("attacker.example", "attacker.example:5000", "localhost.attacker.example"):
        response = client.get("/simulator/api/people", **from_("127.0.0.1", host))
        assert response.status_code == 403, host


def test_this_machine_by_any_loopback_name_and_port_is_served(app, session, debtor):
    client = app.test_client()
    for remote, host in [
        ("127.0.0.1", "127.0.0.1:5000"),
        ("127.0.0.1", "localhost:8080"),
        ("127.0.0.1", "LOCALHOST"),
        ("::1", "[::1]:5000"),
        ("::1", "[::1]"),
    ]:
        response = client.get("/simulator/api/people", **from_(remote, host))
        # Past the loopback check (403), stopped by the dashboard's login (401).
        assert response.status_code == 401, (remote, host)
    log_in_tester(session, client)
    response = client.get("/simulator/api/people")
    assert response.status_code == 200
    assert response.get_json()["total"] == 1


def test_loopback_hosts_are_recognised_exactly():
    assert access.is_loopback_host("127.0.0.1")
    assert access.is_loopback_host("127.0.0.1:5000")
    assert access.is_loopback_host("[::1]:65535")
    assert not access.is_loopback_host("::1")  # an IPv6 Host header is always bracketed
    assert not access.is_loopback_host("127.0.0.1.nip.io")
    assert not access.is_loopback_host("2130706433")  # 127.0.0.1 as one number
    assert not access.is_loopback_host("0.0.0.0")
    assert not access.is_loopback_host("evil@127.0.0.1")
    assert not access.is_loopback_host("")
    assert access.is_loopback_address("::ffff:127.0.0.1")
    assert not access.is_loopback_address("10.0.0.1")
    assert not access.is_loopback_address(None)


def test_a_login_check_plugs_in_after_the_loopback_one(app, debtor):
    access.install(app, login_check=lambda: Response("log in first", status=401))
    client = app.test_client()
    assert client.get("/simulator/api/people", **from_("127.0.0.1")).status_code == 401
    assert client.get("/simulator/api/people", **from_("10.1.1.1")).status_code == 403


def test_serve_refuses_to_expose_the_simulator_on_another_address(cli):
    result = cli("serve", "--host", "0.0.0.0")
    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert line == in_thai("Error: %(text)s", text="") + (
        in_thai(
            "Without LINE credentials fundbot serves the chat simulator, which lets anyone "
            "act as any debtor, so it listens only on this computer (127.0.0.1, localhost "
            "or ::1), not on %(host)s.",
            host="0.0.0.0",
        )
    )


def test_the_webhook_may_listen_on_every_address(line_env):
    runtime = Runtime(Settings.from_env(line_env))
    listener = open_listener(runtime, "0.0.0.0", 0)
    listener.close()
    with pytest.raises(UserError):
        open_listener(Runtime(Settings.from_env({**line_env, "LINE_CHANNEL_SECRET": ""})), "::", 0)


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_in_use_is_one_line_naming_port_before_anything_else(db, cli, taken_port, command):
    result = cli(command, "--port", str(taken_port))
    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert "--port" in line and "http://" not in line
    expected = in_thai("Error: %(text)s", text="") + in_thai(
        IN_USE, port=taken_port, host="127.0.0.1", other=taken_port + 1
    )
    prefix, _, suffix = expected.partition(str(taken_port + 1))
    # The suggested port is the next free one; the rest is word for word.
    assert line.startswith(prefix) and line.endswith(suffix)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(LinkCode)) == 0


def test_an_address_this_machine_does_not_have_is_one_line_naming_host_and_port(line_env):
    runtime = Runtime(Settings.from_env(line_env))
    with pytest.raises(UserError) as refused:
        open_listener(runtime, "192.0.2.1", 8000)  # TEST-NET-1: never assigned to a host
    assert "--host" in str(refused.value) and "--port" in str(refused.value)
    assert "\n" not in str(refused.value)
