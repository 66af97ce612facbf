"""The state machine as data (tcp/states.py), and the simulator driven through each edge."""

from __future__ import annotations

import textwrap

import pytest

from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import simulate
from tcptutor.tcp.states import EDGES, SYNCHRONIZED, TRANSITIONS, Event, State, Transition, transition

S, E = State, Event


def build(text: str, path: str = "<test>"):
    """A scenario from TOML text (indentation stripped)."""
    return parse_scenario(textwrap.dedent(text), path)


def toml(steps, *, client=None, server=None, net=None) -> str:
    """TOML text for `steps`, with client ISN 1000 and server ISN 5000 unless told otherwise."""
    lines = ["steps = ["] + [f'  "{s}",' for s in steps] + ["]"]
    tables = {
        "client": {"isn": 1000, **(client or {})},
        "server": {"isn": 5000, **(server or {})},
        "net": dict(net or {}),
    }
    for name, values in tables.items():
        lines.append(f"[{name}]")
        for key, value in values.items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, str):
                value = f'"{value}"'
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def run(steps, **tables):
    return simulate(build(toml(steps, **tables)))


# --- the table itself -------------------------------------------------------------------------


def test_all_eleven_states_exist_and_appear_in_the_table():
    names = {s.value for s in State}
    assert names == {
        "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
        "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
    }
    sources = {t.source for t in TRANSITIONS}
    targets = {t.target for t in TRANSITIONS}
    assert sources | targets == set(State)
    # Every state can be left, and every state but CLOSED (the start) can be entered.
    assert sources == set(State)
    assert targets == set(State)


@pytest.mark.parametrize("t", TRANSITIONS, ids=lambda t: f"{t.source.value}-{t.event.value}->{t.target.value}")
def test_lookup_of_each_transition_returns_it(t: Transition):
    assert transition(t.source, t.event, t.target) is t
    siblings = [u for u in TRANSITIONS if (u.source, u.event) == (t.source, t.event)]
    if len(siblings) == 1:
        assert transition(t.source, t.event) is t
    else:  # a two-way edge: without a target the lookup refuses to guess
        with pytest.raises(LookupError):
            transition(t.source, t.event)
    assert (t.source, t.target) in EDGES


