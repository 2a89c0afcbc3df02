#!/usr/bin/env python3
"""`make benchmark`, the backends: one release on CodeDeploy and on ECS's own canary deployments,
each beside the AWS CLI doing the same, in one sandbox and one run.

Run by tools/with-sandbox.sh. It provisions two stacks of the seed's shape (10% for 15 minutes,
5 minutes kept after the shift), `cdb` released by CodeDeploy and `ecsb` by ECS itself
(stack_release_backend: ecs), then for each backend:

    wall time     deploy.yml -e image_tag=v2, and the same release by the AWS CLI (CodeDeploy:
                  register-task-definition, deploy create-deployment, deploy wait
                  deployment-successful; ECS: register-task-definition, ecs update-service,
                  ecs wait services-stable)
    overhead      wall time minus the configured shift and bake (what AWS itself waits)
    API calls     every request of the release, counted by release.py's loopback proxy
    reaction      a v4 failing half its requests under traffic: from its alarm entering ALARM to
                  the last v4 response clients saw, and to production traffic back at 100% on v2
                  (the listener's weights for CodeDeploy, the listener rule's for ECS)

and prints a table. Nothing here leaves 127.0.0.1.
"""

import sys
import time

from detection import ListenerWatch, live_target_group
from release import CountingProxy, alarm_fired_at, aws_cli, configured_wait_seconds, playbook, print_table, register_with_cli, release_with_cli

from canary_sandbox.awsclients import Clients
from canary_sandbox.background import Every
from canary_sandbox.guard import assert_environment_loopback
from canary_sandbox.readback import FAILING, Stack, steady_traffic
from canary_sandbox.readback import minute_seconds as sandbox_minute_seconds
from canary_sandbox.traffic import listener_url

FAST = {"release_poll_interval": 1}
CODEDEPLOY = {"stack_name": "cdb", "stack_release_backend": "codedeploy"}
ECS = {"stack_name": "ecsb", "stack_release_backend": "ecs"}


class NativeStack:
    """The ECS-released stack, read back."""

    def __init__(self, clients, name):
        self.clients = clients
        self.cluster, self.service = "%s-cluster" % name, "%s-canary-app-service" % name
        self.load_balancer = "%s-alb" % name

    def description(self):
        return self.clients("ecs").describe_services(cluster=self.cluster, services=[self.service])["services"][0]

    def rule(self):
        return self.description()["loadBalancers"][0]["advancedConfiguration"]["productionListenerRule"]

    def weights(self):
        actions = self.clients("elbv2").describe_rules(RuleArns=[self.rule()])["Rules"][0]["Actions"]
        groups = next(action for action in actions if action["Type"] == "forward")["ForwardConfig"]["TargetGroups"]
        return {group["TargetGroupArn"]: group["Weight"] for group in groups}

    def configured_seconds(self, minute_seconds):
        configuration = self.description()["deploymentConfiguration"]
        canary = configuration.get("canaryConfiguration") or {}
        minutes = canary.get("canaryBakeTimeInMinutes", 0) + configuration.get("bakeTimeInMinutes", 0)
        return minutes * minute_seconds, minutes

    def live_task_definition(self):
        return self.clients("ecs").describe_task_definition(taskDefinition=self.description()["taskDefinition"])["taskDefinition"]


class RuleWatch(Every):
    """Polls the production rule's weights (straight against the sandbox, not counted) to time a rollback."""

    def __init__(self, stack):
        self.stack = stack
        self.live = max(stack.weights().items(), key=lambda item: item[1])[0]
        self.samples = []
        super().__init__(0.1, lambda: self.samples.append((time.time(), stack.weights().get(self.live, 0))), name="rule-watch")

    def back_at_100_after(self, moment):
        below = False
        for at, weight in self.samples:
            if weight < 100:
                below = True
            elif below and at >= moment:
                return at
        return None


def ecs_release_with_cli(endpoint, stack, tag):
    arn = register_with_cli(endpoint, stack.live_task_definition(), tag)
    aws_cli(endpoint, "ecs", "update-service", "--cluster", stack.cluster, "--service", stack.service, "--task-definition", arn)
    aws_cli(endpoint, "ecs", "wait", "services-stable", "--cluster", stack.cluster, "--services", stack.service)


def measure(sandbox, clients, proxy, stack_vars, cli_release, configured, alarm_names, url, watch_factory):
    """One backend's figures."""
    figures = {"configured": configured}
    proxy.take()
    figures["deploy"], _ = playbook(proxy.endpoint, "deploy.yml", "-e", "image_tag=v2", extra_vars=dict(FAST, **stack_vars))
    figures["deploy_calls"] = proxy.take()
    figures["again"], _ = playbook(proxy.endpoint, "deploy.yml", "-e", "image_tag=v2", extra_vars=dict(FAST, **stack_vars))
    figures["again_calls"] = proxy.take()
    started = time.monotonic()
    cli_release("v3")
    figures["cli"] = time.monotonic() - started
    figures["cli_calls"] = proxy.take()
    with steady_traffic(url) as traffic, watch_factory() as watch:
        started_at = time.time()
        figures["rollback"], _ = playbook(
            proxy.endpoint, "deploy.yml", "-e", "image_tag=v4", expect_failure=True, extra_vars=dict(FAST, release_environment=FAILING, **stack_vars)
        )
        figures["rollback_calls"] = proxy.take()
        time.sleep(1)
    fired_at, figures["alarm"] = alarm_fired_at(clients, alarm_names, started_at)
    last_bad = traffic.last_time(lambda version, status: version == "v4", since=started_at)
    back = watch.back_at_100_after(fired_at or started_at)
    figures["to_last_bad"] = (last_bad - fired_at) if fired_at and last_bad else None
    figures["to_traffic_back"] = (back - fired_at) if fired_at and back else None
    return figures


