"""provision.yml and cleanup.yml end to end for one stack, against a sandbox process.

One stack (its own prefix, so other e2e tests' stacks never mix with it) goes through:
bad inputs (fail before any write, naming the variable), check mode on a fresh account, a
fresh provision (every resource read back), a re-run (no task changed), check mode on the
stack, numbers given as -e key=value, a simulated completed release (green live, a new task
definition revision) and a re-run (nothing moves), cleanup (nothing the stack owned is left)
and cleanup again (no-op). Everything is asserted on state read back with boto3. Other
stacks' stories (shared clusters, cleanup under faults) are in test_provision_stacks.py.
"""

import json
import os

import pytest
import yaml
from stack_state import TAG, StackState, forwarded, register_image, timed

STACK = "e2eprov"
# one group per module: pytest-xdist (make e2e, --dist loadgroup) keeps the stack's story on one worker, in order


@pytest.fixture(scope="module")
def stack_vars():
    return {"stack_name": STACK, "stack_vpc_cidr": "10.71.0.0/16", "stack_subnet_cidrs": ["10.71.0.0/24", "10.71.1.0/24"]}


@pytest.fixture(scope="module")
def state(sandbox_env):
    return StackState(sandbox_env.clients, STACK)


@pytest.fixture(scope="module")
def figures():
    """Timings and request counts, printed at the end of the module (pytest -s shows them)."""
    collected = {}
    yield collected
    for name, (seconds, calls) in collected.items():
        print(f"\n{name}: {seconds:.1f} s, {calls} AWS API calls")


# --------------------------------------------------------------------------- bad inputs

BAD_INPUTS = [
    ({"stack_name": "x" * 30}, "stack_name"),
    ({"stack_name": "9lives"}, "stack_name"),
    ({"stack_listener_port": "eighty"}, "stack_listener_port"),
    ({"stack_test_listener_port": 80}, "stack_test_listener_port"),
    ({"stack_cpu": "300"}, "stack_cpu"),
    ({"stack_memory": "100"}, "stack_memory"),
    ({"stack_image": "Not An Image"}, "stack_image"),
    ({"stack_deployment_config": "NoSuchConfig"}, "stack_deployment_config"),
    ({"stack_subnet_cidrs": ["10.71.0.0/24"]}, "stack_subnet_cidrs"),
    ({"stack_create_network": False}, "stack_existing_vpc_id"),
    ({"stack_rollback_events": ["WHEN_I_SAY_SO"]}, "stack_rollback_events"),
    ({"stack_environment": ["not", "a", "dict"]}, "stack_environment"),
    ({"stack_5xx_threshold": 0}, "stack_5xx_threshold"),
    ({"stack_rate_alarm_margin": 100}, "stack_rate_alarm_margin"),
    ({"stack_rate_alarm_min_requests": 0}, "stack_rate_alarm_min_requests"),
    ({"stack_log_retention_days": 13}, "stack_log_retention_days"),
    ({"stack_ready_wait_minutes": "soon"}, "stack_ready_wait_minutes"),
    ({"stack_ready_wait_minutes": 2881}, "stack_ready_wait_minutes"),
    # values only AWS would refuse, after some resources existed: checked first
    ({"stack_deployment_config": "CodeDeployDefault.ECSCanary50Percent1Minutes"}, "stack_deployment_config"),
    ({"stack_custom_deployment_configs": [{"name": "c", "traffic_routing": "canary", "percentage": 0, "interval": 5}]}, "stack_custom_deployment_configs"),
    ({"stack_custom_deployment_configs": [{"name": "c", "traffic_routing": "linear", "percentage": 100, "interval": 1}]}, "stack_custom_deployment_configs"),
    ({"stack_custom_deployment_configs": [{"name": "c", "traffic_routing": "canary", "percentage": 10, "interval": -1}]}, "stack_custom_deployment_configs"),
    ({"stack_extra_alarm_names": ["no-such-alarm"]}, "stack_extra_alarm_names"),
    ({"stack_tags": {"k" * 129: "v"}}, "stack_tags"),
    ({"stack_subnet_cidrs": ["10.72.0.0/24", "10.71.1.0/24"]}, "stack_subnet_cidrs"),
    ({"stack_subnet_cidrs": ["10.71.0.0/24", "10.71.0.0/25"]}, "stack_subnet_cidrs"),
    ({"aws_region": "us-east-9"}, "aws_region"),
]


