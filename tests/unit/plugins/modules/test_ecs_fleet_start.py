# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ecs_fleet_start: each release checked as ecs_deployment checks it, started with shared clients, failing alone."""

from unittest.mock import MagicMock, patch

from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError
from ansible_collections.canary.ecs.plugins.modules import ecs_fleet_start


def fleet_module():
    module = MagicMock()
    module.params = {"releases": [], "region": "us-east-1", "endpoint_url": "http://127.0.0.1:1"}
    module.no_log_values = set()
    module.client.side_effect = lambda service, retry_decorator=None, **extra: object()
    return module


def test_each_release_gets_its_own_params_the_connection_and_shared_clients():
    module, seen = fleet_module(), []

    def run(release_module):
        seen.append(release_module)
        return {"changed": True, "deployment_id": "d-%d" % len(seen), "warnings": ["alarm x is not on the canary's side"]}, False

    clients = ecs_fleet_start.SharedClients(module)
    with patch.object(ecs_fleet_start, "run_recorded", side_effect=run):
        first = ecs_fleet_start.start_one(module, 0, {"cluster": "c", "service": "a", "image_tag": "v2", "secret_environment": {"TOKEN": "s3cr3t"}}, clients)
        second = ecs_fleet_start.start_one(module, 1, {"cluster": "c", "service": "b", "image_tag": 7}, clients)
    assert first["deployment_id"] == "d-1" and second["deployment_id"] == "d-2" and "warnings" not in first
    params = seen[0].params
    assert (params["wait"], params["state"], params["region"], params["endpoint_url"], params["poll_interval"]) == (
        False,
        "deployed",
        "us-east-1",
        "http://127.0.0.1:1",
        15,
    )
    assert seen[1].params["image_tag"] == "7" and "releases" not in seen[1].params
    assert "s3cr3t" in module.no_log_values
    assert seen[0].client("ecs") is seen[1].client("ecs") and module.client.call_count == 1
    module.warn.assert_any_call("a: alarm x is not on the canary's side")


def test_a_wrong_release_fails_alone_naming_it_and_the_option():
    module = fleet_module()
    with patch.object(ecs_fleet_start, "run_recorded") as run:
        unknown = ecs_fleet_start.start_one(module, 2, {"cluster": "c", "service": "a", "imagetag": "v2"}, ecs_fleet_start.SharedClients(module))
        both = ecs_fleet_start.start_one(module, 3, {"cluster": "c", "service": "a", "image": "x:1", "image_tag": "v2"}, ecs_fleet_start.SharedClients(module))
        nothing = ecs_fleet_start.start_one(module, 4, {"cluster": "c", "service": "a"}, ecs_fleet_start.SharedClients(module))
        stop = ecs_fleet_start.start_one(module, 5, {"cluster": "c", "service": "a", "state": "stopped"}, ecs_fleet_start.SharedClients(module))
        missing = ecs_fleet_start.start_one(module, 6, {"service": "a", "image_tag": "v2"}, ecs_fleet_start.SharedClients(module))
    assert unknown["failed"] and unknown["msg"].startswith("releases[2]: ") and "imagetag" in unknown["msg"]
    assert both["failed"] and "releases[3]" in both["msg"] and "image" in both["msg"] and "image_tag" in both["msg"]
    assert nothing["failed"] and nothing["msg"].startswith("releases[4]: state=deployed needs what to release")
    assert stop["failed"] and stop["msg"] == "releases[5]: only starts releases (state=deployed, no deployment_id)."
    assert missing["failed"] and "cluster" in missing["msg"]
    assert not run.called


def test_a_fleet_releases_through_codedeploy_only():
    module, seen = fleet_module(), []
    with patch.object(ecs_fleet_start, "run_recorded", side_effect=lambda release: (seen.append(release), ({"changed": True}, False))[1]):
        refused = ecs_fleet_start.start_one(
            module, 1, {"cluster": "c", "service": "a", "image_tag": "v2", "backend": "ecs"}, ecs_fleet_start.SharedClients(module)
        )
        ecs_fleet_start.start_one(module, 2, {"cluster": "c", "service": "b", "image_tag": "v2"}, ecs_fleet_start.SharedClients(module))
    assert refused["failed"] and refused["msg"].startswith("releases[1]: backend=ecs: a fleet releases through CodeDeploy only")
    assert [release.params["backend"] for release in seen] == ["codedeploy"]


def test_a_release_that_cannot_start_fails_with_its_message_and_the_next_still_starts():
    module = fleet_module()
    answers = [AnsibleCanaryECSError(message="ECS service a does not exist in cluster c."), ({"changed": True, "deployment_id": "d-2"}, False)]

    def run(release_module):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with patch.object(ecs_fleet_start, "run_recorded", side_effect=run):
        failed = ecs_fleet_start.start_one(module, 0, {"cluster": "c", "service": "a", "image_tag": "v2"}, ecs_fleet_start.SharedClients(module))
        started = ecs_fleet_start.start_one(module, 1, {"cluster": "c", "service": "b", "image_tag": "v2"}, ecs_fleet_start.SharedClients(module))
    assert failed == {"failed": True, "msg": "ECS service a does not exist in cluster c."}
    assert started["deployment_id"] == "d-2"
