# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet's description, schedule, table and batched look."""

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._fleet import look, policy, spec, table

T0 = 1764655200.0


def services(*names, **extra):
    return [dict({"cluster": "shop", "service": name}, **extra) for name in names]


# ---------------------------------------------------------------------------- the description


def test_entries_get_the_defaults_under_their_own_settings():
    fleet = spec.parse(
        services("cart", "orders") + [{"name": "web", "cluster": "edge", "service": "storefront", "image": "repo/web:2"}],
        {"image_tag": 7, "deployment_config_name": "cfg", "fail_on_rollback": False},
    )
    cart, orders, web = fleet.entries
    assert cart.name == "cart" and cart.args == {
        "cluster": "shop",
        "service": "cart",
        "image_tag": "7",
        "deployment_config_name": "cfg",
        "fail_on_rollback": False,
    }
    assert orders.args["image_tag"] == "7"
    # an entry naming its own image replaces the defaults' tag
    assert web.name == "web" and web.args["image"] == "repo/web:2" and "image_tag" not in web.args
    assert fleet.max_in_flight == 3 and fleet.first_wave == [] and fleet.halt == "stop"


@pytest.mark.parametrize(
    "listed, defaults, options, expected",
    [
        ([], {"image_tag": "v2"}, {}, "services must list at least one service"),
        (
            services("cart") + [{"cluster": "shop", "service": "arn:aws:ecs:us-east-1:1:service/shop/cart", "name": "again"}],
            {"image_tag": "v2"},
            {},
            "services[0] (cart) and services[1] (again) release the same ECS service cart",
        ),
        (services("cart", "cart"), {"image_tag": "v2"}, {}, "services[0] and services[1] are both named cart"),
        (services("cart"), {"image_tag": "v2"}, {"max_in_flight": 0}, "max_in_flight must be 1 or more"),
        (services("cart"), {"image_tag": "v2"}, {"halt": "panic"}, "halt must be one of stop, roll_back, carry_on"),
        ([{"service": "cart", "image_tag": "v2"}], {}, {}, "services[0] (cart): cluster is required"),
        ([{"cluster": "shop", "name": "x", "image_tag": "v2"}], {}, {}, "services[0] (x): service is required"),
        (services("cart"), {}, {}, "services[0] (cart): nothing to release"),
        (services("cart", image="a:1", image_tag="v2"), {}, {}, "services[0] (cart): image and image_tag are mutually exclusive"),
        (services("cart", poll_interval=3), {"image_tag": "v2"}, {}, "poll_interval apply to the whole fleet: set them in defaults"),
        (services("cart", imagetag="v2"), {}, {}, "services[0] (cart): unknown option(s) imagetag"),
        (services("cart"), {"image_tag": "v2", "service": "x"}, {}, "defaults: service names one service"),
        (services("cart"), {"image_tag": "v2", "wait": False}, {}, "defaults: unknown option(s) wait"),
        (services("cart", deployment_group_name="g"), {"image_tag": "v2"}, {}, "deployment_group_name needs application_name"),
        (["cart"], {"image_tag": "v2"}, {}, "services[0] must be a dictionary"),
        (services("a", "b"), {"image_tag": "v2"}, {"first_wave": 2}, "first_wave must be between 0 and 1"),
        (services("a", "b"), {"image_tag": "v2"}, {"first_wave": ["c"]}, "first_wave names c, not in services"),
        (services("a", "b"), {"image_tag": "v2"}, {"first_wave": ["a", "b"]}, "first_wave names every service"),
    ],
)
def test_a_wrong_description_names_the_entry_and_option(listed, defaults, options, expected):
    with pytest.raises(spec.FleetError) as raised:
        spec.parse(listed, defaults, **options)
    assert expected in str(raised.value)


def test_a_first_wave_by_count_or_by_name_keeps_the_fleets_order():
    assert spec.parse(services("a", "b", "c"), {"image_tag": "v2"}, first_wave=2).first_wave == ["a", "b"]
    assert spec.parse(services("a", "b", "c"), {"image_tag": "v2"}, first_wave=["c", "a"]).first_wave == ["a", "c"]
    assert spec.parse(services("a", "b", "c"), {"image_tag": "v2"}, first_wave="b").first_wave == ["b"]
    assert spec.parse(services("a", "b"), {"image_tag": "v2"}, max_in_flight=9).max_in_flight == 2


# ---------------------------------------------------------------------------- the schedule


def schedule(*names, **options):
    return policy.Schedule(spec.parse(services(*names), {"image_tag": "v2"}, **options))


def test_at_most_max_in_flight_start_and_a_slot_freed_starts_the_next():
    plan = schedule("a", "b", "c", "d", max_in_flight=2)
    assert plan.startable() == ["a", "b"]
    plan.started("a")
    plan.started("b")
    assert plan.startable() == []
    plan.ended("a", policy.SUCCEEDED)
    assert plan.startable() == ["c"]