@pytest.mark.parametrize("override,variable", BAD_INPUTS, ids=[variable for _, variable in BAD_INPUTS])
def test_bad_input_fails_naming_the_variable_before_any_write(override, variable, run_playbook, stack_vars, state):
    run = run_playbook("provision.yml", extra_vars=dict(stack_vars, **override), expect_failure=True)
    failed = [task for task in run.tasks if task["result"].get("failed") and not task["result"].get("skipped")]
    messages = " ".join(str(task["result"].get("msg", "")) for task in failed) + run.stdout + run.stderr
    assert variable in messages, f"the failure does not name {variable}: {messages[-2000:]}"
    # no task that writes ran: every task before the failure was a check
    assert not run.changed_tasks
    assert state.owned() == []


# --------------------------------------------------------------------------- the life of a stack


def test_check_mode_on_a_fresh_account_lists_what_it_would_create(run_playbook, stack_vars, state):
    """--check --diff before anything exists: no id is known yet, and nothing may fail or be made."""
    run = run_playbook("provision.yml", "--diff", check=True, extra_vars=stack_vars)
    would = [str(task["result"].get("msg")) for task in run.tasks if task["task"].endswith(" : What the run would create") and task["result"].get("changed")]
    assert any(f"VPC {STACK}-vpc" in message for message in would), would
    assert any(f"load balancer {STACK}-alb" in message and f"target group {STACK}-app-tg-blue" in message for message in would), would
    assert any(f"service {STACK}-canary-app-service" in message for message in would), would
    assert any(f"deployment group {STACK}-canary-app / {STACK}-canary-app-dg" in message for message in would), would
    # the resources that need no other id are compared as usual
    assert run.task("canary.ecs.network : VPC")["changed"] and run.task("canary.ecs.ecs_service : Cluster")["changed"]
    assert run.task("canary.ecs.codedeploy : CodeDeploy application")["changed"]
    assert "nothing was changed" in " ".join(run.task("What a real run would do")["msg"])
    assert state.owned() == []


