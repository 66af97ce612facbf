"""The handshake and the listener under loss, per profile (issue 10, points 4-7 and 9).

Each `linux` expectation was measured on Linux 6.18 (two kernels in two network namespaces
joined by a 10 ms userspace link, SACK and timestamps off); the functions named beside
each rule are where the kernel decides it. `rfc9293` follows the RFCs; where the two differ
both are asserted. Times are whole microseconds.
"""

from __future__ import annotations

import pytest

from test_simulator import HS, MS, SEC, moves, run, run_sim, seg, segs, wire

from tcptutor.tcp.host import TIME_WAIT_ISN_GAP
from tcptutor.tcp.states import State

LINUX = {"profile": "linux"}


def expired_entries(trace):
    """Half-open entries of spoofed sources that went back to LISTEN (timed out)."""
    return [e for e in trace.events
            if e.endpoint == "listener" and (e.state_before, e.state_after) == ("SYN-RECEIVED", "LISTEN")]


def synacks_to(trace, peer):
    return [r for r in segs(trace, "server", flag="SYN") if r.segment.dst == peer]


# --- 4. a lost SYN-ACK ---------------------------------------------------------------------------


class TestRepeatedSyn:
    def test_rfc9293_tie_of_timer_and_repeated_syn_sends_two_synacks(self):
        # The contract's tie rule: the SYN-ACK timer (due 1.010) fires before the client's
        # repeated SYN (sent at 1.000) is handled; the client ACKs both SYN-ACKs.
        t = run(["server listen", "drop next server->client SYN,ACK", "client connect", "wait 2s"])
        assert [(r.sent_at, r.segment.note) for r in synacks_to(t, "client")] == [
            (10 * MS, ""), (1010 * MS, "retransmission timeout"), (1010 * MS, "reply to repeated SYN"),
        ]
        assert len(segs(t, "client", flag="ACK")) == 2

    def test_linux_answers_the_repeated_syn_once(self):
        # Linux's SYN-ACK timer fires a little late (timer wheel), so the repeated SYN that
        # arrives at its nominal expiry is answered first and the timer restarted
        # (tcp_check_req): one SYN-ACK and one ACK, as the kernel sent in the TUN harness.
        t = run(["server listen", "drop next server->client SYN,ACK", "client connect", "wait 2s"], net=LINUX)
        assert [(r.sent_at, r.segment.note) for r in synacks_to(t, "client")] == [
            (10 * MS, ""), (1010 * MS, "reply to repeated SYN"),
        ]
        assert [r.sent_at for r in segs(t, "client", flag="ACK")] == [1020 * MS]

    def test_linux_reply_to_a_repeated_syn_restarts_the_synack_timer(self):
        # tcp_check_req: inet_rtx_syn_ack, then mod_timer_pending(now + 1 s << num_timeout).
        # Four SYN-ACKs lost: each repeated SYN (every second, Linux's linear SYN timeouts)
        # is answered and pushes the 1 s timer back, so the timer never sends one itself.
        t = run(["server listen"] + ["drop next server->client SYN,ACK"] * 4 + ["client connect", "wait 5s"],
                net=LINUX)
        assert [(r.sent_at, r.segment.note) for r in synacks_to(t, "client")] == [
            (10 * MS, ""), (1010 * MS, "reply to repeated SYN"), (2010 * MS, "reply to repeated SYN"),
            (3010 * MS, "reply to repeated SYN"), (4010 * MS, "reply to repeated SYN"),
        ]
        assert [r.fate for r in synacks_to(t, "client")][-1] == "delivered"
        assert len(segs(t, "client", flag="ACK")) == 1
        assert t.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}

    def test_rfc9293_reply_leaves_the_timer_running(self):
        # RFC 6298 5.1: the timer is started only when it is not running.
        sim, t = run_sim(["server listen", "drop next server->client SYN,ACK", "client connect"])
        conn = sim.hosts["server"].conns["client"]
        assert conn.rtx_deadline == 1010 * MS
        sim.hosts["server"].receive(seg("client", "server", 1000, 0, {"SYN"}), 500 * MS)
        assert conn.rtx_deadline == 1010 * MS

    def test_linux_reply_restarts_the_timer_from_now(self):
        sim, t = run_sim(["server listen", "drop next server->client SYN,ACK", "client connect"], net=LINUX)
        conn = sim.hosts["server"].conns["client"]
        out = sim.hosts["server"].receive(seg("client", "server", 1000, 0, {"SYN"}), 500 * MS)
        assert [s.note for s in out.sent] == ["reply to repeated SYN"]
        assert conn.rtx_deadline == 1500 * MS

    @pytest.mark.parametrize(("net", "replies"), [({}, 2), (LINUX, 1)])
    def test_two_repeated_syns_within_500ms(self, net, replies):
        # tcp_check_req answers a repeated SYN only if tcp_oow_rate_limited allows it.
        sim, _ = run_sim(["server listen", "drop next server->client SYN,ACK", "client connect"], net=net)
        server = sim.hosts["server"]
        sent = server.receive(seg("client", "server", 1000, 0, {"SYN"}), 100 * MS).sent
        sent += server.receive(seg("client", "server", 1000, 0, {"SYN"}), 400 * MS).sent
        assert len(sent) == replies
        assert server.receive(seg("client", "server", 1000, 0, {"SYN"}), 700 * MS).sent


