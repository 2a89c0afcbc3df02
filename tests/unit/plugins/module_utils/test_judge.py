# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The judge's statistics against values scipy computed once (scipy 1.x, stats.fisher_exact,
stats.mannwhitneyu(method='asymptotic', use_continuity=True), stats.norm.sf), and its verdicts."""

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release import judge

# canary errors, canary requests, baseline errors, baseline requests -> one-sided ("greater") p value
FISHER = [
    (5, 100, 1, 900, 5.039626226503956e-05),
    (3, 100, 9, 900, 0.10970774942188091),
    (0, 50, 0, 450, 1.0),
    (10, 200, 20, 1800, 0.000400720386919582),
    (50, 100, 450, 900, 0.5419460460464064),
    (2, 20, 1, 180, 0.026907263590680675),
    (30, 600, 60, 5400, 1.023444010641706e-09),
]

# canary, baseline -> U of the canary, one-sided ("greater") p value
MANN_WHITNEY = [
    ([1.0, 2.0, 3.0, 4.0, 5.0], [1.5, 2.5, 3.5], 9.0, 0.382797241997882),
    ([0.2, 0.25, 0.3, 0.3, 0.5, 0.6], [0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.2], 30.5, 0.09299058999988541),
    (
        [0.287, 0.326, 0.289, 0.284, 0.253, 0.289, 0.356, 0.321, 0.352, 0.312, 0.32, 0.309, 0.217, 0.343, 0.325],
        [0.275, 0.165, 0.163, 0.206, 0.227, 0.265, 0.248, 0.276, 0.218, 0.265, 0.27, 0.217, 0.336, 0.278, 0.31],
        190.5,
        0.0006508073772012704,
    ),
    ([1, 1, 1, 1], [1, 1, 1, 2], 6.0, 0.8943502263331446),
]

# canary errors, canary requests, baseline errors, baseline requests, margin -> z, one-sided p value
PROPORTIONS = [
    (10, 200, 20, 1800, 0.01, 1.850923229519984, 0.032090299171219534),
    (30, 600, 60, 5400, 0.02, 2.096160856363362, 0.018033962010133575),
    (6, 300, 30, 1500, 0.0, 0.0, 0.5),
]


@pytest.mark.parametrize("a, n1, b, n2, expected", FISHER)
def test_fisher_exact_matches_scipy(a, n1, b, n2, expected):
    assert judge.fisher_greater(a, n1, b, n2) == pytest.approx(expected, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("canary, baseline, u, expected", MANN_WHITNEY)
def test_mann_whitney_matches_scipy(canary, baseline, u, expected):
    found_u, p_value = judge.mann_whitney_greater(canary, baseline)
    assert found_u == u and p_value == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("a, n1, b, n2, margin, z, expected", PROPORTIONS)
def test_the_proportion_test_matches_scipy(a, n1, b, n2, margin, z, expected):
    found_z, p_value = judge.proportion_worse(a, n1, b, n2, margin)
    assert found_z == pytest.approx(z, rel=1e-9) and p_value == pytest.approx(expected, rel=1e-9)


def test_no_error_on_either_side_leaves_the_proportion_question_open():
    assert judge.proportion_worse(0, 100, 0, 900, 0.01) == (0.0, 1.0)


def test_a_canary_far_worse_than_its_baseline_fails_with_its_numbers():
    verdict = judge.error_rate_verdict(25, 500, 45, 4500)
    assert verdict["verdict"] == judge.FAIL and verdict["test"] == "Fisher exact test"
    assert verdict["canary"]["rate"] == 0.05 and verdict["baseline"]["rate"] == 0.01 and verdict["p_value"] < 0.001


def test_a_canary_as_good_as_its_baseline_passes():
    assert judge.error_rate_verdict(5, 500, 45, 4500)["verdict"] == judge.PASS
    assert judge.error_rate_verdict(0, 500, 45, 4500)["verdict"] == judge.PASS  # better than the baseline


def test_a_small_sample_says_so_instead_of_judging():
    verdict = judge.error_rate_verdict(5, 10, 0, 90, min_requests=50)
    assert verdict["verdict"] == judge.NOT_ENOUGH_DATA and "fewer than 50 requests" in verdict["reason"]


def test_the_margin_forgives_a_small_difference():
    # 2% against 1%: worse, but within a two-point margin
    assert judge.error_rate_verdict(20, 1000, 90, 9000)["verdict"] == judge.FAIL
    assert judge.error_rate_verdict(20, 1000, 90, 9000, margin=0.02)["verdict"] == judge.PASS


def test_a_slower_canary_fails_and_a_margin_of_its_extra_latency_passes_it():
    baseline = [0.100, 0.110, 0.105, 0.098, 0.102, 0.107]
    canary = [value + 0.2 for value in baseline]
    assert judge.latency_verdict(canary, baseline)["verdict"] == judge.FAIL
    assert judge.latency_verdict(canary, baseline, margin=0.25)["verdict"] == judge.PASS
    assert judge.latency_verdict(canary[:3], baseline)["verdict"] == judge.NOT_ENOUGH_DATA
