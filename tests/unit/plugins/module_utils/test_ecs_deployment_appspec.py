# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AppSpec building (from the live service) and reading back (from a deployment's revision)."""

import hashlib
import json

from ansible_collections.canary.ecs.plugins.module_utils._release import appspec

ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:5"
SERVICE = {
    "serviceName": "web",
    "platformVersion": "1.4.0",
    "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
    "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
}


def properties(spec):
    return spec["Resources"][0]["TargetService"]["Properties"]


def test_minimal_appspec():
    spec = appspec.build(ARN, "web", "80")
    assert spec["version"] == 0.0
    assert spec["Resources"][0]["TargetService"]["Type"] == "AWS::ECS::Service"
    assert properties(spec) == {"TaskDefinition": ARN, "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 80}}
    assert "Hooks" not in spec


def test_appspec_keeps_the_services_network_platform_and_capacity_providers():
    props = properties(appspec.build(ARN, "web", 80, SERVICE))
    assert props["NetworkConfiguration"] == {
        "AwsvpcConfiguration": {"Subnets": ["subnet-a", "subnet-b"], "SecurityGroups": ["sg-1"], "AssignPublicIp": "DISABLED"}
    }
    assert props["PlatformVersion"] == "1.4.0"
    assert props["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1, "Base": 0}]


def test_hooks_are_listed_in_a_stable_order():
    spec = appspec.build(ARN, "web", 80, hooks={"AfterAllowTestTraffic": "check", "BeforeInstall": "prepare"})
    assert spec["Hooks"] == [{"AfterAllowTestTraffic": "check"}, {"BeforeInstall": "prepare"}]


def test_revision_content_is_canonical_json_with_its_sha256():
    spec = appspec.build(ARN, "web", 80, SERVICE)
    revision = appspec.revision(spec)
    text = revision["appSpecContent"]["content"]
    assert revision["revisionType"] == "AppSpecContent"
    assert json.loads(text) == spec
    assert revision["appSpecContent"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    # the same release gives the same content (key order does not leak in)
    assert appspec.revision(json.loads(text)) == revision


def test_task_definition_is_read_back_from_json_and_yaml_revisions():
    deployment = {"revision": appspec.revision(appspec.build(ARN, "web", 80))}
    assert appspec.task_definition_of(deployment) == ARN
    yaml_text = (
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
        "        TaskDefinition: %s\n        LoadBalancerInfo:\n          ContainerName: web\n          ContainerPort: 80\n" % ARN
    )
    assert appspec.task_definition_of({"revision": {"appSpecContent": {"content": yaml_text}}}) == ARN
    assert appspec.task_definition_of({"revision": {"revisionType": "S3"}}) is None
    assert appspec.task_definition_of({}) is None
