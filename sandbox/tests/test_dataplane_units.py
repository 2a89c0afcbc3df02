"""The data plane's decisions, without a sandbox: versions, behaviour, routing, cookies, metric data."""

import collections
import datetime
import io
import random
import time

import pytest

from canary_sandbox.dataplane import rules
from canary_sandbox.dataplane.discovery import (
    MAX_TASKS,
    TaskSpec,
    container_behaviour,
    container_start,
    deployments_of,
    image_version,
    load_balancer_dimension,
    stickiness_seconds,
    target_group_dimension,
    target_group_name,
    task_count,
    task_set_count,
)
from canary_sandbox.dataplane.extension import discovery_interval_setting
from canary_sandbox.dataplane.metrics import (
    MAX_METRICS_PER_CALL,
    MAX_VALUES_PER_METRIC,
    MetricsRecorder,
    calls_for_minute,
    minute_start,
    quantize,
)
from canary_sandbox.dataplane.proxy import (
    GROUP_COOKIE,
    NETWORK_SECONDS,
    TARGET_COOKIE,
    GroupRoute,
    choose_group,
    choose_target,
    decode_cookie,
    encode_cookie,
    forward_groups,
    forward_to,
    pinned_group,
    pinned_task,
    read_chunked,
    redirect_location,
    request_cookies,
    terminal_action,
)
from canary_sandbox.dataplane.tasks import TARGET_SECONDS_HEADER, Target

TG_BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-blue/0123456789abcdef"
TG_GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-green/fedcba9876543210"
ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/app-alb/50dc6c495c0c9188"


