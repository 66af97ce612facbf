"""The RFC 6298 estimator on its own: the numbers of sections 2, 5.5 and 5.7, Karn's rule."""

from __future__ import annotations

from dataclasses import dataclass

from tcptutor.tcp.profiles import LINUX, RFC9293
from tcptutor.tcp.rtt import FALLBACK_RTO, RttEstimator, karn_sample

MS, SEC = 1_000, 1_000_000


@dataclass
class Entry:
    first_sent: int
    retransmitted: bool = False


def test_before_any_sample_the_rto_is_the_initial_one():
    est = RttEstimator(RFC9293)
    assert (est.srtt, est.rttvar, est.rto) == (None, 0, RFC9293.rto_initial)


def test_first_sample_sets_srtt_to_r_and_rttvar_to_half_rfc6298_2_2():
    est = RttEstimator(LINUX)
    est.sample(100 * MS)
    assert (est.srtt, est.rttvar) == (100 * MS, 50 * MS)
    assert est.rto == 100 * MS + max(4 * 50 * MS, LINUX.rto_min)  # 300 ms


def test_later_samples_use_alpha_one_eighth_beta_one_quarter_rfc6298_2_3():
    est = RttEstimator(LINUX)
    est.sample(100 * MS)
    est.sample(20 * MS)
    # RTTVAR = 3/4 * 50 + 1/4 * |100 - 20| = 57.5 ms; SRTT = 7/8 * 100 + 1/8 * 20 = 90 ms
    assert (est.srtt, est.rttvar) == (90 * MS, 57_500)
    assert est.rto == LINUX.rto_from(90 * MS, 57_500) == 320 * MS


def test_the_standard_clamps_the_rto_to_one_second_rfc6298_2_4():
    est = RttEstimator(RFC9293)
    est.sample(20 * MS)
    assert est.rto == 1 * SEC


def test_back_off_doubles_up_to_the_maximum_rfc6298_5_5():
    est = RttEstimator(RFC9293)
    seen = []
    for _ in range(8):
        est.back_off()
        seen.append(est.rto // SEC)
    assert seen == [2, 4, 8, 16, 32, 60, 60, 60]


def test_after_a_retransmitted_syn_without_a_sample_the_rto_is_at_least_3_s_rfc6298_5_7():
    est = RttEstimator(RFC9293)
    est.after_retransmitted_syn()
    assert est.rto == FALLBACK_RTO == 3 * SEC
    sampled = RttEstimator(RFC9293)
    sampled.sample(20 * MS)
    sampled.after_retransmitted_syn()
    assert sampled.rto == 1 * SEC  # a sample exists: 5.7 does not apply


def test_karn_samples_from_the_newest_covered_segment():
    assert karn_sample([Entry(10 * MS), Entry(30 * MS)], 100 * MS) == 70 * MS


def test_karn_gives_no_sample_when_any_covered_segment_was_retransmitted_rfc6298_3():
    assert karn_sample([Entry(10 * MS, retransmitted=True), Entry(30 * MS)], 100 * MS) is None
    assert karn_sample([], 100 * MS) is None