def test_the_first_wave_must_succeed_before_the_rest_start_whatever_the_halt_policy():
    plan = schedule("a", "b", "c", first_wave=1, halt="carry_on")
    assert plan.startable() == ["a"]
    plan.started("a")
    assert plan.startable() == []
    assert plan.ended("a", policy.ROLLED_BACK, "alarm") == []
    assert plan.startable() == [] and plan.done() and plan.halted == "a rolled back in the first wave"
    plan.close()
    assert plan.summary()["not_started"] == ["b", "c"] and plan.summary()["reasons"]["b"] == "halted: a rolled back in the first wave"
    good = schedule("a", "b", "c", first_wave=1)
    good.started("a")
    good.ended("a", policy.LIVE)
    assert good.startable() == ["b", "c"]


def test_stop_starts_nothing_more_and_roll_back_names_the_releases_in_flight():
    for halt, rolled in (("stop", []), ("roll_back", ["b"]), ("carry_on", [])):
        plan = schedule("a", "b", "c", max_in_flight=2, halt=halt)
        plan.started("a")
        plan.started("b")
        assert plan.ended("a", policy.ROLLED_BACK, "alarm x") == rolled
        assert plan.startable() == ([] if halt != "carry_on" else ["c"])
    plan.ended("b", policy.SUCCEEDED)
    assert not plan.done()


def test_the_summary_says_how_each_ended_and_why():
    plan = schedule("a", "b", "c", "d", halt="stop")
    for name in "abc":
        plan.started(name)
    plan.ended("a", policy.SUCCEEDED)
    plan.ended("b", policy.FAILED, "could not start: no such image")
    plan.ended("c", policy.STOPPED, "stopped")
    plan.close()
    summary = plan.summary()
    assert summary["succeeded"] == ["a"] and summary["failed"] == ["b"] and summary["rolled_back"] == ["c"] and summary["not_started"] == ["d"]
    assert summary["reasons"] == {"b": "could not start: no such image", "c": "stopped", "d": "halted: b failed"}
    text = table.summary_message(summary, 4)
    assert text.startswith(
        "Fleet of 4: 1 succeeded (a), 1 rolled back (c: stopped), 1 failed (b: could not start: no such image), 1 not started (d: halted: b failed)"
    )


def test_the_table_lines_up_its_columns():
    rows = [
        table.row("cart", "in flight", {"phase": "canary", "traffic_share": 10.0, "alarms": {"cart-5xx": "OK"}, "remaining_seconds": 610}, "v2"),
        table.row("orders-long-name", "pending"),
    ]
    lines = table.render(rows)
    assert lines[0].split() == ["service", "phase", "share", "alarms", "time", "left"]
    assert lines[1].split() == ["cart", "canary", "10%", "on", "v2", "cart-5xx=OK", "~10m10s"]
    assert lines[2].split() == ["orders-long-name", "pending"]
    assert lines[1].index("canary") == lines[0].index("phase")


# ---------------------------------------------------------------------------- the batched look


class Client(object):
    """A client answering each operation from a function of its request, counting calls."""

    def __init__(self, **answers):
        self.answers = answers
        self.calls = []

    def __getattr__(self, operation):
        def call(aws_retry=False, **request):
            self.calls.append((operation, request))
            return self.answers[operation](**request)

        return call


def deployment(number, status="InProgress", **extra):
    info = {"deploymentId": "d-%d" % number, "status": status, "applicationName": "app%d" % (number % 2), "deploymentGroupName": "g%d" % number}
    info.update(extra)
    return info


def fleet_clients(count, status="InProgress", weights=(90, 10)):
    infos = dict(("d-%d" % n, deployment(n, status)) for n in range(count))
    codedeploy = Client(
        batch_get_deployments=lambda deploymentIds: {"deploymentsInfo": [infos[i] for i in deploymentIds if i in infos]},
        batch_get_deployment_groups=lambda applicationName, deploymentGroupNames: {
            "deploymentGroupsInfo": [
                {"deploymentGroupName": name, "loadBalancerInfo": {"targetGroupPairInfoList": [{"prodTrafficRoute": {"listenerArns": ["listener/%s" % name]}}]}}
                for name in deploymentGroupNames
            ]
        },
    )
    ecs = Client(
        describe_services=lambda cluster, services: {
            "services": [
                {
                    "serviceName": name,
                    "status": "ACTIVE",
                    "taskSets": [
                        {"externalId": "d-%s" % name[1:], "loadBalancers": [{"targetGroupArn": "arn:tg/green-%s/1" % name}]},
                        {"externalId": None, "loadBalancers": [{"targetGroupArn": "arn:tg/blue-%s/1" % name}]},
                    ],
                }
                for name in services
            ],
            "failures": [],
        }
    )
    elbv2 = Client(
        describe_listeners=lambda ListenerArns: {
            "Listeners": [
                {
                    "ListenerArn": arn,
                    "DefaultActions": [
                        {
                            "Type": "forward",
                            "ForwardConfig": {
                                "TargetGroups": [
                                    {"TargetGroupArn": "arn:tg/blue-s%s/1" % arn.split("/g")[-1], "Weight": weights[0]},
                                    {"TargetGroupArn": "arn:tg/green-s%s/1" % arn.split("/g")[-1], "Weight": weights[1]},
                                ]
                            },
                        }
                    ],
                }
                for arn in ListenerArns
            ]
        }
    )
    cloudwatch = Client(describe_alarms=lambda AlarmNames, **_: {"MetricAlarms": [{"AlarmName": name, "StateValue": "OK"} for name in AlarmNames]})
    clients = {"codedeploy": codedeploy, "ecs": ecs, "elbv2": elbv2, "cloudwatch": cloudwatch}
    return clients, lambda service, region=None: clients[service]