@pytest.mark.parametrize(
    "image, version",
    [
        ("canary-app:v2", "v2"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4.0", "1.4.0"),
        ("localhost:5000/team/app:v3", "v3"),
        ("localhost:5000/app", "latest"),
        ("nginx", "latest"),
        ("app@sha256:abcd", "sha256:abcd"),
    ],
)
def test_image_version(image, version):
    assert image_version(image) == version


def test_an_image_pinned_by_digest_serves_the_version_of_the_tag_it_was_pushed_with():
    pinned = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "ab" * 32
    assert image_version(pinned, lambda image: ["v2", "stable"]) == "stable"  # one of its tags, always the same one
    assert image_version(pinned, lambda image: None) == "sha256:" + "ab" * 32  # untagged: its digest


def test_container_behaviour_reads_and_checks_the_sandbox_variables():
    container = {"name": "web", "environment": [{"name": "SANDBOX_FAILURE_RATE", "value": "0.5"}, {"name": "SANDBOX_LATENCY_MS", "value": "250"}]}
    assert container_behaviour(container) == (0.5, 250.0, [])
    assert container_behaviour({"name": "web"}) == (0.0, 0.0, [])
    rate, latency, problems = container_behaviour(
        {"name": "web", "environment": [{"name": "SANDBOX_FAILURE_RATE", "value": "half"}, {"name": "SANDBOX_LATENCY_MS", "value": "-5"}]}
    )
    assert (rate, latency) == (0.0, 0.0)
    assert "SANDBOX_FAILURE_RATE='half' is not a number" in problems[0] and "'web'" in problems[0]
    assert "clamped" in problems[1]
    assert container_behaviour({"name": "w", "environment": [{"name": "SANDBOX_FAILURE_RATE", "value": "2"}]})[0] == 1.0


def test_container_start_reads_and_checks_the_start_variables():
    def env(**values):
        return {"name": "web", "environment": [{"name": name, "value": value} for name, value in values.items()]}

    assert container_start({"name": "web"}) == ("", 1, 0.0, [])
    assert container_start(env(SANDBOX_START_FAILURE="crash", SANDBOX_EXIT_CODE="3")) == ("crash", 3, 0.0, [])
    assert container_start(env(SANDBOX_START_SECONDS="90"))[2] == 90.0
    failure, code, _seconds, problems = container_start(env(SANDBOX_START_FAILURE="explode", SANDBOX_EXIT_CODE="x"))
    assert (failure, code) == ("", 1)
    assert "SANDBOX_START_FAILURE='explode' is not one of crash, health-check, image-pull" in problems[0]
    assert "SANDBOX_EXIT_CODE='x' is not a number" in problems[1]


def test_a_fleet_starts_no_server_for_a_failing_spec_and_counts_slow_tasks_once_healthy():
    from canary_sandbox.dataplane.tasks import TaskFleet

    crash = TaskSpec("ecs-svc/1", "svc", TG_GREEN, "web", "v3", start_failure="crash")
    slow = TaskSpec("ecs-svc/2", "svc", TG_BLUE, "web", "v2", start_seconds=3600.0)
    fleet = TaskFleet(random.Random(1))
    closing = []
    try:
        assert fleet.reconcile({crash: 2, slow: 1}) == []
        assert fleet.running_by_task_set() == {"ecs-svc/2": 0} and fleet.targets() == {}
        assert fleet.failed_attempts() == []  # the first attempt fails ATTEMPT_SECONDS after the start
        assert fleet.failed_attempts(now=time.monotonic() + 31) == [(crash, 2)]
        assert not fleet.became_ready()
        assert fleet.became_ready(now=time.monotonic() + 3601)
        closing = fleet.reconcile({})
        assert len(closing) == 1 and fleet.failed_attempts(now=time.monotonic() + 10**6) == []
    finally:
        for server in closing + fleet.take_all():
            server.close()


def test_dimensions_are_arn_suffixes():
    assert target_group_dimension(TG_BLUE) == "targetgroup/app-blue/0123456789abcdef"
    assert load_balancer_dimension(ALB) == "app/app-alb/50dc6c495c0c9188"
    assert target_group_name(TG_BLUE) == "app-blue"


def test_stickiness_attribute():
    attributes = [
        {"Key": "stickiness.enabled", "Value": "true"},
        {"Key": "stickiness.type", "Value": "lb_cookie"},
        {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "120"},
    ]
    assert stickiness_seconds(attributes) == 120
    assert stickiness_seconds(attributes[:2]) == 86400
    assert stickiness_seconds([{"Key": "stickiness.enabled", "Value": "false"}]) is None
    assert stickiness_seconds([{"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "app_cookie"}]) is None


def test_task_counts_stay_between_one_and_three():
    assert task_count(0, 2) == 2
    assert task_count(None, 0) == 1
    assert task_count(10) == MAX_TASKS
    assert task_set_count({"scale": {"value": 50.0, "unit": "PERCENT"}}, {"desiredCount": 4}) == 2
    assert task_set_count({"computedDesiredCount": 1, "runningCount": 3, "scale": {"value": 100.0, "unit": "PERCENT"}}, {"desiredCount": 3}) == 1


def test_what_runs_a_service():
    service = {
        "serviceName": "s",
        "taskDefinition": "td:1",
        "loadBalancers": [{"targetGroupArn": TG_BLUE}],
        "desiredCount": 2,
        "taskSets": [
            {
                "id": "ecs-svc/1",
                "status": "PRIMARY",
                "taskDefinition": "td:1",
                "loadBalancers": [{"targetGroupArn": TG_BLUE}],
                "scale": {"value": 100.0, "unit": "PERCENT"},
            },
            {
                "id": "ecs-svc/2",
                "status": "ACTIVE",
                "taskDefinition": "td:2",
                "loadBalancers": [{"targetGroupArn": TG_GREEN}],
                "scale": {"value": 100.0, "unit": "PERCENT"},
            },
        ],
    }
    assert [(item[0], item[1], item[3]) for item in deployments_of(service)] == [("ecs-svc/1", "td:1", 2), ("ecs-svc/2", "td:2", 2)]
    rolling = dict(service, taskSets=[], deployments=[{"id": "ecs-svc/9", "status": "PRIMARY", "taskDefinition": "td:3", "desiredCount": 1}])
    assert [(item[0], item[1], item[3]) for item in deployments_of(rolling)] == [("ecs-svc/9", "td:3", 1)]
    bare = dict(service, taskSets=[], deployments=[])  # moto's CODE_DEPLOY service before any task set
    assert [(item[0], item[1]) for item in deployments_of(bare)] == [("service:s", "td:1")]


def test_terminal_action_and_forward_groups():
    weighted = {
        "Type": "forward",
        "Order": 2,
        "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": TG_BLUE, "Weight": 90}, {"TargetGroupArn": TG_GREEN, "Weight": 10}],
            "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 60},
        },
    }
    actions = [weighted, {"Type": "authenticate-oidc", "Order": 1}]
    assert terminal_action(actions) is weighted
    assert forward_groups(weighted) == (((TG_BLUE, 90), (TG_GREEN, 10)), 60)
    assert forward_groups({"Type": "forward", "TargetGroupArn": TG_BLUE}) == (((TG_BLUE, 1),), None)
    assert rules.forwarded_target_groups(rules.default_only(actions)) == {TG_BLUE, TG_GREEN}
    assert terminal_action([]) is None


def test_choose_group_by_weight_and_pin():
    rng = random.Random(7)
    groups = ((TG_BLUE, 90), (TG_GREEN, 10))
    counts = collections.Counter(choose_group(groups, None, rng) for _ in range(20000))
    assert abs(counts[TG_GREEN] / 20000 - 0.10) < 0.01  # sd 0.2 points
    assert choose_group(groups, TG_GREEN, rng) == TG_GREEN
    assert choose_group(((TG_BLUE, 100), (TG_GREEN, 0)), TG_GREEN, rng) == TG_BLUE  # weight 0 ends the pin
    assert choose_group(((TG_BLUE, 0),), None, rng) is None


def test_cookies_pin_groups_and_tasks():
    route = GroupRoute(arn=TG_GREEN, targets=(Target("t1", 1), Target("t2", 2)), cookie_seconds=60)
    routes = {TG_GREEN: route, TG_BLUE: GroupRoute(arn=TG_BLUE)}.get
    groups = ((TG_BLUE, 50), (TG_GREEN, 50))
    assert decode_cookie(encode_cookie(TG_GREEN, "t2")) == [TG_GREEN, "t2"]
    assert decode_cookie("not base64 !") is None
    cookies = request_cookies([f"a=1; {GROUP_COOKIE}={encode_cookie(TG_GREEN)}", f"{TARGET_COOKIE}={encode_cookie(TG_GREEN, 't2')}"])
    assert pinned_group(cookies, groups, 60, routes) == TG_GREEN
    assert pinned_group({TARGET_COOKIE: cookies[TARGET_COOKIE]}, groups, None, routes) == TG_GREEN
    # a target cookie only pins when that group's stickiness is on
    assert pinned_group({TARGET_COOKIE: encode_cookie(TG_BLUE, "x")}, groups, None, routes) is None
    assert pinned_group({GROUP_COOKIE: encode_cookie(TG_GREEN)}, groups, None, routes) is None
    assert choose_target(route, pinned_task(cookies, TG_GREEN), 0) == Target("t2", 2)
    assert [choose_target(route, None, index).task_id for index in range(3)] == ["t1", "t2", "t1"]
    assert choose_target(GroupRoute(arn=TG_BLUE), None, 0) is None


def test_redirect_location_substitutes_like_aws():
    config = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    assert redirect_location(config, "shop.example:80", 80, "/cart?id=1") == "https://shop.example:443/cart?id=1"
    assert redirect_location({"Path": "/new/#{path}", "Query": ""}, "h", 8080, "/old") == "http://h:8080/new/old"


def test_recorder_publishes_finished_minutes_only():
    now = [600.0]
    recorder = MetricsRecorder(lambda: now[0])
    recorder.record_target(ALB, TG_GREEN, 500, 0.0123)
    recorder.record_target(ALB, TG_GREEN, 200, 0.0123)
    recorder.record_elb_error(ALB, 503)
    assert recorder.take_finished() == []
    now[0] = 659.9
    recorder.record_target(ALB, TG_GREEN, 200, 0.5)
    now[0] = 660.0
    [(minute, stats)] = recorder.take_finished()
    assert minute == 600 and minute_start(659.9) == 600
    calls = calls_for_minute(minute, stats)
    assert len(calls) == 2  # one call for the target group, one for the load balancer's own errors
    by_name = {datum["MetricName"]: datum for datum in calls[0]}
    assert by_name["RequestCount"]["Value"] == 3.0 and by_name["RequestCount"]["Unit"] == "Count"
    assert by_name["HTTPCode_Target_5XX_Count"]["Value"] == 1.0
    assert by_name["HTTPCode_Target_2XX_Count"]["Value"] == 2.0
    assert "HTTPCode_Target_4XX_Count" not in by_name  # zero: not reported, as in AWS
    assert by_name["TargetResponseTime"]["Values"] == [0.0123, 0.5] and by_name["TargetResponseTime"]["Counts"] == [2.0, 1.0]
    assert by_name["RequestCount"]["Dimensions"] == [
        {"Name": "TargetGroup", "Value": "targetgroup/app-green/fedcba9876543210"},
        {"Name": "LoadBalancer", "Value": "app/app-alb/50dc6c495c0c9188"},
    ]
    assert by_name["RequestCount"]["Timestamp"] == datetime.datetime(1970, 1, 1, 0, 10, tzinfo=datetime.timezone.utc)
    elb = {datum["MetricName"]: datum["Value"] for datum in calls[1]}
    assert elb == {"HTTPCode_ELB_5XX_Count": 1.0, "HTTPCode_ELB_503_Count": 1.0}
    assert calls[1][0]["Dimensions"] == [{"Name": "LoadBalancer", "Value": "app/app-alb/50dc6c495c0c9188"}]
    assert recorder.take_finished() == []


def test_many_distinct_latencies_respect_put_metric_data_limits():
    now = [0.0]
    recorder = MetricsRecorder(lambda: now[0])
    for index in range(200000):
        recorder.record_target(ALB, TG_BLUE, 200, 0.001 + index * 1e-6)
    now[0] = 60.0
    [(minute, stats)] = recorder.take_finished()
    calls = calls_for_minute(minute, stats)
    assert all(len(call) <= MAX_METRICS_PER_CALL for call in calls)
    latency = [datum for call in calls for datum in call if datum["MetricName"] == "TargetResponseTime"]
    assert all(len(datum["Values"]) <= MAX_VALUES_PER_METRIC for datum in latency)
    assert sum(sum(datum["Counts"]) for datum in latency) == 200000
    assert quantize(0.0123456) == 0.0123


def test_chunked_request_bodies_are_reassembled():
    assert read_chunked(io.BytesIO(b"3\r\na=1\r\n4;ext=1\r\n&b=2\r\n0\r\nTrailer: x\r\n\r\n")) == b"a=1&b=2"
    with pytest.raises(ValueError):
        read_chunked(io.BytesIO(b"zz\r\n"))
    with pytest.raises(ValueError):
        read_chunked(io.BytesIO(b"5\r\nabcde\r\n0\r\n\r\n"), limit=4)


def test_discovery_interval_setting():
    assert discovery_interval_setting({}) == 0.3
    assert discovery_interval_setting({"CANARY_SANDBOX_DISCOVERY_SECONDS": "1.5"}) == 1.5
    with pytest.raises(ValueError, match="CANARY_SANDBOX_DISCOVERY_SECONDS='fast': expected a positive number"):
        discovery_interval_setting({"CANARY_SANDBOX_DISCOVERY_SECONDS": "fast"})


RULE_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"


def _forward(blue, green):
    return (
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG_BLUE, "Weight": blue}, {"TargetGroupArn": TG_GREEN, "Weight": green}]}},
    )


