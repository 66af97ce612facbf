"""compare.align: how `tcptutor lab` pairs a kernel run with the simulation, and why rows differ."""

from __future__ import annotations

from tcptutor.lab import compare


def seg(src, flags, seq, ack=0, length=0, t=0.0, fate="delivered", key="t"):
    dst = "server" if src == "client" else "client"
    return {"src": src, "dst": dst, "flags": flags, "seq": seq, "ack": ack, "len": length, "win": 65535,
            key: t, "fate": fate}


def handshake(key, t0=0.0, isn_c=1000, isn_s=5000):
    return [seg("client", ["SYN"], isn_c, t=t0, key=key),
            seg("server", ["SYN", "ACK"], isn_s, isn_c + 1, t=t0 + 0.010, key=key),
            seg("client", ["ACK"], isn_c + 1, isn_s + 1, t=t0 + 0.020, key=key)]


def test_identical_runs_pair_row_by_row_even_with_other_isns():
    kernel = handshake("t", isn_c=777_000_000)
    sim = handshake("sent_at")
    pairs = compare.align(kernel, sim, "client")
    assert [p.status for p in pairs] == [compare.SAME] * 3
    assert [p.kernel["seq"] for p in pairs] == [777_000_000, 5000, 777_000_001]


def test_a_kernel_segment_late_within_the_slack_is_marked_but_agrees():
    kernel = handshake("t")
    kernel[2] = {**kernel[2], "t": 0.032}  # 12 ms late: within 20 ms + t/8
    pairs = compare.align(kernel, handshake("sent_at"), "client")
    assert pairs[2].status == compare.SLACK and "+12 ms" in pairs[2].reason


def test_a_kernel_segment_late_beyond_the_slack_differs_and_says_by_how_much():
    kernel = handshake("t")
    kernel[2] = {**kernel[2], "t": 0.120}
    pairs = compare.align(kernel, handshake("sent_at"), "client")
    assert pairs[2].status == compare.DIFFERENT
    assert "100 ms later" in pairs[2].reason and "timer slack" in pairs[2].reason


def test_lateness_inherited_from_the_peer_is_not_blamed_on_the_kernel():
    kernel = handshake("t")
    kernel[1] = {**kernel[1], "t": 0.060}  # the harness sent the SYN-ACK 50 ms late
    kernel[2] = {**kernel[2], "t": 0.070}  # the kernel answered it at once
    pairs = compare.align(kernel, handshake("sent_at"), "client")
    assert pairs[1].status == compare.SAME  # the peer's times are never judged
    assert pairs[2].status == compare.SLACK and "50 ms because the peer's segment" in pairs[2].reason


def test_an_extra_kernel_ack_is_one_row_with_a_gap_and_the_rest_still_lines_up():
    sim = [*handshake("sent_at"), seg("server", ["ACK"], 5001, 1101, 100, 0.05, key="sent_at")]
    sim.insert(3, seg("client", ["ACK"], 1001, 5001, 100, 0.03, key="sent_at"))
    kernel = [*handshake("t"), seg("client", ["ACK"], 1001, 5001, 100, 0.03),
              seg("server", ["ACK"], 5001, 1101, 0, 0.04),  # the kernel-run peer: an extra ACK
              seg("server", ["ACK"], 5001, 1101, 100, 0.05)]
    pairs = compare.align(kernel, sim, "client")
    assert [p.status for p in pairs] == [compare.SAME] * 4 + [compare.KERNEL_ONLY, compare.SAME]
    assert "follows from an earlier difference" in pairs[4].reason


def test_an_ack_only_the_simulator_sent_names_delayed_acks():
    sim = [*handshake("sent_at"), seg("client", ["ACK"], 1001, 5101, t=0.05, key="sent_at")]
    pairs = compare.align(handshake("t"), sim, "client")
    assert pairs[-1].status == compare.SIMULATOR_ONLY
    assert "tcp_send_delayed_ack" in pairs[-1].reason


def test_a_retransmission_only_the_kernel_sent_is_named_as_one():
    data = seg("client", ["ACK"], 1001, 5001, 100, 0.03)
    kernel = [*handshake("t"), data, {**data, "t": 0.25}]
    sim = [*handshake("sent_at"), {**{k: v for k, v in data.items() if k != "t"}, "sent_at": 0.03}]
    pairs = compare.align(kernel, sim, "client")
    assert pairs[-1].status == compare.KERNEL_ONLY and "retransmission on one side only" in pairs[-1].reason


def test_different_sizes_name_linux_segmentation():
    kernel = [*handshake("t"), seg("client", ["ACK"], 1001, 5001, 300, 0.03)]
    sim = [*handshake("sent_at"), seg("client", ["ACK"], 1001, 5001, 100, 0.03, key="sent_at")]
    pairs = compare.align(kernel, sim, "client")
    assert pairs[-1].status == compare.DIFFERENT and "tcp_retrans_try_collapse" in pairs[-1].reason


def test_segments_sent_at_one_instant_from_both_ends_are_untied():
    sim = [*handshake("sent_at"), seg("client", ["ACK"], 1001, 5001, 100, 0.05, key="sent_at"),
           seg("server", ["ACK"], 5001, 1001, 100, 0.05, key="sent_at")]
    kernel = [*handshake("t"), seg("server", ["ACK"], 5001, 1001, 100, 0.05),
              seg("client", ["ACK"], 1001, 5001, 100, 0.051)]
    pairs = compare.align(kernel, sim, "client")
    assert [p.status for p in pairs] == [compare.SAME] * 5
    assert [p.kernel["src"] for p in pairs[3:]] == ["client", "server"]