# --- 5. simultaneous open ------------------------------------------------------------------------


class TestSimultaneousOpen:
    STEPS = ["client connect & server connect"]
    ISNS = {"client": {"isn": 100}, "server": {"isn": 300}}

    def test_linux_establishes_on_the_crossing_synack_and_answers_with_a_pure_ack(self):
        # Measured: SYN, SYN, SYN,ACK, SYN,ACK, ACK, ACK; connect() returns on the SYN,ACK.
        t = run(self.STEPS, client={"isn": 100}, server={"isn": 300}, net=LINUX)
        assert [wire(t, n) for n in range(1, len(t.segments) + 1)] == [
            ("client", "server", ["SYN"], 100, 0, 0),
            ("server", "client", ["SYN"], 300, 0, 0),
            ("server", "client", ["SYN", "ACK"], 300, 101, 0),
            ("client", "server", ["SYN", "ACK"], 100, 301, 0),
            ("client", "server", ["ACK"], 101, 301, 0),
            ("server", "client", ["ACK"], 301, 101, 0),
        ]
        assert [r.sent_at for r in t.segments] == [0, 0, 10 * MS, 10 * MS, 20 * MS, 20 * MS]
        established = [m for m in moves(t) if m[3] == "ESTABLISHED"]
        assert sorted(established) == [
            (20 * MS, "client", "SYN-RECEIVED", "ESTABLISHED"),
            (20 * MS, "server", "SYN-RECEIVED", "ESTABLISHED"),
        ]
        assert t.segment(5).segment.note == "ACK of the crossing SYN,ACK"

    def test_rfc9293_establishes_one_latency_later_on_the_ack(self):
        t = run(self.STEPS, client={"isn": 100}, server={"isn": 300})
        assert len(t.segments) == 6
        assert {m[0] for m in moves(t) if m[3] == "ESTABLISHED"} == {30 * MS}
        assert t.segment(5).segment.note == "ACK of an unacceptable segment"

    @pytest.mark.parametrize("net", [{}, LINUX])
    def test_data_after_a_simultaneous_open_starts_at_isn_plus_one(self, net):
        t = run(self.STEPS + ["client send 10"], client={"isn": 100}, server={"isn": 300}, net=net)
        data = segs(t, "client", data=True)
        assert [(r.segment.seq, r.segment.ack) for r in data] == [(101, 301)]
        assert t.delivered["server"] == [(0, 10)]


# --- 6. the listener under a flood (linux) ------------------------------------------------------