def main():
    sandbox = assert_environment_loopback()
    clients = Clients(sandbox)
    minute_seconds = sandbox_minute_seconds(sandbox)
    print("canary.ecs backends benchmark against %s (one sandbox minute = %gs)" % (sandbox, minute_seconds), flush=True)
    for stack_vars in (CODEDEPLOY, ECS):
        seconds, _ = playbook(sandbox, "provision.yml", extra_vars=stack_vars)
        print("provisioned %s (%s) in %.1fs" % (stack_vars["stack_name"], stack_vars["stack_release_backend"], seconds), flush=True)
    codedeploy_stack = Stack(clients)  # the one CODE_DEPLOY service
    native = NativeStack(clients, ECS["stack_name"])
    cd_configured, _name, _minutes = configured_wait_seconds(clients, codedeploy_stack, minute_seconds)
    ecs_configured, _minutes = native.configured_seconds(minute_seconds)
    ecs_alarms = native.description()["deploymentConfiguration"]["alarms"]["alarmNames"]

    with CountingProxy(sandbox) as proxy:
        results = {
            "CodeDeploy": measure(
                sandbox,
                clients,
                proxy,
                CODEDEPLOY,
                lambda tag: release_with_cli(proxy.endpoint, codedeploy_stack, tag),
                cd_configured,
                codedeploy_stack.alarm_names,
                listener_url(sandbox, load_balancer_name="cdb-alb", port=80),
                lambda: ListenerWatch(clients, codedeploy_stack, live_target_group(clients, codedeploy_stack)),
            ),
            "ECS": measure(
                sandbox,
                clients,
                proxy,
                ECS,
                lambda tag: ecs_release_with_cli(proxy.endpoint, native, tag),
                ecs_configured,
                ecs_alarms,
                listener_url(sandbox, load_balancer_name=native.load_balancer, port=80),
                lambda: RuleWatch(native),
            ),
        }

    def seconds(value):
        return "%.2f s" % value if value is not None else "n/a"

    rows = [("", "canary.ecs on CodeDeploy", "AWS CLI on CodeDeploy", "canary.ecs on ECS", "AWS CLI on ECS")]
    cd, native_figures = results["CodeDeploy"], results["ECS"]
    rows.append(("wall time of one release", seconds(cd["deploy"]), seconds(cd["cli"]), seconds(native_figures["deploy"]), seconds(native_figures["cli"])))
    rows.append(("configured shift + bake", seconds(cd["configured"]), seconds(cd["configured"]), seconds(ecs_configured), seconds(ecs_configured)))
    rows.append(
        (
            "overhead (wall - configured)",
            seconds(cd["deploy"] - cd["configured"]),
            seconds(cd["cli"] - cd["configured"]),
            seconds(native_figures["deploy"] - ecs_configured),
            seconds(native_figures["cli"] - ecs_configured),
        )
    )
    rows.append(
        (
            "AWS API calls of one release",
            str(sum(cd["deploy_calls"].values())),
            str(sum(cd["cli_calls"].values())),
            str(sum(native_figures["deploy_calls"].values())),
            str(sum(native_figures["cli_calls"].values())),
        )
    )
    rows.append(
        (
            "same tag again: time / calls",
            "%s / %d" % (seconds(cd["again"]), sum(cd["again_calls"].values())),
            "n/a",
            "%s / %d" % (seconds(native_figures["again"]), sum(native_figures["again_calls"].values())),
            "n/a",
        )
    )
    rows.append(("alarm ALARM -> last v4 response", seconds(cd["to_last_bad"]), "", seconds(native_figures["to_last_bad"]), ""))
    rows.append(("alarm ALARM -> traffic 100% on v2", seconds(cd["to_traffic_back"]), "", seconds(native_figures["to_traffic_back"]), ""))
    rows.append(
        (
            "failing release: time / calls",
            "%s / %d" % (seconds(cd["rollback"]), sum(cd["rollback_calls"].values())),
            "",
            "%s / %d" % (seconds(native_figures["rollback"]), sum(native_figures["rollback_calls"].values())),
            "",
        )
    )
    print()
    print_table(rows)
    for backend, figures in results.items():
        print()
        print("API calls per operation, one release with deploy.yml on %s:" % backend)
        for operation, count in sorted(figures["deploy_calls"].items(), key=lambda item: (-item[1], item[0])):
            print("  %4d  %s" % (count, operation))
        print("... and with the AWS CLI:")
        for operation, count in sorted(figures["cli_calls"].items(), key=lambda item: (-item[1], item[0])):
            print("  %4d  %s" % (count, operation))
    for stack_vars in (CODEDEPLOY, ECS):
        playbook(sandbox, "cleanup.yml", extra_vars=stack_vars)
    return 0


if __name__ == "__main__":
    sys.exit(main())
