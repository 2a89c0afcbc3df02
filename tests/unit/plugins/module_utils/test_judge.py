# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The judge's statistics against values scipy computed once (scipy 1.x, stats.fisher_exact,
stats.mannwhitneyu(method='asymptotic', use_continuity=True), stats.norm.sf), its verdicts, and
its look at a release (judging.py) with mocked clients."""

from unittest.mock import MagicMock

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release import judge, judging, outcome, progress
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
    (3, 6, 0, 54, 0.0005844535359438923),
    (2, 3, 0, 27, 0.006896551724137931),
    (1, 1, 0, 9, 0.1),
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


@pytest.mark.parametrize(
    "a, n1, b, n2, expected",
    [(1700, 150000, 13500, 1350000, 7.895208772968465e-07), (15000, 1500000, 135000, 13500000, 0.5012745123345284), (21, 28, 19, 2883, 1.4698663867405484e-36)],
)
def test_fisher_exact_at_a_busy_services_sample_sizes(a, n1, b, n2, expected):
    # 10,000 and 100,000 requests a minute over a 15-minute step (scipy.stats.hypergeom.sf): in floating point, at once
    assert judge.fisher_greater(a, n1, b, n2) == pytest.approx(expected, rel=1e-6)


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


def test_a_small_sample_says_so_instead_of_passing():
    verdict = judge.error_rate_verdict(1, 10, 0, 90, min_requests=50)
    assert verdict["verdict"] == judge.NOT_ENOUGH_DATA and "fewer than 50 requests" in verdict["reason"]
    assert judge.error_rate_verdict(0, 0, 0, 90)["verdict"] == judge.NOT_ENOUGH_DATA
    # with a margin the z test needs its sample whatever it shows
    assert judge.error_rate_verdict(5, 10, 0, 90, margin=0.01)["verdict"] == judge.NOT_ENOUGH_DATA


def test_a_canary_failing_half_its_few_requests_fails_before_the_minimum_sample():
    # low traffic: 4 of 9 canary requests failed, none of the baseline's 81; the exact test holds at any sample
    verdict = judge.error_rate_verdict(4, 9, 0, 81, min_requests=50, confidence=1 - 0.05 / 15)
    assert verdict["verdict"] == judge.FAIL and verdict["test"] == "Fisher exact test" and verdict["p_value"] < 1e-4


def test_the_margin_forgives_a_small_difference():
    # 2% against 1%: worse, but within a two-point margin
    assert judge.error_rate_verdict(20, 1000, 90, 9000)["verdict"] == judge.FAIL
    assert judge.error_rate_verdict(20, 1000, 90, 9000, margin=0.02)["verdict"] == judge.PASS


def test_a_slower_canary_fails_and_a_margin_of_its_extra_latency_passes_it():
    baseline = [0.100, 0.110, 0.105, 0.098, 0.102, 0.107]
    canary = [value * 1.5 for value in baseline]
    assert judge.series_verdict("latency", canary, baseline)["verdict"] == judge.FAIL
    assert judge.series_verdict("latency", canary, baseline, margin=0.6)["verdict"] == judge.PASS
    assert judge.series_verdict("latency", canary[:3], baseline)["verdict"] == judge.NOT_ENOUGH_DATA
    assert judge.series_verdict("latency", baseline, canary)["verdict"] == judge.PASS  # faster: better


def test_a_metric_worse_when_lower_fails_when_the_canary_is_lower():
    baseline = [0.051, 0.049, 0.050, 0.052, 0.048, 0.050, 0.051]
    canary = [0.030, 0.031, 0.029, 0.032, 0.030, 0.028]
    assert judge.series_verdict("conversion", canary, baseline, worse_when=judge.LOWER)["verdict"] == judge.FAIL
    assert judge.series_verdict("conversion", canary, baseline, worse_when=judge.HIGHER)["verdict"] == judge.PASS
    assert judge.series_verdict("conversion", baseline, canary, worse_when=judge.LOWER)["verdict"] == judge.PASS
    # a 50% margin forgives the 40% drop
    assert judge.series_verdict("conversion", canary, baseline, worse_when=judge.LOWER, margin=0.5)["verdict"] == judge.PASS


def _verdict(name, outcome):
    return {"metric": name, "verdict": outcome}


@pytest.mark.parametrize(
    "outcomes, critical, expected, score",
    [
        ([judge.PASS, judge.PASS, judge.PASS], (), judge.PASS, 100.0),
        ([judge.FAIL, judge.PASS, judge.PASS], ("m0",), judge.FAIL, 200.0 / 3),  # a critical metric fails alone
        ([judge.PASS, judge.FAIL, judge.PASS, judge.PASS, judge.PASS], ("m0",), judge.MARGINAL, 80.0),  # between 75 and 95
        ([judge.PASS, judge.FAIL, judge.FAIL, judge.PASS], ("m0",), judge.FAIL, 50.0),  # under 75
        ([judge.PASS, judge.NOT_ENOUGH_DATA], ("m0",), judge.PASS, 100.0),  # a non-critical metric waiting is left out
        ([judge.NOT_ENOUGH_DATA, judge.PASS], ("m0",), judge.NOT_ENOUGH_DATA, 100.0),  # the critical one waits
        ([judge.NOT_ENOUGH_DATA, judge.NOT_ENOUGH_DATA], (), judge.NOT_ENOUGH_DATA, None),
    ],
)
def test_the_score_combines_the_metrics_as_kayenta_does(outcomes, critical, expected, score):
    combined = judge.combine([_verdict("m%d" % index, outcome) for index, outcome in enumerate(outcomes)], critical=critical)
    assert combined["verdict"] == expected and combined["score"] == score
    assert combined["failed"] == ["m%d" % index for index, outcome in enumerate(outcomes) if outcome == judge.FAIL]


# ---------------------------------------------------------------------------- the judge's look (judging.py)

LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/canary-alb/50dc6c495c0c9188"
BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/73e2d6bc24d8a067"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"
CANARY_TG = "targetgroup/green/0123456789abcdef"
MINUTES = 8


def canary_snap(share=10.0, status="InProgress", observed_at=1000.0):
    return {
        "deployment_id": "d-1",
        "deployment_config_name": "CodeDeployDefault.ECSCanary10Percent15Minutes",
        "status": status,
        "traffic_share": share,
        "observed_at": observed_at,
        "task_sets": [{"label": "Blue", "target_group": "blue"}, {"label": "Green", "target_group": "green"}],
        "lifecycle_events": [{"name": "AllowTraffic", "status": "InProgress", "start_time": 900.0}],
    }


def clients_with(canary, baseline, latency=(0.1, 0.1), business=None):
    """canary, baseline: (errors, requests) as CloudWatch would sum them over MINUTES minutes; latency:
    the canary's and baseline's per-minute p99; business: {(metric name, Version): per-minute value}."""
    elbv2, cloudwatch = MagicMock(), MagicMock()
    elbv2.describe_target_groups.return_value = {
        "TargetGroups": [
            {"TargetGroupName": "blue", "TargetGroupArn": BLUE, "LoadBalancerArns": [LB]},
            {"TargetGroupName": "green", "TargetGroupArn": GREEN, "LoadBalancerArns": [LB]},
        ]
    }

    def get_metric_data(MetricDataQueries, **_request):
        results = []
        for query in MetricDataQueries:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            if "TargetGroup" in dims:
                side = 0 if dims["TargetGroup"] == CANARY_TG else 1
                errors, requests = (canary, baseline)[side]
                per_minute = {"RequestCount": requests, "HTTPCode_Target_5XX_Count": errors}.get(metric["MetricName"])
                # per-minute values with a little spread, so ranks are not all ties
                values = [per_minute / float(MINUTES)] * MINUTES if per_minute is not None else [latency[side] * (1 + i / 100.0) for i in range(MINUTES)]
            else:
                values = [business[(metric["MetricName"], dims["Version"])] * (1 + i / 100.0) for i in range(MINUTES)]
            results.append({"Id": query["Id"], "Values": values})
        return {"MetricDataResults": results}

    cloudwatch.get_metric_data.side_effect = get_metric_data
    return (lambda service: {"elbv2": elbv2, "cloudwatch": cloudwatch}[service]), elbv2, cloudwatch


def timing(metric_time=lambda moment: moment, poll_interval=15):
    return judging.Timing(metric_time, 60.0, poll_interval)


def a_backend(canary_minutes=15):
    backend = MagicMock()
    backend.plan.return_value = {"steps": [{"share": 10.0, "minutes": canary_minutes}, {"share": 100.0, "minutes": 0.0}]}
    return backend


def test_a_worse_canary_is_stopped_with_rollback_at_once():
    clients, _elbv2, cloudwatch = clients_with(canary=(10, 200), baseline=(0, 1800))
    backend = a_backend()
    snap = judging.look(clients, backend, judging.settings({"enabled": True}), canary_snap(), timing())
    assert snap["judge"]["verdict"] == judge.FAIL and snap["judge"]["stopped"] is backend.stop.return_value
    assert snap["judge"]["failed"] == ["error_rate"] and snap["judge"]["score"] == 50.0
    backend.stop.assert_called_once_with("d-1", True)
    assert cloudwatch.get_metric_data.call_count == 1  # every metric of both sides in one call
    request = cloudwatch.get_metric_data.call_args.kwargs
    assert len(request["MetricDataQueries"]) == 6  # requests, 5xx, latency: twice
    assert request["StartTime"].timestamp() == 900.0 - 900.0 % 60 and request["EndTime"].timestamp() == 1060.0


def test_a_canary_like_its_baseline_passes_and_nothing_is_stopped():
    clients, _elbv2, _cloudwatch = clients_with(canary=(2, 200), baseline=(18, 1800))
    backend = a_backend()
    snap = judging.look(clients, backend, judging.settings({"enabled": True}), canary_snap(), timing())
    assert snap["judge"]["verdict"] == judge.PASS and snap["judge"]["score"] == 100.0 and backend.stop.call_count == 0


def test_a_slower_canary_is_stopped_though_its_errors_pass():
    clients, _elbv2, _cloudwatch = clients_with(canary=(0, 200), baseline=(0, 1800), latency=(0.5, 0.1))
    backend = a_backend()
    snap = judging.look(clients, backend, judging.settings({"enabled": True}), canary_snap(), timing())
    assert snap["judge"]["verdict"] == judge.FAIL and snap["judge"]["failed"] == ["latency"] and snap["judge"]["score"] == 50.0
    assert "latency median 0.5" in judge.describe(snap["judge"])
    backend.stop.assert_called_once_with("d-1", True)
    # with latency left out, the same canary passes
    snap = judging.look(clients, a_backend(), judging.settings({"enabled": True, "latency": False}), canary_snap(), timing())
    assert snap["judge"]["verdict"] == judge.PASS


CONVERSION = {
    "name": "conversion",
    "namespace": "Shop",
    "metric_name": "Conversions",
    "canary_dimensions": {"Version": "v2"},
    "baseline_dimensions": {"Version": "v1"},
    "worse_when": "lower",
    "critical": True,
}


def test_a_business_metric_is_read_in_the_same_call_and_judged_in_its_direction():
    clients, _elbv2, cloudwatch = clients_with(canary=(0, 200), baseline=(0, 1800), business={("Conversions", "v2"): 0.02, ("Conversions", "v1"): 0.05})
    backend = a_backend()
    snap = judging.look(clients, backend, judging.settings({"enabled": True, "metrics": [CONVERSION]}), canary_snap(), timing())
    assert snap["judge"]["verdict"] == judge.FAIL and snap["judge"]["failed"] == ["conversion"]
    assert cloudwatch.get_metric_data.call_count == 1 and len(cloudwatch.get_metric_data.call_args.kwargs["MetricDataQueries"]) == 8
    clients, _elbv2, _cloudwatch = clients_with(canary=(0, 200), baseline=(0, 1800), business={("Conversions", "v2"): 0.06, ("Conversions", "v1"): 0.05})
    snap = judging.look(clients, a_backend(), judging.settings({"enabled": True, "metrics": [CONVERSION]}), canary_snap(), timing())
    assert snap["judge"]["verdict"] == judge.PASS


@pytest.mark.parametrize("policy, verdict, stopped", [("rollback", judge.FAIL, 1), ("proceed", judge.NOT_ENOUGH_DATA, 0)])
def test_not_enough_data_at_the_end_of_the_canary_step_follows_the_policy(policy, verdict, stopped):
    clients, _elbv2, _cloudwatch = clients_with(canary=(0, 5), baseline=(0, 45))
    options = judging.settings({"enabled": True, "not_enough_data": policy})
    # the step (900 + 15 min) ends at 1800: a look at 1000 is early, nothing is settled
    backend = a_backend()
    snap = judging.look(clients, backend, options, canary_snap(), timing())
    assert snap["judge"]["verdict"] == judge.NOT_ENOUGH_DATA and "policy" not in snap["judge"] and backend.stop.call_count == 0
    # a look within two looks (poll interval + LOOK_SECONDS each) of the end is among the last: the policy settles it
    backend = a_backend()
    snap = judging.look(clients, backend, options, canary_snap(observed_at=1785.0), timing())
    assert snap["judge"]["verdict"] == verdict and policy in snap["judge"]["policy"] and backend.stop.call_count == stopped
    backend.plan.assert_called_once_with(None, "CodeDeployDefault.ECSCanary10Percent15Minutes", 60.0)


def test_looks_that_come_late_settle_the_step_earlier():
    # a loaded controller: looks 40 s apart though the poll interval is 15; a look 60 s before the end
    # (more than two planned looks, less than two real gaps) is among the last before the step ends
    clients, _elbv2, _cloudwatch = clients_with(canary=(0, 5), baseline=(0, 45))
    options = judging.settings({"enabled": True, "not_enough_data": "proceed"})
    late = timing()
    for moment in (1660.0, 1700.0):
        snap = judging.look(clients, a_backend(), options, canary_snap(observed_at=moment), late)
        assert "policy" not in snap["judge"]
    assert late.longest_gap == 40.0
    snap = judging.look(clients, a_backend(), options, canary_snap(observed_at=1740.0), late)
    assert "proceeding (not_enough_data=proceed)" in snap["judge"]["policy"]
    # looks on time: the same moment is not among the last ones yet
    snap = judging.look(clients, a_backend(), options, canary_snap(observed_at=1740.0), timing())
    assert "policy" not in snap["judge"]
    # the poll interval a look's module run is given (the action plugin's real gap) counts the same way
    snap = judging.look(clients, a_backend(), options, canary_snap(observed_at=1740.0), timing(poll_interval=40))
    assert "proceeding (not_enough_data=proceed)" in snap["judge"]["policy"]


def test_a_release_through_with_an_open_verdict_says_so_however_it_ended():
    clients, _elbv2, _cloudwatch = clients_with(canary=(0, 5), baseline=(0, 45))
    options = judging.settings({"enabled": True, "not_enough_data": "proceed"})
    done = canary_snap(share=100.0, status="Succeeded", observed_at=1900.0)
    # the step ended (and the deployment with it) before the look that would have settled it
    tracker = progress.Tracker()
    tracker.observe(judging.look(clients, a_backend(), options, canary_snap(), timing()))
    found = outcome.outcome(tracker, done)
    assert found["succeeded"] and found["judge"]["verdict"] == judge.NOT_ENOUGH_DATA and "not settled" in found["judge"]["policy"]
    assert "The judge did not clear it: judge: not enough data" in found["message"]
    # settled by the policy, then cleared by a later look: succeeded, nothing to say
    tracker = progress.Tracker()
    tracker.observe(judging.look(clients, a_backend(), options, canary_snap(observed_at=1785.0), timing()))
    assert tracker.judge_settled
    clients, _elbv2, _cloudwatch = clients_with(canary=(2, 200), baseline=(18, 1800))
    tracker.observe(judging.look(clients, a_backend(), options, canary_snap(share=100.0, observed_at=1805.0), timing()))
    found = outcome.outcome(tracker, done)
    assert found["succeeded"] and found["judge"] is None and "judge" not in found["message"]


def test_a_failed_verdict_that_came_after_the_deployment_finished_fails_the_release():
    # looks far apart on a loaded controller: the judge failed the canary in the termination wait, and its
    # stop found the deployment already Succeeded (StopDeployment: DeploymentAlreadyCompletedException)
    clients, _elbv2, _cloudwatch = clients_with(canary=(10, 200), baseline=(0, 1800))
    backend = a_backend()
    backend.stop.return_value = False
    tracker = progress.Tracker()
    tracker.observe(judging.look(clients, backend, judging.settings({"enabled": True}), canary_snap(share=100.0, observed_at=1810.0), timing()))
    backend.stop.assert_called_once_with("d-1", True)
    done = canary_snap(share=100.0, status="Succeeded", observed_at=1830.0)
    result, failed = outcome.finish({"previous_task_definition_arn": "arn:old", "task_definition_arn": "arn:new"}, tracker, done, "the release of v2")
    assert failed and result["outcome"]["succeeded"] and result["outcome"]["judge"]["verdict"] == judge.FAIL
    assert result["live_task_definition_arn"] == "arn:new"
    assert "went through though the judge found the canary worse" in result["msg"] and "previous_task_definition_arn" in result["msg"]
    assert "judge: fail" in result["msg"] and "d-1" in result["msg"]


def test_the_judge_reads_nothing_outside_the_canary_step():
    clients, elbv2, cloudwatch = clients_with(canary=(10, 200), baseline=(0, 1800))
    backend = a_backend()
    # before the shift, long after the canary step (the step ends at 1800, two looks are 36 s), once stopped
    for snap in (canary_snap(share=0.0), canary_snap(share=100.0, observed_at=1840.0), canary_snap(status="Stopped")):
        assert "judge" not in judging.look(clients, backend, judging.settings({"enabled": True}), snap, timing())
    assert elbv2.mock_calls == [] and cloudwatch.mock_calls == [] and backend.stop.call_count == 0
    # an all-at-once config has no canary step to judge
    backend.plan.return_value = {"steps": [{"share": 100.0, "minutes": 0.0}]}
    assert "judge" not in judging.look(clients, backend, judging.settings({"enabled": True}), canary_snap(share=100.0, observed_at=905.0), timing())
    assert cloudwatch.mock_calls == []


def test_a_canary_step_that_ended_between_two_looks_is_judged_over_the_step_once_more():
    clients, _elbv2, cloudwatch = clients_with(canary=(0, 5), baseline=(0, 45))
    backend = a_backend()
    snap = judging.look(clients, backend, judging.settings({"enabled": True}), canary_snap(share=100.0, observed_at=1820.0), timing())
    assert snap["judge"]["verdict"] == judge.FAIL and "rolled back (not_enough_data=rollback)" in snap["judge"]["policy"]
    backend.stop.assert_called_once_with("d-1", True)
    # the window ends with the canary step's minute, not the look's
    assert cloudwatch.get_metric_data.call_args.kwargs["EndTime"].timestamp() == 1860.0


def test_the_sandbox_axis_maps_the_window():
    clients, _elbv2, cloudwatch = clients_with(canary=(0, 200), baseline=(0, 1800))
    judging.look(clients, a_backend(), judging.settings({"enabled": True}), canary_snap(), timing(lambda moment: moment * 2))
    request = cloudwatch.get_metric_data.call_args.kwargs
    assert request["StartTime"].timestamp() == 1800.0 and request["EndTime"].timestamp() == 2060.0


@pytest.mark.parametrize(
    "options, message",
    [
        ({"confidence": 1.0}, "judge.confidence"),
        ({"confidence": 0.2}, "judge.confidence"),
        ({"error_margin": -0.1}, "judge.error_margin"),
        ({"latency_margin": 1.5}, "judge.latency_margin"),
        ({"min_requests": 0}, "judge.min_requests"),
        ({"min_periods": 2}, "judge.min_periods"),
        ({"latency_statistic": "Average"}, "judge.latency_statistic"),
        ({"pass_score": 70.0}, "judge.pass_score and judge.marginal_score"),
        ({"not_enough_data": "extend"}, "judge.not_enough_data"),
        ({"metrics": ["conversion"]}, "judge.metrics[0] must be a dictionary"),
        ({"metrics": [dict(CONVERSION, name="latency")]}, "judge.metrics[0].name"),
        ({"metrics": [CONVERSION, CONVERSION]}, "judge.metrics[1] (conversion): another entry"),
        ({"metrics": [dict(CONVERSION, namespace="")]}, "judge.metrics[0] (conversion).namespace is required"),
        ({"metrics": [dict(CONVERSION, baseline_dimensions=None)]}, "judge.metrics[0] (conversion).baseline_dimensions is required"),
        ({"metrics": [dict(CONVERSION, baseline_dimensions={"Version": "v2"})]}, "judge.metrics[0] (conversion): canary_dimensions and baseline_dimensions"),
        ({"metrics": [dict(CONVERSION, statistic="Median")]}, "judge.metrics[0] (conversion).statistic"),
        ({"metrics": [dict(CONVERSION, worse_when="up")]}, "judge.metrics[0] (conversion).worse_when"),
        ({"metrics": [dict(CONVERSION, margin=-1)]}, "judge.metrics[0] (conversion).margin"),
        ({"metrics": [dict(CONVERSION, colour="red")]}, "judge.metrics[0] (conversion): unknown setting(s) colour"),
    ],
)
def test_bad_judge_options_fail_naming_them(options, message):
    with pytest.raises(AnsibleCanaryECSError) as error:
        judging.settings(dict(options, enabled=True))
    assert error.value.message.startswith(message)


def test_a_business_metric_without_its_baseline_in_cloudwatch_is_refused_before_the_release():
    cloudwatch = MagicMock()
    cloudwatch.list_metrics.return_value = {
        "Metrics": [{"Namespace": "Shop", "MetricName": "Conversions", "Dimensions": [{"Name": "Version", "Value": "v1"}, {"Name": "Region", "Value": "eu"}]}]
    }
    options = judging.settings({"enabled": True, "metrics": [CONVERSION]})
    with pytest.raises(AnsibleCanaryECSError) as error:
        judging.check_metrics_exist(cloudwatch, options)  # only with one more dimension: not this metric
    assert error.value.message.startswith("judge.metrics[0] (conversion): CloudWatch has no metric Shop/Conversions with the baseline_dimensions Version=v1")
    cloudwatch.list_metrics.return_value = {"Metrics": [{"Namespace": "Shop", "MetricName": "Conversions", "Dimensions": [{"Name": "Version", "Value": "v1"}]}]}
    judging.check_metrics_exist(cloudwatch, options)


def test_a_verdict_reads_as_a_sentence():
    verdict = judge.combine([judge.error_rate_verdict(25, 500, 45, 4500), judge.series_verdict("latency", [0.1] * 6, [0.1] * 6)], critical=("error_rate",))
    line = judge.describe(dict(verdict, confidence=0.95))
    assert line.startswith("judge: fail (score 50 of 100); error rate 5.00% (25 of 500 requests) against 1.00% (45 of 4500): fail, Fisher exact test p="), line
    assert line.endswith("; latency median 0.1 over 6 periods against 0.1 over 6: pass, Mann-Whitney U p=1; at 95% confidence"), line