def test_transitions_are_unique():
    keys = [(t.source, t.event, t.target) for t in TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_a_trace_event_identifies_its_transition():
    # Events carry (state_before, state_after, rfc): that triple must name one transition,
    # or the simulator-driven table test below could not tell two edges apart.
    keys = [(t.source, t.target, t.rfc) for t in TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_edges_are_exactly_the_source_target_pairs():
    assert EDGES == {(t.source, t.target) for t in TRANSITIONS}


@pytest.mark.parametrize("t", TRANSITIONS, ids=lambda t: f"{t.source.value}-{t.event.value}->{t.target.value}")
def test_every_rule_cites_an_rfc(t: Transition):
    assert "RFC " in t.rfc
    assert t.rfc.split("RFC ", 1)[1][:1].isdigit()


def test_lookup_of_a_missing_edge_fails():
    with pytest.raises(LookupError):
        transition(S.CLOSED, E.RCV_FIN)
    with pytest.raises(LookupError):
        transition(S.TIME_WAIT, E.CLOSE)
    with pytest.raises(LookupError):
        transition(S.SYN_RECEIVED, E.CLOSE, S.TIME_WAIT)


# RFC 9293 figure 5 (the connection state diagram), edge by edge, plus its note 2
# (FIN-WAIT-1 -> TIME-WAIT when a FIN arrives that also acknowledges ours).
FIGURE_5 = [
    (S.CLOSED, E.PASSIVE_OPEN, S.LISTEN),
    (S.CLOSED, E.ACTIVE_OPEN, S.SYN_SENT),
    (S.LISTEN, E.CLOSE, S.CLOSED),
    (S.LISTEN, E.RCV_SYN, S.SYN_RECEIVED),
    (S.LISTEN, E.SEND, S.SYN_SENT),
    (S.SYN_SENT, E.CLOSE, S.CLOSED),
    (S.SYN_SENT, E.RCV_SYN, S.SYN_RECEIVED),
    (S.SYN_SENT, E.RCV_SYN_ACK, S.ESTABLISHED),
    (S.SYN_RECEIVED, E.RCV_RST, S.LISTEN),  # note 1: after a passive OPEN
    (S.SYN_RECEIVED, E.RCV_ACK_OF_SYN, S.ESTABLISHED),
    (S.SYN_RECEIVED, E.CLOSE, S.FIN_WAIT_1),
    (S.ESTABLISHED, E.CLOSE, S.FIN_WAIT_1),
    (S.ESTABLISHED, E.RCV_FIN, S.CLOSE_WAIT),
    (S.FIN_WAIT_1, E.RCV_ACK_OF_FIN, S.FIN_WAIT_2),
    (S.FIN_WAIT_1, E.RCV_FIN, S.CLOSING),
    (S.FIN_WAIT_1, E.RCV_FIN_ACK_OF_FIN, S.TIME_WAIT),  # note 2
    (S.FIN_WAIT_2, E.RCV_FIN, S.TIME_WAIT),
    (S.CLOSE_WAIT, E.CLOSE, S.LAST_ACK),
    (S.CLOSING, E.RCV_ACK_OF_FIN, S.TIME_WAIT),
    (S.LAST_ACK, E.RCV_ACK_OF_FIN, S.CLOSED),
    (S.TIME_WAIT, E.TIMEOUT_2MSL, S.CLOSED),
]


@pytest.mark.parametrize(("source", "event", "target"), FIGURE_5,
                         ids=[f"{a.value}-{e.value}->{b.value}" for a, e, b in FIGURE_5])
def test_figure_5_edge_is_in_the_table(source, event, target):
    assert transition(source, event, target).target == target
    assert (source, target) in EDGES


@pytest.mark.parametrize("state", sorted(SYNCHRONIZED, key=lambda s: s.value))
def test_rst_and_abort_close_every_synchronized_state(state):
    # RFC 9293 3.10.7.4 second check and 3.10.5 ABORT.
    assert transition(state, E.RCV_RST).target == S.CLOSED
    assert transition(state, E.ABORT).target == S.CLOSED


def test_rst_in_syn_received_depends_on_how_it_was_opened():
    # Figure 5 note 1 / 3.10.7.4: passive OPEN returns to LISTEN, active OPEN is refused.
    assert transition(S.SYN_RECEIVED, E.RCV_RST, S.LISTEN)
    assert transition(S.SYN_RECEIVED, E.RCV_RST, S.CLOSED)


def test_the_diagram_has_no_edge_out_of_closed_but_the_opens():
    assert {t.event for t in TRANSITIONS if t.source == S.CLOSED} == {E.PASSIVE_OPEN, E.ACTIVE_OPEN}


# --- the simulator through each edge ------------------------------------------------------------


def _syn_in_window_scenario() -> str:
    """A second SYN from the client that lands inside the server's receive window.

    The client's first ISN is configurable; its second comes from the seed. Find the
    second one first, then place the first ISN just below it, so that the server (still
    SYN-RECEIVED on the first SYN, its SYN,ACK lost) sees an in-window SYN.
    """
    steps = ["server listen", "drop next server->client", "client connect", "client abort", "client connect"]
    probe = run(steps, net={"seed": 7})
    second_isn = [r.segment.seq for r in probe.segments if r.segment.src == "client" and "SYN" in r.segment.flags][-1]
    return toml(steps, client={"isn": (second_isn - 100) % 2**32}, net={"seed": 7})


HS = ["server listen", "client connect"]  # a completed handshake (ISNs 1000 / 5000)


KEEPALIVE = {"keepalive": True, "keepalive_idle": "2s", "keepalive_interval": "1s", "keepalive_count": 3}


def _drops(n, rule):
    return [f"drop next {rule}"] * n


# (source, event, target), endpoint, cause prefix, TOML text
REACHABLE = [
    ((S.CLOSED, E.PASSIVE_OPEN, S.LISTEN), "server", "call listen", toml(["server listen"])),
    ((S.CLOSED, E.ACTIVE_OPEN, S.SYN_SENT), "client", "call connect", toml(["client connect"])),
    ((S.LISTEN, E.CLOSE, S.CLOSED), "server", "call close", toml(["server listen", "server close"])),
    ((S.LISTEN, E.ABORT, S.CLOSED), "server", "call abort", toml(["server listen", "server abort"])),
    ((S.LISTEN, E.ACTIVE_OPEN, S.SYN_SENT), "server", "call connect", toml(["server listen", "server connect"])),
    ((S.LISTEN, E.RCV_SYN, S.SYN_RECEIVED), "server", "recv #1", toml(HS)),
    ((S.LISTEN, E.RCV_COOKIE_ACK, S.ESTABLISHED), "server", "recv",
     toml(["server listen", "flood 2", "client connect"], server={"backlog": 2, "syncookies": True})),
    ((S.SYN_SENT, E.CLOSE, S.CLOSED), "client", "call close",
     toml(["drop next client->server SYN", "client connect", "client close"])),
    ((S.SYN_SENT, E.ABORT, S.CLOSED), "client", "call abort",
     toml(["drop next client->server SYN", "client connect", "client abort"])),
    ((S.SYN_SENT, E.RCV_SYN_ACK, S.ESTABLISHED), "client", "recv #2", toml(HS)),
    ((S.SYN_SENT, E.RCV_SYN, S.SYN_RECEIVED), "client", "recv #2", toml(["client connect & server connect"])),
    ((S.SYN_SENT, E.RCV_RST, S.CLOSED), "client", "recv #2", toml(["client connect"])),
    ((S.SYN_SENT, E.GIVE_UP, S.CLOSED), "client", "timeout syn",
     toml(_drops(2, "client->server SYN") + ["client connect", "wait 10s"], net={"syn_retries": 1})),
    ((S.SYN_RECEIVED, E.RCV_ACK_OF_SYN, S.ESTABLISHED), "server", "recv #3", toml(HS)),
    ((S.SYN_RECEIVED, E.CLOSE, S.FIN_WAIT_1), "server", "call close",
     toml(["server listen", "drop next server->client", "client connect", "server close"])),
    ((S.SYN_RECEIVED, E.ABORT, S.CLOSED), "server", "call abort",
     toml(["server listen", "drop next server->client", "client connect", "server abort"])),
    # The client gives up during the handshake (no RST from SYN-SENT); the server's
    # retransmitted SYN,ACK finds no connection and draws <SEQ=SEG.ACK><CTL=RST>.
    ((S.SYN_RECEIVED, E.RCV_RST, S.LISTEN), "server", "recv",
     toml(["server listen", "drop next server->client", "client connect", "client abort", "wait 2s"])),
    ((S.SYN_RECEIVED, E.RCV_SYN, S.LISTEN), "server", "recv", _syn_in_window_scenario()),
    ((S.SYN_RECEIVED, E.GIVE_UP, S.LISTEN), "server", "timeout synack",
     toml(["server listen"] + _drops(3, "server->client") + ["client connect", "client abort", "wait 10s"],
          net={"synack_retries": 2})),
    ((S.SYN_RECEIVED, E.GIVE_UP, S.CLOSED), "client", "timeout synack",
     toml(_drops(2, "client->server SYN,ACK") + _drops(2, "server->client SYN,ACK")
          + ["client connect & server connect", "wait 10s"], net={"synack_retries": 1})),
    ((S.SYN_RECEIVED, E.RCV_RST, S.CLOSED), "client", "recv",
     toml(["drop next client->server SYN,ACK", "drop next server->client SYN,ACK",
           "client connect & server connect", "server abort"])),
    ((S.ESTABLISHED, E.CLOSE, S.FIN_WAIT_1), "client", "call close", toml(HS + ["client close"])),
    ((S.ESTABLISHED, E.RCV_FIN, S.CLOSE_WAIT), "server", "recv #4", toml(HS + ["client close"])),
    ((S.FIN_WAIT_1, E.RCV_ACK_OF_FIN, S.FIN_WAIT_2), "client", "recv #5", toml(HS + ["client close"])),
    ((S.FIN_WAIT_1, E.RCV_FIN, S.CLOSING), "client", "recv #5", toml(HS + ["client close & server close"])),
    ((S.FIN_WAIT_1, E.RCV_FIN_ACK_OF_FIN, S.TIME_WAIT), "client", "recv #6",
     toml(HS + ["drop next server->client", "client close", "server close"])),
    ((S.FIN_WAIT_2, E.RCV_FIN, S.TIME_WAIT), "client", "recv #6", toml(HS + ["client close", "server close"])),
    ((S.CLOSE_WAIT, E.CLOSE, S.LAST_ACK), "server", "call close", toml(HS + ["client close", "server close"])),
    ((S.CLOSING, E.RCV_ACK_OF_FIN, S.TIME_WAIT), "client", "recv #6", toml(HS + ["client close & server close"])),
    ((S.LAST_ACK, E.RCV_ACK_OF_FIN, S.CLOSED), "server", "recv #7", toml(HS + ["client close", "server close"])),
    ((S.TIME_WAIT, E.TIMEOUT_2MSL, S.CLOSED), "client", "timeout time-wait",
     toml(HS + ["client close", "server close", "wait 5min"])),
    # RST in each synchronized state (the peer aborts, or has no connection left).
    ((S.ESTABLISHED, E.RCV_RST, S.CLOSED), "server", "recv", toml(HS + ["client abort"])),
    ((S.FIN_WAIT_1, E.RCV_RST, S.CLOSED), "client", "recv",
     toml(HS + ["drop next server->client", "client close", "server abort"])),
    ((S.FIN_WAIT_2, E.RCV_RST, S.CLOSED), "client", "recv", toml(HS + ["client close", "server abort"])),
    ((S.CLOSE_WAIT, E.RCV_RST, S.CLOSED), "client", "recv", toml(HS + ["server close", "server abort"])),
    # The client's FIN is lost: it ends up CLOSING, the server FIN-WAIT-2, which aborts.
    ((S.CLOSING, E.RCV_RST, S.CLOSED), "client", "recv",
     toml(HS + ["drop next client->server FIN", "client close & server close", "server abort"])),
    # The final ACK is lost and the client forgets TIME-WAIT: the retransmitted FIN meets
    # no connection and draws a RST.
    ((S.LAST_ACK, E.RCV_RST, S.CLOSED), "server", "recv",
     toml(HS + ["client close", "drop next client->server", "server close", "client abort", "wait 5s"])),
    # The server opens anew to the client in TIME-WAIT, which does not listen: the SYN draws
    # an ACK that the server (SYN-SENT) finds unacceptable and answers with <SEQ=SEG.ACK><CTL=RST>.
    # With RFC 5961 the client in TIME-WAIT answers the server's new SYN with a challenge ACK,
    # which is bad for the server in SYN-SENT: its RST ends the client's TIME-WAIT.
    ((S.TIME_WAIT, E.RCV_RST, S.CLOSED), "client", "recv",
     toml(HS + ["client close", "server close", "server connect", "wait 2s"], net={"rfc5961": True})),
    # RFC 9293's base rule (3.10.7.4 fourth, without RFC 5961): a SYN in the window is reset,
    # CLOSED. The client forgets its connection (its RST is lost) and connects again at once:
    # its clock-driven ISN lands in the server's window.
    ((S.ESTABLISHED, E.RCV_SYN, S.CLOSED), "server", "recv",
     toml(HS + ["drop next client->server RST", "client abort", "client connect"])),
    ((S.CLOSE_WAIT, E.RCV_SYN, S.CLOSED), "server", "recv",
     toml(HS + ["client close", "drop next client->server RST", "client abort", "client connect"])),
    ((S.FIN_WAIT_2, E.RCV_SYN, S.CLOSED), "server", "recv",
     toml(HS + ["server close", "drop next client->server RST", "client abort", "client connect"])),
    ((S.FIN_WAIT_1, E.RCV_SYN, S.CLOSED), "server", "recv",
     toml(HS + ["drop next client->server ACK", "server close", "drop next client->server RST", "client abort",
                "client connect"])),
    ((S.LAST_ACK, E.RCV_SYN, S.CLOSED), "server", "recv",
     toml(HS + ["client close", "drop next client->server ACK", "server close", "client abort", "client connect"])),
    ((S.TIME_WAIT, E.RCV_SYN, S.CLOSED), "client", "recv",
     toml(HS + ["client close", "server close", "server connect", "wait 2s"])),
    # A new SYN from the client reaches the listening server in TIME-WAIT: it reopens.
    ((S.TIME_WAIT, E.RCV_SYN, S.SYN_RECEIVED), "server", "recv",
     toml(HS + ["server close", "client close", "client connect"])),
    # ABORT in each synchronized state.
    ((S.ESTABLISHED, E.ABORT, S.CLOSED), "client", "call abort", toml(HS + ["client abort"])),
    ((S.FIN_WAIT_1, E.ABORT, S.CLOSED), "client", "call abort",
     toml(HS + ["drop next server->client", "client close", "client abort"])),
    ((S.FIN_WAIT_2, E.ABORT, S.CLOSED), "client", "call abort", toml(HS + ["client close", "client abort"])),
    ((S.CLOSE_WAIT, E.ABORT, S.CLOSED), "server", "call abort", toml(HS + ["client close", "server abort"])),
    ((S.CLOSING, E.ABORT, S.CLOSED), "client", "call abort",
     toml(HS + ["drop next client->server FIN", "client close & server close", "client abort"])),
    ((S.LAST_ACK, E.ABORT, S.CLOSED), "server", "call abort",
     toml(HS + ["client close", "drop next client->server", "server close", "server abort"])),
    ((S.TIME_WAIT, E.ABORT, S.CLOSED), "client", "call abort",
     toml(HS + ["client close", "server close", "client abort"])),
    # Retransmissions exhausted (15 data retries in both profiles): 16 copies lost.
    ((S.ESTABLISHED, E.GIVE_UP, S.CLOSED), "client", "timeout retransmission",
     toml(HS + _drops(16, "client->server DATA") + ["client send 10", "wait 20min"])),
    ((S.FIN_WAIT_1, E.GIVE_UP, S.CLOSED), "client", "timeout retransmission",
     toml(HS + _drops(16, "client->server FIN") + ["client close", "wait 20min"])),
    ((S.CLOSE_WAIT, E.GIVE_UP, S.CLOSED), "server", "timeout retransmission",
     toml(HS + ["client close"] + _drops(16, "server->client DATA") + ["server send 10", "wait 20min"])),
    ((S.CLOSING, E.GIVE_UP, S.CLOSED), "client", "timeout retransmission",
     toml(HS + _drops(17, "client->server FIN") + ["client close & server close", "wait 20min"])),
    ((S.LAST_ACK, E.GIVE_UP, S.CLOSED), "server", "timeout retransmission",
     toml(HS + ["client close"] + _drops(16, "server->client FIN") + ["server close", "wait 20min"])),
    # Keep-alive finds the vanished client in each state where nothing is outstanding.
    ((S.ESTABLISHED, E.KEEPALIVE_TIMEOUT, S.CLOSED), "server", "timeout keepalive",
     toml(HS + ["client vanish", "wait 10s"], server=KEEPALIVE)),
    ((S.FIN_WAIT_2, E.KEEPALIVE_TIMEOUT, S.CLOSED), "server", "timeout keepalive",
     toml(HS + ["server close", "client vanish", "wait 10s"], server=KEEPALIVE)),
    ((S.CLOSE_WAIT, E.KEEPALIVE_TIMEOUT, S.CLOSED), "server", "timeout keepalive",
     toml(HS + ["client close", "client vanish", "wait 10s"], server=KEEPALIVE)),
]

# Edges of the table that no scenario can produce, and why.
UNREACHABLE = {
    # Scenario steps have no way to name a foreign socket for a listener's SEND; the
    # simulator answers `server send` in LISTEN with "foreign socket unspecified".
    (S.LISTEN, E.SEND, S.SYN_SENT): "SEND in LISTEN needs a foreign socket; steps cannot give one",
    # `server close` with a half-open connection to the client closes that connection
    # (SYN-RECEIVED -CLOSE-> FIN-WAIT-1); closing the listener removes the half-open
    # entries of other (spoofed) peers without recording a move for them.
    (S.SYN_RECEIVED, E.CLOSE, S.CLOSED): "half-open entries are dropped with the listener without an event",
    # A FIN is processed only after the ACK check (3.10.7.4 fifth), which has already
    # moved SYN-RECEIVED to ESTABLISHED (or dropped the segment): the FIN then takes
    # ESTABLISHED -> CLOSE-WAIT.
    (S.SYN_RECEIVED, E.RCV_FIN, S.CLOSE_WAIT): "the ACK check leaves SYN-RECEIVED before the FIN is seen",
    # CLOSING needs both FINs to cross and an ACK lost; the peer is then CLOSING or TIME-WAIT
    # and cannot be made to forget its connection and send a new SYN from the same port
    # before its own FIN's retransmission settles the state.
    (S.CLOSING, E.RCV_SYN, S.CLOSED): "no scenario brings a new SYN to a host still in CLOSING",
}


def test_every_transition_is_driven_or_explained():
    driven = [key for key, *_ in REACHABLE]
    assert len(driven) == len(set(driven))
    table = {(t.source, t.event, t.target) for t in TRANSITIONS}
    assert set(driven) | set(UNREACHABLE) == table
    assert not set(driven) & set(UNREACHABLE)


@pytest.mark.parametrize(
    ("key", "endpoint", "cause", "text"),
    REACHABLE,
    ids=[f"{a.value}-{e.value}->{b.value}" for (a, e, b), *_ in REACHABLE],
)
def test_simulator_takes_the_edge(key, endpoint, cause, text):
    t = transition(*key)
    trace = simulate(build(text))
    matches = [
        e for e in trace.events
        if e.endpoint == endpoint and e.state_before == t.source.value and e.state_after == t.target.value
        and e.rfc == t.rfc
    ]
    assert matches, [(e.endpoint, e.cause, e.state_before, e.state_after) for e in trace.events]
    assert any(str(e.cause).startswith(cause) for e in matches), [e.cause for e in matches]
    # The other endpoint never takes an edge that is not in the table either.
    for e in trace.events:
        if e.state_before != e.state_after:
            assert (State(e.state_before), State(e.state_after)) in EDGES


@pytest.mark.parametrize("key", sorted(UNREACHABLE, key=str), ids=lambda k: f"{k[0].value}-{k[1].value}->{k[2].value}")
def test_unreachable_edges_are_still_in_the_table(key):
    assert transition(*key).target == key[2]


def test_listen_send_is_refused_for_want_of_a_foreign_socket():
    from tcptutor.errors import ScenarioError

    with pytest.raises(ScenarioError) as caught:
        simulate(build(toml(["server listen", "server send 10"]), "x.toml"))
    assert str(caught.value) == (
        'x.toml:3: step "server send 10": error: foreign socket unspecified (server is LISTEN)'
    )