class TestFlood:
    def test_linux_prunes_old_entries_at_7s_and_the_client_gets_in(self):
        # reqsk_timer_handler: 9 entries > half of max(8, 8): old entries keep 2 retries.
        t = run(["server listen", "flood 9", "client connect", "wait 20s"],
                server={"backlog": 8, "syncookies": False}, net=LINUX)
        pruned = expired_entries(t)
        assert {e.at for e in pruned} == {7010 * MS}
        assert len(pruned) == 5  # until 4 are left: 2 * 4 is not more than 8
        assert {e.note for e in pruned} == {"half-open queue over half full: entry dropped after 2 SYN-ACK retries"}
        to_spoof_1 = [r.sent_at for r in t.segments if r.segment.dst == "spoof-1"]
        assert to_spoof_1 == [10 * MS, 1010 * MS, 3010 * MS]
        to_spoof_9 = [r.sent_at for r in t.segments if r.segment.dst == "spoof-9"]
        assert to_spoof_9 == [10 * MS, 1010 * MS, 3010 * MS, 7010 * MS, 15010 * MS]  # kept its 5 retries
        assert [r.sent_at for r in segs(t, "client", flag="SYN")] == [
            20 * MS, 1020 * MS, 2020 * MS, 3020 * MS, 4020 * MS, 5020 * MS, 7020 * MS,
        ]
        assert moves(t, "server")[-2:] == [
            (7030 * MS, "server", "LISTEN", "SYN-RECEIVED"),
            (7050 * MS, "server", "SYN-RECEIVED", "ESTABLISHED"),
        ]

    def test_rfc9293_keeps_every_retry_under_a_flood(self):
        t = run(["server listen", "flood 9", "client connect", "wait 70s"], server={"backlog": 8})
        pruned = expired_entries(t)
        assert {e.at for e in pruned} == {63010 * MS}
        assert segs(t, "client", flag="SYN")[-1].sent_at == 63020 * MS

    def test_a_queue_at_most_half_full_keeps_its_retries(self):
        # 4 entries, max(8, 8) = 8: 2 * 4 is not more than 8.
        t = run(["server listen", "flood 4", "wait 70s"], server={"backlog": 8}, net=LINUX)
        pruned = expired_entries(t)
        assert {e.at for e in pruned} == {63010 * MS}

    def test_retry_limit_follows_the_young_count(self):
        sim, _ = run_sim(["server listen", "flood 17"], server={"backlog": 16, "syncookies": False}, net=LINUX)
        server = sim.hosts["server"]
        assert server.half_open() == 17
        assert server.synack_retry_limit() == 5  # all 17 young: 17 < 34
        server._young = set(list(server._young)[:8])  # 8 young: 17 >= 16, 17 < 32
        assert server.synack_retry_limit() == 4
        server._young = set()
        assert server.synack_retry_limit() == 2  # never below 2

    def test_linux_defaults_to_syncookies_while_the_queue_is_full(self):
        t = run(["server listen", "flood 9", "client connect"], server={"backlog": 8}, net=LINUX)
        assert t.params["server"]["syncookies"] is True
        cookie = [r for r in synacks_to(t, "client") if r.segment.note == "SYN cookie"]
        assert [r.sent_at for r in cookie] == [30 * MS]
        assert t.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}
        # While the queue has room, SYNs get ordinary entries.
        assert not [r for r in t.segments if r.segment.note == "SYN cookie" and r.segment.dst.startswith("spoof-")]

    def test_explicit_syncookies_false_turns_them_off_under_linux(self):
        t = run(["server listen", "flood 9", "client connect"], server={"backlog": 8, "syncookies": False}, net=LINUX)
        assert t.params["server"]["syncookies"] is False
        assert synacks_to(t, "client") == []

    def test_rfc9293_defaults_to_no_cookies(self):
        t = run(["server listen", "flood 8", "client connect"], server={"backlog": 8})
        assert t.params["server"]["syncookies"] is False
        assert synacks_to(t, "client") == []

    def test_backlog_n_still_holds_n_plus_one_under_linux(self):
        sim, t = run_sim(["server listen", "flood 12"], server={"backlog": 8}, net=LINUX)
        assert sim.hosts["server"].half_open() == 9
        assert len([r for r in t.segments if r.segment.note == "SYN cookie"]) == 3


# --- 7. a new SYN to a connection in TIME-WAIT -----------------------------------------------


