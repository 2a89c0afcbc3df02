"""Each preflight check refuses before anything is created, with a message that says what to fix.

Every test reads back that no task definition revision was registered and no deployment started.
"""

import time

import pytest
from release_helpers import alarms_quiet, release_result, release_vars, restore_alarm, run_module

from canary_sandbox.engine.testing import wait_for

# The release modules share the provisioned stack: pytest-xdist (make e2e, --dist loadgroup) runs them on one worker.

ECR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/canary-missing:v9"


@pytest.fixture
def nothing_created(stack):
    revisions, deployments = stack.revisions(), stack.deployments()
    yield
    assert stack.revisions() == revisions, "a task definition revision was registered"
    assert stack.deployments() == deployments, "a deployment was started"


def release(sandbox_env, stack, **args):
    values = {"cluster": stack.cluster, "service": stack.service, "poll_interval": 1}
    values.update(args)
    return run_module(sandbox_env, "ecs_deployment", values, expect_failure=True)["msg"]


def test_a_service_without_the_code_deploy_controller(stack, sandbox_env, run_playbook, nothing_created):
    ecs = sandbox_env.clients("ecs")
    live = stack.service_description()
    ecs.create_service(
        cluster=stack.cluster,
        serviceName="plain-rolling",
        taskDefinition=live["taskDefinition"],
        desiredCount=0,
        launchType="FARGATE",
        networkConfiguration=live["networkConfiguration"],
    )
    try:
        run = run_playbook(
            "deploy.yml", "-e", "image_tag=v2", "-e", "stack_service_name=plain-rolling", expect_failure=True, extra_vars=release_vars(sandbox_env.endpoint)
        )
        message = release_result(run)["msg"]
        assert "uses the ECS deployment controller" in message and "CODE_DEPLOY" in message
    finally:
        ecs.delete_service(cluster=stack.cluster, service="plain-rolling", force=True)


def test_an_image_tag_with_a_space_fails_naming_image_tag(stack, sandbox_env, run_playbook, nothing_created):
    run = run_playbook("deploy.yml", "-e", '{"image_tag": "v 2"}', expect_failure=True, extra_vars=release_vars(sandbox_env.endpoint))
    assert release_result(run)["msg"].startswith("image_tag 'v 2' is not an image tag")


def failure_messages(run):
    return " ".join(str(task["result"].get("msg", "")) for task in run.tasks if task["result"].get("failed")) + run.stdout


def test_an_unknown_deployment_config_for_one_release_fails_naming_the_variable(stack, sandbox_env, run_playbook, nothing_created):
    run = run_playbook(
        "deploy.yml", "-e", "image_tag=v2", "-e", "release_deployment_config=NoSuchConfig", expect_failure=True, extra_vars=release_vars(sandbox_env.endpoint)
    )
    assert 'release_deployment_config "NoSuchConfig" is not an ECS deployment config' in failure_messages(run)


def test_an_unknown_deployment_config_given_to_the_module_fails_before_registering(stack, sandbox_env, nothing_created):
    # a tag no other test releases: the one live would make the release a no-op before the config is read
    message = release(sandbox_env, stack, image_tag="config-check", deployment_config_name="NoSuchConfig")
    assert message.startswith("deployment_config_name 'NoSuchConfig' is not a CodeDeploy deployment config") and "Nothing was registered" in message


@pytest.mark.parametrize(
    "playbook,setting,variable",
    [
        ("deploy.yml", "release_wait_timeout=soon", "release_wait_timeout"),
        ("deploy.yml", "release_poll_interval=0", "release_poll_interval"),
        ("deploy.yml", "release_wait=maybe", "release_wait"),
        ("deploy.yml", "release_fail_on_rollback=perhaps", "release_fail_on_rollback"),
        ("deploy.yml", "release_environment=notadict", "release_environment"),
        ("deploy.yml", "release_secret_environment=notadict", "release_secret_environment"),
        ("deploy.yml", "release_judge=sometimes", "release_judge"),
        ("deploy.yml", "release_fast_fail_minutes=61", "release_fast_fail_minutes"),
        ("deploy.yml", "release_fast_fail_minutes=soon", "release_fast_fail_minutes"),
        ("deploy.yml", "release_judge_confidence=1", "release_judge_confidence"),
        ("deploy.yml", "release_judge_confidence=high", "release_judge_confidence"),
        ("deploy.yml", "release_judge_error_margin=-0.01", "release_judge_error_margin"),
        ("deploy.yml", "release_judge_min_requests=0", "release_judge_min_requests"),
        ("deploy.yml", "release_judge_latency_margin=2", "release_judge_latency_margin"),
        ("deploy.yml", "release_judge_latency_statistic=Average", "release_judge_latency_statistic"),
        ("deploy.yml", "release_judge_min_periods=1", "release_judge_min_periods"),
        ("deploy.yml", "release_judge_pass_score=50", "release_judge_pass_score"),
        ("deploy.yml", "release_judge_not_enough_data=extend", "release_judge_not_enough_data"),
        (
            "deploy.yml",
            '{"release_judge_metrics": [{"name": "conversion", "namespace": "Shop", "metric_name": "Conversions", "canary_dimensions": {"Version": "v2"}}]}',
            "release_judge_metrics",
        ),
        (
            "deploy.yml",
            '{"release_judge_metrics": [{"name": "conversion", "namespace": "Shop", "metric_name": "Conversions", '
            '"canary_dimensions": {"Version": "v2"}, "baseline_dimensions": {"Version": "v1"}, "worse_when": "up"}]}',
            "release_judge_metrics",
        ),
        ("deploy.yml", "release_max_severity=SEVERE", "release_max_severity"),
        ("deploy.yml", "release_unscanned=later", "release_unscanned"),
        ("deploy.yml", "release_scan_wait_minutes=0", "release_scan_wait_minutes"),
        ("deploy.yml", "release_pin_digest=perhaps", "release_pin_digest"),
        ("status.yml", "status_since=yesterday", "status_since"),
        ("promote.yml", "promote_wait_type=later", "promote_wait_type"),
        ("rollback.yml", "release_wait_timeout=0", "release_wait_timeout"),
        ("status.yml", "status_history=0", "status_history"),
    ],
)
def test_a_bad_release_variable_fails_naming_it(playbook, setting, variable, stack, sandbox_env, run_playbook, nothing_created):
    """-e key=value as a user types it: the failure names the playbook variable, not the module option it feeds."""
    run = run_playbook(playbook, "-e", "image_tag=v2", "-e", setting, expect_failure=True)
    assert variable in failure_messages(run)
    assert not run.changed_tasks


