"""The timer registry: named deadlines, the earliest first, ties in ORDER."""

from __future__ import annotations

import pytest

from tcptutor.tcp.timers import ORDER, RETRANSMISSION, TIME_WAIT, TimerRegistry


def test_nothing_running_means_no_next_timer():
    timers = TimerRegistry()
    assert timers.next() is None
    assert timers.get(RETRANSMISSION) is None and not timers.running(RETRANSMISSION)


def test_next_is_the_earliest_deadline_and_its_name():
    timers = TimerRegistry()
    timers.start(TIME_WAIT, 500)
    timers.start(RETRANSMISSION, 200)
    timers.start("keepalive", 300)
    assert timers.next() == (200, RETRANSMISSION)
    timers.stop(RETRANSMISSION)
    assert timers.next() == (300, "keepalive")


def test_time_wait_wins_a_tie_with_retransmission():
    """What Connection.timer_kind() did before the registry: time-wait when equal."""
    for first, second in ((TIME_WAIT, RETRANSMISSION), (RETRANSMISSION, TIME_WAIT)):
        timers = TimerRegistry()
        timers.start(first, 1_000)
        timers.start(second, 1_000)
        assert timers.next() == (1_000, TIME_WAIT)


def test_ties_follow_the_documented_order():
    timers = TimerRegistry()
    for name in reversed(ORDER):
        timers.start(name, 7)
    assert [name for name in ORDER] == ["time-wait", "retransmission", "persist", "sws-override", "keepalive", "delayed-ack"]
    got = []
    while timers.next() is not None:
        got.append(timers.next()[1])
        timers.stop(got[-1])
    assert got == list(ORDER)


def test_start_restarts_a_running_timer():
    timers = TimerRegistry()
    timers.start(RETRANSMISSION, 100)
    timers.start(RETRANSMISSION, 900)
    assert timers.get(RETRANSMISSION) == 900 and timers.next() == (900, RETRANSMISSION)


def test_stop_of_a_stopped_timer_is_harmless_and_stop_all_clears_everything():
    timers = TimerRegistry()
    timers.stop(TIME_WAIT)
    timers.start(TIME_WAIT, 1)
    timers.start("persist", 2)
    timers.stop_all()
    assert timers.next() is None and timers.get("persist") is None


def test_an_unknown_timer_name_is_refused():
    with pytest.raises(ValueError, match="unknown timer 'rtx'"):
        TimerRegistry().start("rtx", 1)


def test_earliest_is_the_deadline_next_names():
    timers = TimerRegistry()
    assert timers.earliest() is None
    timers.start(RETRANSMISSION, 500)
    timers.start(TIME_WAIT, 300)
    assert timers.earliest() == 300 == timers.next()[0]
