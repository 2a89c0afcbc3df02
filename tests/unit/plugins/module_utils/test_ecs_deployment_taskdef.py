# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Task definition derivation: the live revision with one container's image and environment changed."""

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release import taskdef

LIVE = {
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/app:4",
    "family": "app",
    "revision": 4,
    "status": "ACTIVE",
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"}],
    "compatibilities": ["EC2", "FARGATE"],
    "registeredAt": "2026-11-26T05:00:00Z",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
    "volumes": [],
    "containerDefinitions": [
        {
            "name": "web",
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1",
            "essential": True,
            "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            "environment": [{"name": "MODE", "value": "prod"}, {"name": "COLOR", "value": "blue"}],
        },
        {"name": "sidecar", "image": "envoy:1.30", "essential": False},
    ],
}


@pytest.mark.parametrize(
    "reference, expected",
    [
        ("app:v2", ("app", "v2", None)),
        ("app", ("app", None, None)),
        ("registry.local:5000/team/app:v2", ("registry.local:5000/team/app", "v2", None)),
        ("registry.local:5000/team/app", ("registry.local:5000/team/app", None, None)),
        ("app@sha256:abc", ("app", None, "sha256:abc")),
        ("app:v2@sha256:abc", ("app", "v2", "sha256:abc")),
    ],
)
def test_split_image(reference, expected):
    assert taskdef.split_image(reference) == expected


def test_image_with_tag_keeps_registry_with_port_and_drops_digest():
    assert taskdef.image_with_tag("registry.local:5000/app:v1@sha256:abc", "v2") == "registry.local:5000/app:v2"


def test_ecr_repository_is_recognised_only_for_ecr_hosts():
    assert taskdef.ecr_repository("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v2") == ("123456789012", "eu-west-1", "team/app")
    assert taskdef.ecr_repository("docker.io/library/nginx:1") is None
    assert taskdef.ecr_repository("canary-app:v2") is None


def test_derive_replaces_image_and_drops_read_only_keys():
    desired = taskdef.derive(LIVE, "web", image="123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2")
    for key in ("taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt"):
        assert key not in desired
    assert desired["family"] == "app"
    assert desired["containerDefinitions"][0]["image"].endswith("/app:v2")
    # the other container and the live definition are untouched
    assert desired["containerDefinitions"][1] == LIVE["containerDefinitions"][1]
    assert LIVE["containerDefinitions"][0]["image"].endswith("/app:v1")


def test_environment_overrides_keep_order_and_append_new_names_sorted():
    desired = taskdef.derive(LIVE, "web", environment={"COLOR": "green", "ZED": 1, "ALPHA": None})
    assert desired["containerDefinitions"][0]["environment"] == [
        {"name": "MODE", "value": "prod"},
        {"name": "COLOR", "value": "green"},
        {"name": "ALPHA", "value": ""},
        {"name": "ZED", "value": "1"},
    ]


def test_secret_environment_joins_the_environment_and_a_name_in_both_is_refused():
    joined = taskdef.joined_environment({"COLOR": "green"}, {"API_TOKEN": "s3cret"})
    assert joined == {"COLOR": "green", "API_TOKEN": "s3cret"}
    assert taskdef.joined_environment(None, {"API_TOKEN": "s3cret"}) == {"API_TOKEN": "s3cret"}
    with pytest.raises(taskdef.TaskDefinitionError) as error:
        taskdef.joined_environment({"API_TOKEN": "a", "COLOR": "x"}, {"API_TOKEN": "b"})
    assert str(error.value) == "variable API_TOKEN given in both environment and secret_environment: set each variable in one of them."


