# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The judge's statistics against values scipy computed once (scipy 1.x, stats.fisher_exact,
stats.mannwhitneyu(method='asymptotic', use_continuity=True), stats.norm.sf), its verdicts, and
its look at a release (judging.py) with mocked clients."""

from unittest.mock import MagicMock

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release import judge, judging
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError

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


# ---------------------------------------------------------------------------- the judge's look (judging.py)

LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/canary-alb/50dc6c495c0c9188"
BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/73e2d6bc24d8a067"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"


def canary_snap(share=10.0, status="InProgress"):
    return {
        "deployment_id": "d-1",
        "status": status,
        "traffic_share": share,
        "observed_at": 1000.0,
        "task_sets": [{"label": "Blue", "target_group": "blue"}, {"label": "Green", "target_group": "green"}],
        "lifecycle_events": [{"name": "AllowTraffic", "status": "InProgress", "start_time": 900.0}],
    }


def clients_with(canary, baseline):
    """canary, baseline: (errors, requests) as CloudWatch would sum them over two minutes."""
    elbv2, cloudwatch = MagicMock(), MagicMock()
    elbv2.describe_target_groups.return_value = {
        "TargetGroups": [
            {"TargetGroupName": "blue", "TargetGroupArn": BLUE, "LoadBalancerArns": [LB]},
            {"TargetGroupName": "green", "TargetGroupArn": GREEN, "LoadBalancerArns": [LB]},
        ]
    }

    def get_metric_data(MetricDataQueries, **_request):
        values = {}
        for query in MetricDataQueries:
            dims = {d["Name"]: d["Value"] for d in query["MetricStat"]["Metric"]["Dimensions"]}
            errors, requests = canary if dims["TargetGroup"] == "targetgroup/green/0123456789abcdef" else baseline
            metric = query["MetricStat"]["Metric"]["MetricName"]
            values[query["Id"]] = {"RequestCount": [requests / 2.0] * 2, "HTTPCode_Target_5XX_Count": [errors / 2.0] * 2}.get(metric, [0.1, 0.1])
        return {"MetricDataResults": [{"Id": key, "Values": value} for key, value in values.items()]}

    cloudwatch.get_metric_data.side_effect = get_metric_data
    return (lambda service: {"elbv2": elbv2, "cloudwatch": cloudwatch}[service]), elbv2, cloudwatch


def test_a_worse_canary_is_stopped_with_rollback_at_once():
    clients, _elbv2, cloudwatch = clients_with(canary=(10, 200), baseline=(0, 1800))
    backend = MagicMock()
    snap = judging.look(clients, backend, judging.settings({"enabled": True}), canary_snap(), lambda moment: moment)
    assert snap["judge"]["verdict"] == judge.FAIL and snap["judge"]["stopped"] is backend.stop.return_value
    backend.stop.assert_called_once_with("d-1", True)
    assert cloudwatch.get_metric_data.call_count == 1  # both target groups in one call
    request = cloudwatch.get_metric_data.call_args.kwargs
    assert request["StartTime"].timestamp() == 900.0 - 900.0 % 60 and request["EndTime"].timestamp() == 1060.0


def test_a_canary_like_its_baseline_passes_and_nothing_is_stopped():
    clients, _elbv2, _cloudwatch = clients_with(canary=(2, 200), baseline=(18, 1800))
    backend = MagicMock()
    snap = judging.look(clients, backend, judging.settings({"enabled": True}), canary_snap(), lambda moment: moment)
    assert snap["judge"]["verdict"] == judge.PASS and backend.stop.call_count == 0


def test_the_judge_reads_nothing_outside_the_canary_step():
    clients, elbv2, cloudwatch = clients_with(canary=(10, 200), baseline=(0, 1800))
    backend = MagicMock()
    for snap in (canary_snap(share=0.0), canary_snap(share=100.0), canary_snap(status="Stopped")):
        assert "judge" not in judging.look(clients, backend, judging.settings({"enabled": True}), snap, lambda moment: moment)
    assert elbv2.mock_calls == [] and cloudwatch.mock_calls == [] and backend.stop.call_count == 0


def test_the_sandbox_axis_maps_the_window():
    clients, _elbv2, cloudwatch = clients_with(canary=(0, 200), baseline=(0, 1800))
    judging.look(clients, MagicMock(), judging.settings({"enabled": True}), canary_snap(), lambda moment: moment * 2)
    request = cloudwatch.get_metric_data.call_args.kwargs
    assert request["StartTime"].timestamp() == 1800.0 and request["EndTime"].timestamp() == 2060.0


@pytest.mark.parametrize(
    "options, message",
    [
        ({"confidence": 1.0}, "judge.confidence"),
        ({"confidence": 0.2}, "judge.confidence"),
        ({"error_margin": -0.1}, "judge.error_margin"),
        ({"min_requests": 0}, "judge.min_requests"),
    ],
)
def test_bad_judge_options_fail_naming_them(options, message):
    with pytest.raises(AnsibleCanaryECSError) as error:
        judging.settings(dict(options, enabled=True))
    assert error.value.message.startswith(message)


def test_a_verdict_reads_as_a_sentence():
    line = judge.describe(judge.error_rate_verdict(25, 500, 45, 4500))
    assert line.startswith("judge: fail, error rate 5.00% (25 of 500 requests) against 1.00% (45 of 4500) on the baseline; Fisher exact test p=")