class TestSynToTimeWait:
    STEPS = HS + ["server close", "client close", "wait 1s", "client connect"]

    @pytest.mark.parametrize(("net", "client_isn"),
                             [({}, 1000 + 1070 * MS // 4), (LINUX, 1000 + 1070 * MS * 1000 // 64)])
    def test_a_higher_syn_reopens_at_once(self, net, client_isn):
        # The server closed first (TIME-WAIT, SND.NXT 5002); the client's next SYN reads the
        # same ISN clock 1.07 s on (RFC 9293 3.4.1: 4 us ticks; Linux: 64 ns).
        t = run(self.STEPS, net=net)
        assert [wire(t, n) for n in (8, 9, 10)] == [
            ("client", "server", ["SYN"], client_isn, 0, 0),
            ("server", "client", ["SYN", "ACK"], 5002 + TIME_WAIT_ISN_GAP, client_isn + 1, 0),
            ("client", "server", ["ACK"], client_isn + 1, 5002 + TIME_WAIT_ISN_GAP + 1, 0),
        ]
        assert len(t.segments) == 10  # no reset, no retransmission
        assert moves(t, "server")[-2:] == [
            (1080 * MS, "server", "TIME-WAIT", "SYN-RECEIVED"),
            (1100 * MS, "server", "SYN-RECEIVED", "ESTABLISHED"),
        ]
        assert [e.note for e in t.events if e.at == 1080 * MS] == ["new SYN above RCV.NXT: TIME-WAIT reopened"]

    def test_the_reopened_connection_forgets_the_old_time_wait_timer(self):
        sim, t = run_sim(self.STEPS + ["wait 5min"])
        assert t.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}
        assert sim.hosts["server"].conns["client"].time_wait_deadline is None

    def test_a_syn_at_or_below_rcv_nxt_does_not_reopen(self):
        # With RFC 5961 (Linux's rule): a challenge ACK, and TIME-WAIT goes on.
        sim, _ = run_sim(HS + ["server close", "client close"], net={"rfc5961": True})
        server = sim.hosts["server"]
        out = server.receive(seg("client", "server", 1002, 0, {"SYN"}), sim.now)
        assert server.conns["client"].state == State.TIME_WAIT
        assert [(s.flags, s.note) for s in out.sent] == [(frozenset({"ACK"}), "challenge ACK")]

    def test_under_the_base_rule_such_a_syn_is_reset_and_time_wait_ends(self):
        # RFC 9293 3.10.7.4 fourth, without RFC 5961: a SYN in the window is an error, in
        # TIME-WAIT too (only a timestamp check, RFC 6191, may accept it there).
        sim, _ = run_sim(HS + ["server close", "client close"])
        server = sim.hosts["server"]
        out = server.receive(seg("client", "server", 1002, 0, {"SYN"}), sim.now)
        assert [(s.flags, s.seq, s.ack) for s in out.sent] == [(frozenset({"RST", "ACK"}), 0, 1003)]
        assert server.view("client") == State.CLOSED

    def test_without_a_listener_time_wait_answers_with_an_ack(self):
        # The client is in TIME-WAIT and does not listen (Linux: no listener, TCP_TW_ACK).
        sim, _ = run_sim(HS + ["client close", "server close"])
        client = sim.hosts["client"]
        out = client.receive(seg("server", "client", 900_000, 0, {"SYN"}), sim.now)
        assert client.conns["server"].state == State.TIME_WAIT
        assert [s.flags for s in out.sent] == [frozenset({"ACK"})]


# --- 9. the challenge-ACK rate limit ----------------------------------------------------------


class TestChallengeAckRateLimit:
    @staticmethod
    def established(net):
        sim, _ = run_sim(HS + ["client send 10"], net=net)
        return sim, sim.hosts["server"]

    @pytest.mark.parametrize(("net", "acks"), [({"rfc5961": True}, 2), (LINUX, 1)])
    def test_two_bad_rsts_within_500ms(self, net, acks):
        # tcp_send_challenge_ack: __tcp_oow_rate_limited, tcp_invalid_ratelimit = 500 ms; the
        # standard profile with RFC 5961 switched on has no limit.
        sim, server = self.established(net)
        bad = seg("client", "server", 1012, 0, {"RST"})
        sent = server.receive(bad, sim.now + 100 * MS).sent + server.receive(bad, sim.now + 200 * MS).sent
        assert [(s.flags, s.note) for s in sent] == [(frozenset({"ACK"}), "challenge ACK")] * acks
        assert server.receive(bad, sim.now + 700 * MS).sent  # 600 ms after the last one sent

    def test_linux_shares_one_limit_among_rst_syn_and_out_of_window_acks(self):
        sim, server = self.established(LINUX)
        t0 = sim.now
        assert server.receive(seg("client", "server", 1012, 0, {"RST"}), t0).sent
        assert not server.receive(seg("client", "server", 1500, 0, {"SYN"}), t0 + 100 * MS).sent
        assert not server.receive(seg("client", "server", 900_000, 5001, {"ACK"}), t0 + 200 * MS).sent
        assert server.receive(seg("client", "server", 900_000, 5001, {"ACK"}), t0 + 500 * MS).sent

    def test_linux_always_answers_out_of_window_data(self):
        # tcp_oow_rate_limited: "data packets without SYNs are not likely part of an ACK loop".
        sim, server = self.established(LINUX)
        old = seg("client", "server", 1001, 5001, {"ACK"}, 10)  # a duplicate of the data
        sent = server.receive(old, sim.now).sent + server.receive(old, sim.now + 1 * MS).sent
        assert [s.ack for s in sent] == [1011, 1011]

    def test_rfc9293_answers_every_bad_segment(self):
        sim, server = self.established({})
        replies = [server.receive(seg("client", "server", 1500, 0, {"SYN"}), sim.now + i * MS).sent for i in range(3)]
        assert all(len(r) == 1 for r in replies)