def test_the_containers_secrets_are_carried_into_the_next_revision_as_they_are():
    secrets = [
        {"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"},
        {"name": "API_KEY", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key"},
    ]
    live = dict(LIVE, containerDefinitions=[dict(LIVE["containerDefinitions"][0], secrets=secrets), LIVE["containerDefinitions"][1]])
    desired = taskdef.derive(live, "web", image="123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2", environment={"COLOR": "green"})
    assert desired["containerDefinitions"][0]["secrets"] == secrets
    assert not taskdef.same_content(live, desired)


def test_unknown_container_names_the_ones_there():
    with pytest.raises(taskdef.TaskDefinitionError) as error:
        taskdef.derive(LIVE, "api", image="x:1")
    assert "'api'" in str(error.value) and "web, sidecar" in str(error.value) and "app:4" in str(error.value)


def test_same_content_ignores_read_only_keys_and_environment_order():
    registered = taskdef.registerable(LIVE)
    registered["containerDefinitions"][0]["environment"].reverse()
    assert taskdef.same_content(LIVE, registered)


def test_same_content_sees_a_new_image_or_environment_value():
    assert not taskdef.same_content(LIVE, taskdef.derive(LIVE, "web", image="app:v2"))
    assert not taskdef.same_content(LIVE, taskdef.derive(LIVE, "web", environment={"SANDBOX_FAILURE_RATE": "0.5"}))
    assert taskdef.same_content(LIVE, taskdef.derive(LIVE, "web", environment={"COLOR": "blue"}))


def test_same_content_tolerates_defaults_ecs_fills_in():
    desired = taskdef.derive(LIVE, "web", image="app:v2")
    described = dict(desired, revision=5, taskDefinitionArn="arn:...:task-definition/app:5", status="ACTIVE")
    described["containerDefinitions"] = [dict(c, cpu=0, mountPoints=[], volumesFrom=[]) for c in desired["containerDefinitions"]]
    assert taskdef.same_content(described, desired)


def test_full_definition_defaults_family_and_rejects_snake_case_keys():
    given = {"containerDefinitions": [{"name": "web", "image": "app:v9"}], "cpu": "256"}
    assert taskdef.from_full_definition(given, "app")["family"] == "app"
    with pytest.raises(taskdef.TaskDefinitionError) as error:
        taskdef.from_full_definition({"container_definitions": []}, "app")
    assert "container_definitions" in str(error.value)
    with pytest.raises(taskdef.TaskDefinitionError):
        taskdef.from_full_definition({"cpu": "256"}, "app")


def test_labels():
    assert taskdef.image_label("app:v2") == "v2"
    assert taskdef.image_label("app@sha256:0123456789abcdef0123") == "sha256:0123456789ab"
    assert taskdef.task_definition_label(LIVE) == "app:4"
    assert taskdef.arn_label(LIVE["taskDefinitionArn"]) == "app:4"


@pytest.mark.parametrize("tag", ["v 2", "", "-v2", ".v2", "v2/x", "v" * 129, "v2\n"])
def test_a_tag_docker_would_refuse_fails_naming_image_tag(tag):
    with pytest.raises(taskdef.TaskDefinitionError) as error:
        taskdef.image_with_tag("web:v1", tag)
    assert str(error.value).startswith("image_tag %r is not an image tag" % tag)


@pytest.mark.parametrize("tag", ["v2", "2026.12.02-rc_1", "V" * 128, "_x"])
def test_a_tag_docker_takes_is_kept(tag):
    assert taskdef.image_with_tag("host:5000/team/web:v1", tag) == "host:5000/team/web:" + tag


@pytest.mark.parametrize(
    "image, words",
    [
        ("nginx:v 2", "is not an image reference"),
        ("Nginx:v2", "lowercase repository"),
        ("nginx:-v2", "the tag of image"),
        ("nginx@sha256:abc", "64 hex digits"),
        ("", "is not an image reference"),
    ],
)
def test_an_image_docker_would_refuse_fails_naming_image(image, words):
    with pytest.raises(taskdef.TaskDefinitionError) as error:
        taskdef.derive(LIVE, "web", image=image or " ")
    assert words in str(error.value) and "image" in str(error.value)