def test_a_business_metric_whose_baseline_is_not_in_cloudwatch(stack, sandbox_env, nothing_created):
    metric = {
        "name": "conversion",
        "namespace": "Shop",
        "metric_name": "Conversions",
        "canary_dimensions": {"Version": "judge-check"},
        "baseline_dimensions": {"Version": "nowhere"},
    }
    alarms_quiet(sandbox_env, stack)  # the alarms are checked first
    # a tag no other test releases: the one live would make the release a no-op before the judge is checked
    message = release(sandbox_env, stack, image_tag="judge-check", judge={"enabled": True, "metrics": [metric]})
    assert message.startswith("judge.metrics[0] (conversion): CloudWatch has no metric Shop/Conversions with the baseline_dimensions Version=nowhere"), message


def test_a_variable_in_both_environment_and_secret_environment(stack, sandbox_env, nothing_created):
    message = release(sandbox_env, stack, image_tag="env-check", environment={"API_TOKEN": "plain"}, secret_environment={"API_TOKEN": "hidden-value-71"})
    assert message == "variable API_TOKEN given in both environment and secret_environment: set each variable in one of them.", message


def test_a_container_that_is_not_behind_the_load_balancer(stack, sandbox_env, nothing_created):
    message = release(sandbox_env, stack, image_tag="v2", container="no-such-container")
    assert "Container 'no-such-container' is not behind the load balancer" in message


def test_a_task_definition_without_the_services_port(stack, sandbox_env, nothing_created):
    live = stack.live_task_definition()
    container = dict(live["containerDefinitions"][0], image="canary-app:v2", portMappings=[{"containerPort": 8081, "protocol": "tcp"}])
    definition = {key: live[key] for key in ("family", "networkMode", "requiresCompatibilities", "cpu", "memory") if key in live}
    definition["containerDefinitions"] = [container]
    message = release(sandbox_env, stack, task_definition=definition)
    assert "does not expose port" in message and "8081" in message


def test_an_ecr_image_that_does_not_exist(stack, sandbox_env, nothing_created):
    message = release(sandbox_env, stack, image=ECR_IMAGE)
    assert "does not exist in ECR" in message and "canary-missing" in message


def test_a_missing_alarm(stack, sandbox_env, nothing_created):
    cloudwatch = sandbox_env.clients("cloudwatch")
    name = stack.alarm_names[0]
    saved = stack.alarm(name)
    cloudwatch.delete_alarms(AlarmNames=[name])
    try:
        message = release(sandbox_env, stack, image_tag="alarm-check")
        assert name in message and "do not exist in CloudWatch" in message
    finally:
        restore_alarm(cloudwatch, saved)


def test_an_alarm_of_the_canarys_target_group_already_in_alarm(stack, sandbox_env, nothing_created):
    """An alarm that will watch the release must not start in ALARM (the live version's own may: test_release_repair.py)."""
    cloudwatch = sandbox_env.clients("cloudwatch")
    canary_group = [name for name in stack.target_group_names if name != stack.live_target_group()][0]
    name = stack.alarms_on(canary_group)[0]
    saved = stack.alarm(name)
    # missing data counts as breaching: the sandbox's evaluation puts the alarm in ALARM and keeps it there
    restore_alarm(cloudwatch, dict(saved, TreatMissingData="breaching", Threshold=0.0, ComparisonOperator="GreaterThanOrEqualToThreshold"))
    try:
        wait_for(lambda: stack.alarm(name)["StateValue"] == "ALARM", timeout=60, what=f"{name} to go to ALARM")
        message = release(sandbox_env, stack, image_tag="alarm-check")
        assert name in message and "already in ALARM" in message
    finally:
        restore_alarm(cloudwatch, saved)
        wait_for(lambda: stack.alarm(name)["StateValue"] != "ALARM", timeout=60, what=f"{name} to leave ALARM")
        time.sleep(1)