def test_rules_in_priority_order_default_last():
    described = [
        {"Priority": "default", "IsDefault": True, "Conditions": [], "Actions": [{"Type": "fixed-response"}]},
        {"Priority": "20", "Conditions": [{"Field": "path-pattern", "Values": ["/*"]}], "Actions": list(_forward(0, 100))},
        {"Priority": "3", "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}], "Actions": list(_forward(90, 10))},
    ]
    found = rules.from_described(described)
    assert [rule.priority for rule in found][:2] == [3.0, 20.0] and found[-1].conditions == ()
    assert rules.actions_for(found, "GET", "/api/orders?x=1") == _forward(90, 10)
    assert rules.actions_for(found, "GET", "/health") == _forward(0, 100)
    assert rules.forwarded_target_groups(found) == {TG_BLUE, TG_GREEN}


@pytest.mark.parametrize(
    "condition, request_, matches",
    [
        ({"Field": "host-header", "HostHeaderConfig": {"Values": ["*.Example.com"]}}, ("GET", "/", {"Host": "shop.example.com:8080"}), True),
        ({"Field": "host-header", "HostHeaderConfig": {"Values": ["api.example.com"]}}, ("GET", "/", {"Host": "shop.example.com"}), False),
        ({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/API/*"]}}, ("GET", "/api/x", {}), False),  # paths are case sensitive
        ({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a?c"]}}, ("GET", "/abc", {}), True),
        ({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/[x]"]}}, ("GET", "/[x]", {}), True),  # brackets are literal
        ({"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST"]}}, ("GET", "/", {}), False),
        ({"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["y*"]}}, ("GET", "/", {"x-canary": "yes"}), True),
        ({"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}}, ("GET", "/?v=2", {}), True),
        ({"Field": "query-string", "QueryStringConfig": {"Values": [{"Value": "2"}]}}, ("GET", "/?v=3", {}), False),
        ({"Field": "source-ip", "SourceIpConfig": {"Values": ["127.0.0.0/8"]}}, ("GET", "/", {}), True),
        ({"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}, ("GET", "/", {}), False),
        ({"Field": "something-new", "Values": ["x"]}, ("GET", "/", {}), False),
    ],
)
def test_rule_conditions(condition, request_, matches):
    found = (rules.Rule(1, (condition,), _forward(0, 100)), rules.Rule(float("inf"), (), _forward(100, 0)))
    assert (rules.actions_for(found, *request_) == _forward(0, 100)) is matches


def test_a_rule_arn_names_its_listener():
    assert rules.listener_of_rule(RULE_ARN) == RULE_ARN.replace(":listener-rule/", ":listener/").rsplit("/", 1)[0]
    assert rules.listener_of_rule("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1") is None


def _target_answering(delay_before, reported):
    """A target that takes `delay_before` seconds before it answers, and says it took `reported` (or nothing)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(delay_before)  # as the sandbox's host does when starved of CPU: not the application's time
            self.send_response(200)
            if reported is not None:
                self.send_header(TARGET_SECONDS_HEADER, "%.6f" % reported)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("reported", [0.002, None])
def test_target_response_time_is_the_tasks_own_time_when_it_says_so(reported):
    server = _target_answering(0.3, reported)
    try:
        status, _reason, _headers, body, latency = forward_to(Target("t", server.server_address[1]), "GET", "/", {}, b"")
    finally:
        server.shutdown()
        server.server_close()
    assert (status, body) == (200, b"ok")
    if reported is None:
        assert latency >= 0.3, "without the task's word, the time seen from the load balancer"
    else:
        assert latency == pytest.approx(0.002 + NETWORK_SECONDS), "the task's own time and a round trip, not the host's delay"


def test_a_task_reports_its_added_latency_as_its_own_time():
    from canary_sandbox.dataplane.discovery import TaskSpec
    from canary_sandbox.dataplane.tasks import TaskServer

    spec = TaskSpec(task_set_id="ts", service_arn="s", target_group_arn="arn:tg/green/1", container_name="app", version="v2", latency_ms=120)
    server = TaskServer(spec, random.Random(1)).start()
    try:
        status, _reason, headers, _body, latency = forward_to(server.target(), "GET", "/", {}, b"")
    finally:
        server.close()
    assert status == 200
    assert 0.12 <= float(dict(headers)[TARGET_SECONDS_HEADER]) <= latency <= float(dict(headers)[TARGET_SECONDS_HEADER]) + NETWORK_SECONDS