def test_provision_creates_every_resource(run_playbook, stack_vars, state, sandbox_env, figures, tmp_path):
    run, seconds, calls = timed(sandbox_env, run_playbook, "provision.yml", stack_vars, tmp_path)
    figures["fresh provision"] = (seconds, calls)

    tgs = state.target_groups()
    assert set(tgs) == {f"{STACK}-app-tg-blue", f"{STACK}-app-tg-green"}
    for tg in tgs.values():
        assert tg["TargetType"] == "ip" and tg["Port"] == 80 and tg["HealthCheckPath"] == "/"
    listeners = state.listeners()
    assert set(listeners) == {80, 8080}
    assert forwarded(listeners[80]) == {f"{STACK}-app-tg-blue": 1}
    assert forwarded(listeners[8080]) == {f"{STACK}-app-tg-blue": 1}

    alarms = state.alarms()
    assert set(alarms) == {
        f"{STACK}-Canary-5XX-Error-Alarm-blue",
        f"{STACK}-Canary-5XX-Error-Alarm-green",
        f"{STACK}-Canary-Latency-p99-Alarm-blue",
        f"{STACK}-Canary-Latency-p99-Alarm-green",
        f"{STACK}-Canary-5XX-Rate-Alarm-blue",
        f"{STACK}-Canary-5XX-Rate-Alarm-green",
    }
    # the rate comparison with green as the canary reads green's errors against blue's
    rate = {query["Id"]: query for query in alarms[f"{STACK}-Canary-5XX-Rate-Alarm-green"]["Metrics"]}
    assert rate["rate"]["Expression"].startswith("IF(canary_requests >= 20, ") and rate["rate"]["ReturnData"] is True
    assert {d["Name"]: d["Value"] for d in rate["canary_errors"]["MetricStat"]["Metric"]["Dimensions"]}["TargetGroup"].startswith(
        "targetgroup/%s-app-tg-green/" % STACK
    )
    assert {d["Name"]: d["Value"] for d in rate["baseline_errors"]["MetricStat"]["Metric"]["Dimensions"]}["TargetGroup"].startswith(
        "targetgroup/%s-app-tg-blue/" % STACK
    )
    seed = alarms[f"{STACK}-Canary-5XX-Error-Alarm-green"]
    assert (seed["MetricName"], seed["Statistic"], seed["Period"], seed["EvaluationPeriods"], seed["Threshold"], seed["ComparisonOperator"]) == (
        "HTTPCode_Target_5XX_Count",
        "Sum",
        60,
        2,
        5.0,
        "GreaterThanOrEqualToThreshold",
    )
    dimensions = {d["Name"]: d["Value"] for d in seed["Dimensions"]}
    assert dimensions["TargetGroup"] == tgs[f"{STACK}-app-tg-green"]["TargetGroupArn"].split(":")[-1]

    service = state.service()
    assert service["deploymentController"]["type"] == "CODE_DEPLOY"
    assert service["launchType"] == "FARGATE" and service["desiredCount"] == 2
    assert service["loadBalancers"][0]["targetGroupArn"] == tgs[f"{STACK}-app-tg-blue"]["TargetGroupArn"]
    assert {t["key"]: t["value"] for t in service["tags"]}[TAG] == STACK
    taskdef = state.clients("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert taskdef["containerDefinitions"][0]["image"] == "public.ecr.aws/nginx/nginx:v1"
    assert (taskdef["cpu"], taskdef["memory"], taskdef["networkMode"]) == ("256", "512", "awsvpc")

    group = state.deployment_group()
    assert group["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent15Minutes"
    assert group["ecsServices"] == [{"serviceName": f"{STACK}-canary-app-service", "clusterName": f"{STACK}-cluster"}]
    assert sorted(a["name"] for a in group["alarmConfiguration"]["alarms"]) == sorted(alarms)
    assert group["alarmConfiguration"]["enabled"] is True
    assert group["autoRollbackConfiguration"]["enabled"] is True
    assert set(group["autoRollbackConfiguration"]["events"]) == {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}
    pair = group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    assert [tg["name"] for tg in pair["targetGroups"]] == [f"{STACK}-app-tg-blue", f"{STACK}-app-tg-green"]
    assert pair["prodTrafficRoute"]["listenerArns"] == [listeners[80]["ListenerArn"]]
    assert pair["testTrafficRoute"]["listenerArns"] == [listeners[8080]["ListenerArn"]]
    # no approval wait by default: traffic moves as soon as the new task set is ready
    assert group["blueGreenDeploymentConfiguration"]["deploymentReadyOption"] == {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}

    summary = " ".join(map(str, run.task("What to do next")["msg"]))
    assert f"{STACK}-canary-app-dg" in summary and "deploy.yml -e image_tag=v2" in summary and "URL: http://" in summary


def test_provision_again_changes_nothing(run_playbook, stack_vars, state, sandbox_env, figures, tmp_path):
    revisions = state.revisions()
    run, seconds, calls = timed(sandbox_env, run_playbook, "provision.yml", stack_vars, tmp_path)
    figures["provision re-run"] = (seconds, calls)
    assert run.changed_tasks == []
    assert state.revisions() == revisions


def test_check_mode_on_the_stack_previews_a_change_without_making_it(run_playbook, stack_vars, state):
    # every task but the two that the change touches reports no change (check mode on an unchanged stack)
    change = {"stack_deployment_config": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", "stack_5xx_threshold": 9}
    run = run_playbook("provision.yml", "--diff", check=True, extra_vars=dict(stack_vars, **change))
    group_task = run.task("canary.ecs.codedeploy : Deployment group (blue/green, alarms, automatic rollback)")
    assert group_task["changed"] and "CodeDeployDefault.ECSLinear10PercentEvery1Minutes" in json.dumps(group_task.get("diff"))
    assert set(run.changed_tasks) == {
        "canary.ecs.codedeploy : Deployment group (blue/green, alarms, automatic rollback)",
        "canary.ecs.alarms : Alarms on each target group",
    }
    # read back: the preview changed nothing
    assert state.deployment_group()["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent15Minutes"
    assert {alarm["Threshold"] for name, alarm in state.alarms().items() if "5XX" in name} == {5.0}


def as_command_line(values):
    """-e key=value for each, as a user types them: every value arrives as a string."""
    args = []
    for key, value in values.items():
        args += ["-e", "%s=%s" % (key, str(value).lower() if isinstance(value, bool) else value)]
    return args


def test_numbers_and_switches_given_with_e_key_value_are_accepted(run_playbook, stack_vars, state):
    """Every number and switch of vars/stack.yml given as -e key=value (a string) is checked and cast: the
    provisioned stack, made from the typed defaults, is found unchanged (a string "80" or "true" taken as
    such would change or fail a task)."""
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "vars", "stack.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    typed = {key: value for key, value in defaults.items() if isinstance(value, (bool, int, float))}
    assert {"stack_listener_port", "stack_desired_count", "stack_ready_wait_minutes", "stack_latency_threshold", "stack_create_network"} <= set(typed)
    run = run_playbook("provision.yml", *as_command_line(typed), extra_vars=stack_vars)
    assert run.changed_tasks == []
    ready = state.deployment_group()["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready == {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}


def test_a_number_that_is_not_one_fails_naming_the_variable(run_playbook, stack_vars, state):
    run = run_playbook("provision.yml", "-e", "stack_ready_wait_minutes=five", extra_vars=stack_vars, expect_failure=True)
    assert "stack_ready_wait_minutes" in run.stdout and run.changed_tasks == []


def test_provision_after_a_release_moves_nothing(run_playbook, stack_vars, state):
    """Green live and a new revision, as CodeDeploy leaves them after a release: provision keeps both."""
    elb, ecs = state.clients("elbv2"), state.clients("ecs")
    tgs = state.target_groups()
    green = tgs[f"{STACK}-app-tg-green"]["TargetGroupArn"]
    blue = tgs[f"{STACK}-app-tg-blue"]["TargetGroupArn"]
    released = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": blue, "Weight": 0}, {"TargetGroupArn": green, "Weight": 100}]}}
    for listener in state.listeners().values():
        elb.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[released])
    service = state.service()
    current = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    v2 = register_image(ecs, current, "public.ecr.aws/nginx/nginx:v2")
    # moto lets update_service change a CODE_DEPLOY service's task definition, as a release would
    ecs.update_service(cluster=service["clusterArn"], service=service["serviceName"], taskDefinition=v2)
    revisions = state.revisions()

    run = run_playbook("provision.yml", extra_vars=stack_vars)

    assert run.changed_tasks == []
    for port, listener in state.listeners().items():
        assert forwarded(listener) == {f"{STACK}-app-tg-blue": 0, f"{STACK}-app-tg-green": 100}, port
    assert state.service()["taskDefinition"] == v2
    assert state.revisions() == revisions
    summary = " ".join(map(str, run.task("What to do next")["msg"]))
    assert "Traffic is where CodeDeploy left it" in summary


def test_cleanup_removes_everything_the_stack_owned(run_playbook, stack_vars, state, sandbox_env, figures, tmp_path):
    run, seconds, calls = timed(sandbox_env, run_playbook, "cleanup.yml", stack_vars, tmp_path)
    figures["cleanup"] = (seconds, calls)
    assert run.changed_tasks
    assert state.owned() == []


def test_cleanup_again_changes_nothing(run_playbook, stack_vars, state):
    run = run_playbook("cleanup.yml", extra_vars=stack_vars)
    assert run.changed_tasks == []
    assert state.owned() == []
