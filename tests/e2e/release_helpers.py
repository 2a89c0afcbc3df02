"""Helpers of the release end-to-end tests: the provisioned stack read back, module runs, waits.

The stack's names come from the sandbox itself (the one ECS service under the CODE_DEPLOY
controller and its CodeDeploy group), so the tests follow whatever playbooks/vars/stack.yml names.
"""

import json
import os
import subprocess
import urllib.request

import pytest
from canary_sandbox.engine.testing import green_percent
from canary_sandbox.guard import assert_loopback
from traffic import listener_url

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TREE = os.path.join(ROOT, "build", "collections", "ansible_collections", "canary", "ecs")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
TRAFFIC_WORKERS = 12  # ~250 requests/s: a 10% canary failing half its requests trips a 5-errors-per-minute alarm
FAILING = {"SANDBOX_FAILURE_RATE": "0.5"}
HEALTHY = {"SANDBOX_FAILURE_RATE": "0"}


class Stack:
    """What provision.yml created, read back through the AWS APIs."""

    def __init__(self, clients):
        self.clients = clients
        ecs = clients("ecs")
        found = []
        for cluster_arn in ecs.list_clusters()["clusterArns"]:
            service_arns = ecs.list_services(cluster=cluster_arn)["serviceArns"]
            if service_arns:
                for service in ecs.describe_services(cluster=cluster_arn, services=service_arns)["services"]:
                    if (service.get("deploymentController") or {}).get("type") == "CODE_DEPLOY" and service["status"] == "ACTIVE":
                        found.append((cluster_arn.rsplit("/", 1)[-1], service["serviceName"]))
        assert len(found) == 1, f"expected one CODE_DEPLOY service after provision.yml, found {found}"
        self.cluster, self.service = found[0]
        codedeploy = clients("codedeploy")
        self.group = None
        for application in codedeploy.list_applications()["applications"]:
            for name in codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"]:
                group = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)["deploymentGroupInfo"]
                if any(s["serviceName"] == self.service for s in group.get("ecsServices", [])):
                    self.group = group
        assert self.group, f"no CodeDeploy deployment group deploys {self.service}"
        self.application_name = self.group["applicationName"]
        self.group_name = self.group["deploymentGroupName"]
        self.alarm_names = [alarm["name"] for alarm in self.group["alarmConfiguration"]["alarms"]]
        pair = self.group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
        self.prod_listener_arn = pair["prodTrafficRoute"]["listenerArns"][0]
        self.target_group_names = [tg["name"] for tg in pair["targetGroups"]]

    # ------------------------------------------------------------------ read back

    def deployments(self, statuses=None):
        """DeploymentInfos of the group, oldest first."""
        codedeploy = self.clients("codedeploy")
        request = {"applicationName": self.application_name, "deploymentGroupName": self.group_name}
        if statuses:
            request["includeOnlyStatuses"] = list(statuses)
        ids = codedeploy.list_deployments(**request)["deployments"]
        if not ids:
            return []
        infos = codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"]
        return sorted(infos, key=lambda info: info["createTime"])

    def user_deployments(self):
        return [info for info in self.deployments() if info.get("creator") != "codeDeployRollback"]

    def in_flight(self):
        return self.deployments(("Created", "Queued", "InProgress", "Baking", "Ready"))

    def task_sets(self):
        return self.clients("ecs").describe_task_sets(cluster=self.cluster, service=self.service)["taskSets"]

    def service_description(self):
        return self.clients("ecs").describe_services(cluster=self.cluster, services=[self.service])["services"][0]

    def live_task_definition(self):
        service = self.service_description()
        primary = [ts for ts in service.get("taskSets", []) if ts["status"] == "PRIMARY"]
        arn = primary[0]["taskDefinition"] if primary else service["taskDefinition"]
        return self.clients("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]

    def live_image(self):
        return self.live_task_definition()["containerDefinitions"][0]["image"]

    def revisions(self):
        family = self.live_task_definition()["family"]
        return self.clients("ecs").list_task_definitions(familyPrefix=family)["taskDefinitionArns"]

    def weights(self):
        """{target group name: percent} of the production listener."""
        elbv2 = self.clients("elbv2")
        arns = {tg["TargetGroupArn"]: tg["TargetGroupName"] for tg in elbv2.describe_target_groups(Names=self.target_group_names)["TargetGroups"]}
        return {name: green_percent(elbv2, self.prod_listener_arn, arn) for arn, name in arns.items()}

    def alarm(self, name):
        return self.clients("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def minute_seconds(endpoint):
    with urllib.request.urlopen(assert_loopback(endpoint) + "/_sandbox/status", timeout=10) as response:
        return float(json.loads(response.read())["minute_seconds"])


def release_vars(endpoint, **extra):
    """Extra vars that make deploy.yml poll fast and estimate time in sandbox minutes."""
    values = {"release_minute_seconds": minute_seconds(endpoint), "release_poll_interval": 1}
    values.update(extra)
    return values


def production_url(endpoint):
    return listener_url(endpoint, port=80)


def run_module(sandbox_env, module, args, expect_failure=False, check=False, timeout=600):
    """An ad-hoc run of one canary.ecs module: (failed, result dict)."""
    command = [os.path.join(VENV_BIN, "ansible"), "localhost", "-m", "canary.ecs." + module, "-a", json.dumps(args),
               "-e", "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python")]
    if check:
        command.append("--check")
    env = dict(sandbox_env.env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal", ANSIBLE_LOAD_CALLBACK_PLUGINS="false")
    process = subprocess.run(command, cwd=TREE, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    # "localhost | FAILED! => {...}": the result follows the arrow (an error preamble may hold braces too)
    marker = process.stdout.find("=> {")
    assert marker >= 0, f"no result from {command}:\n{process.stdout}\n{process.stderr}"
    result = json.JSONDecoder().raw_decode(process.stdout[marker + 3:])[0]
    failed = process.returncode != 0
    assert failed == expect_failure, f"{module} {'succeeded' if not failed else 'failed'} unexpectedly: {result.get('msg')}\n{process.stderr[-3000:]}"
    return result


def release_result(run):
    """The ecs_deployment task's result in a deploy.yml run."""
    found = [task["result"] for task in run.tasks if task["action"] in ("canary.ecs.ecs_deployment", "ecs_deployment")]
    assert found, f"no ecs_deployment task in {run!r}"
    return found[-1]


def playbook(sandbox_env, name, *args, extra_vars=None, expect_failure=False, timeout=900):
    """ansible-playbook from the tree with the default callback: (rc, stdout + stderr).

    For the module-scoped stack fixture: conftest's run_playbook is function-scoped.
    """
    command = [os.path.join(VENV_BIN, "ansible-playbook"), os.path.join("playbooks", name), *args]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    env = dict(sandbox_env.env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
    process = subprocess.run(command, cwd=TREE, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    output = process.stdout + process.stderr
    assert (process.returncode != 0) == expect_failure, f"{name}: rc={process.returncode}\n{output[-6000:]}"
    return process.returncode, output


_PROVISIONED = {}  # sandbox endpoint -> Stack: provision.yml runs once per session, for every release test module


@pytest.fixture(scope="module")
def stack(sandbox_env, request):
    """The stack of provision.yml, shared by the release test modules; cleanup.yml runs at the end of the session.

    Provisioning takes minutes on a busy machine, so the modules share one stack (and each
    test reads the state it starts from rather than assuming a fresh one).
    """
    if sandbox_env.endpoint not in _PROVISIONED:
        playbook(sandbox_env, "provision.yml")
        _PROVISIONED[sandbox_env.endpoint] = Stack(sandbox_env.clients)
        request.session.addfinalizer(lambda: _clean_up(sandbox_env, _PROVISIONED.pop(sandbox_env.endpoint)))
    return _PROVISIONED[sandbox_env.endpoint]


def _clean_up(sandbox_env, provisioned):
    """cleanup.yml, with a release possibly left in flight by a failed test; then nothing may be left."""
    playbook(sandbox_env, "cleanup.yml")
    ecs = sandbox_env.clients("ecs")
    left = [s for s in ecs.describe_services(cluster=provisioned.cluster, services=[provisioned.service])["services"] if s["status"] == "ACTIVE"]
    assert not left, f"cleanup.yml left the service {provisioned.service} behind"


def version_of(image):
    return image.rsplit(":", 1)[-1]