def test_one_look_at_thirty_releases_reads_in_batches_and_learns_routes_once():
    clients, factory = fleet_clients(30)
    releases = [{"deployment_id": "d-%d" % n, "cluster": "shop", "service": "s%d" % n, "alarm_names": ["a%d" % n]} for n in range(30)]
    counter = look.Counter()
    seen = look.look(factory, releases, counter)
    assert seen["d-7"]["traffic_share"] == 10.0 and seen["d-7"]["alarms"]["a7"]["state"] == "OK" and seen["d-7"]["status"] == "InProgress"
    assert [item["label"] for item in seen["d-7"]["task_sets"]] == ["Green", "Blue"]
    assert counter.calls == {"BatchGetDeployments": 2, "BatchGetDeploymentGroups": 2, "DescribeServices": 3, "DescribeListeners": 2, "DescribeAlarms": 1}
    assert releases[7]["listener_arns"] == ["listener/g7"] and releases[7]["replacement_target_group"] == "arn:tg/green-s7/1"
    # the next look with the routes passed back: batch reads only
    counter = look.Counter()
    look.look(factory, releases, counter)
    assert counter.calls == {"BatchGetDeployments": 2, "DescribeListeners": 2, "DescribeAlarms": 1}
    assert max(len(request["deploymentIds"]) for operation, request in clients["codedeploy"].calls if operation == "batch_get_deployments") == 25


def test_an_ended_release_gets_the_full_look_once_and_no_weights():
    clients, factory = fleet_clients(1, status="Stopped")
    stopped = deployment(0, "Stopped", rollbackInfo={"rollbackDeploymentId": "d-9"}, errorInformation={"code": "ALARM_ACTIVE"}, createTime=T0)
    infos = {"d-0": stopped, "d-9": deployment(9, "Succeeded")}
    clients["codedeploy"].answers["batch_get_deployments"] = lambda deploymentIds: {"deploymentsInfo": [infos[i] for i in deploymentIds]}
    clients["codedeploy"].answers["get_deployment"] = lambda deploymentId: {"deploymentInfo": infos[deploymentId]}
    target = {"ecsTarget": {"targetId": "shop:s0", "status": "Failed", "lifecycleEvents": [{"lifecycleEventName": "AllowTraffic", "status": "Failed"}]}}
    clients["codedeploy"].answers["batch_get_deployment_targets"] = lambda deploymentId, targetIds: {"deploymentTargets": [target]}
    clients["cloudwatch"].answers["describe_alarm_history"] = lambda **request: {"AlarmHistoryItems": []}
    counter = look.Counter()
    seen = look.look(factory, [{"deployment_id": "d-0", "cluster": "shop", "service": "s0", "alarm_names": ["a0"]}], counter)
    final = seen["d-0"]
    assert final["final"] and final["rollback_status"] == "Succeeded" and final["traffic_share"] == 0.0
    assert final["lifecycle_events"][0]["name"] == "AllowTraffic" and final["target_status"] == "Failed"
    assert "DescribeListeners" not in counter.calls and counter.calls["GetDeployment"] == 2 and counter.calls["DescribeAlarmHistory"] == 1
    assert [operation for operation, _request in clients["codedeploy"].calls].count("batch_get_deployments") == 2


def test_services_tells_which_exist_ten_a_call():
    clients, factory = fleet_clients(0)
    clients["ecs"].answers["describe_services"] = lambda cluster, services: {
        "services": [{"serviceName": name, "status": "ACTIVE"} for name in services if name != "ghost"],
        "failures": [{"arn": "ghost", "reason": "MISSING"}],
    }
    counter = look.Counter()
    found = look.services(factory, [("shop", "s%d" % n) for n in range(12)] + [("shop", "ghost"), ("edge", "web")], counter)
    assert found[("shop", "ghost")] is None and found[("shop", "s11")]["serviceName"] == "s11" and found[("edge", "web")] is not None
    assert counter.calls == {"DescribeServices": 3}
