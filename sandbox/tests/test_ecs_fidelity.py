"""ECS answers where moto differs from AWS, read back as the AWS CLI reads them."""

import datetime


def register(ecs, family):
    return ecs.register_task_definition(family=family, containerDefinitions=[{"name": "app", "image": "canary-app:v1", "memory": 128}])["taskDefinition"]


def test_a_task_definition_says_when_and_by_whom_it_was_registered(aws):
    ecs = aws("ecs")
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    registered = register(ecs, "fidelity")
    described = ecs.describe_task_definition(taskDefinition="fidelity:1")["taskDefinition"]
    for answer in (registered, described):
        assert before <= answer["registeredAt"] <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
        assert answer["registeredBy"] == "arn:aws:iam::123456789012:root"


def test_list_task_definitions_sorts_and_pages_as_aws_does(aws):
    ecs = aws("ecs")
    for _ in range(3):
        register(ecs, "fidelity")
    register(ecs, "another")
    first = ecs.list_task_definitions(familyPrefix="fidelity", sort="DESC", maxResults=2)
    assert [arn.rsplit(":", 1)[-1] for arn in first["taskDefinitionArns"]] == ["3", "2"] and first["nextToken"]
    rest = ecs.list_task_definitions(familyPrefix="fidelity", sort="DESC", maxResults=2, nextToken=first["nextToken"])
    assert [arn.rsplit(":", 1)[-1] for arn in rest["taskDefinitionArns"]] == ["1"] and "nextToken" not in rest
    every = [arn.rsplit("/", 1)[-1] for page in ecs.get_paginator("list_task_definitions").paginate() for arn in page["taskDefinitionArns"]]
    assert every == ["another:1", "fidelity:1", "fidelity:2", "fidelity:3"]  # by family, then revision
