# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ecs_fleet_release action plugin with a mocked _execute_module: starts, batched looks, halt, summary."""

import functools
from unittest.mock import MagicMock, patch

import pytest

from ansible_collections.canary.ecs.plugins.action import ecs_fleet_release as action
from ansible_collections.canary.ecs.tests.unit.plugins.action.test_ecs_deployment import PLAN, T0


def snap(deployment_id, status, share=None, error=None):
    return {
        "deployment_id": deployment_id,
        "status": status,
        "traffic_share": share,
        "task_sets": [],
        "lifecycle_events": [],
        "alarms": {"a-5xx": {"state": "ALARM" if error else "OK"}},
        "observed_at": T0,
        "create_time": T0,
        "error_code": error,
        "error_message": "Alarms a-5xx activated" if error else None,
        "rollback_message": "rolled back" if error else None,
    }


def started(deployment_id):
    return {
        "changed": True,
        "deployment_id": deployment_id,
        "plan": PLAN,
        "version": "v2",
        "alarm_names": ["a-5xx"],
        "observation": snap(deployment_id, "Created"),
    }


class Answers(object):
    """_execute_module by module name: the fleet info answers looks from `looks`; ecs_deployment runs from `runs`."""

    def __init__(self, runs, looks, services=None):
        self.runs, self.looks, self.services, self.calls = list(runs), list(looks), services, []

    def __call__(self, module_name=None, module_args=None, task_vars=None, wrap_async=False):
        self.calls.append(dict(module_args or {}, _module=module_name))
        if module_name == action.START_MODULE:
            return {"results": [self.runs.pop(0) for _item in module_args["releases"]]}
        if module_name == action.INFO_MODULE:
            if module_args.get("services"):
                return {"services": self.services or [dict(item, exists=True, deployment_controller="CODE_DEPLOY") for item in module_args["services"]]}
            observations = self.looks.pop(0)
            return {"observations": observations, "routes": {}, "api_calls": {"BatchGetDeployments": 1, "DescribeAlarms": 1}}
        return self.runs.pop(0)


def plugin(args, answers, check_mode=False):
    task = MagicMock(args=args, check_mode=check_mode, async_val=0)
    instance = action.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    instance._execute_module = answers
    return instance


@pytest.fixture
def said():
    lines = []
    with patch.object(action, "say", side_effect=lines.append), patch.object(action.single, "say", side_effect=lines.append):
        yield lines


def fleet_args(**extra):
    args = {"services": [{"cluster": "c", "service": "a"}, {"cluster": "c", "service": "b"}], "defaults": {"image_tag": "v2"}, "region": "us-east-1"}
    args.update(extra)
    return args


REAL_WATCH = action.watch


def run(instance, args):
    """The plugin's run, its watch loop on a fake clock (no real sleep)."""
    now = [T0]

    def sleep(seconds):
        now[0] += seconds

    instance._task.args = args
    with patch.object(action, "watch", functools.partial(REAL_WATCH, clock=lambda: now[0], sleep=sleep)):
        return instance.run(task_vars={})


def test_one_at_a_time_a_succeeded_release_then_one_already_live(said):
    answers = Answers(
        runs=[
            started("d-1"),
            {"changed": False, "status": "Live", "msg": "v2 is already live on ECS service b"},
        ],
        looks=[{"d-1": snap("d-1", "InProgress", 10.0)}, {"d-1": snap("d-1", "Succeeded", 100.0)}],
    )
    result = run(plugin({}, answers), fleet_args(max_in_flight=1))
    assert not result.get("failed"), result
    assert result["summary"]["succeeded"] == ["a"] and result["summary"]["already_live"] == ["b"]
    assert result["releases"]["a"]["status"] == "Succeeded" and result["releases"]["b"]["status"] == "Live"
    modules = [call["_module"] for call in answers.calls]
    # preflight, start a, two batched looks (the second has a's final full look), then b's start
    assert modules == [action.INFO_MODULE, action.START_MODULE, action.INFO_MODULE, action.INFO_MODULE, action.START_MODULE]
    assert answers.calls[1]["releases"] == [{"cluster": "c", "service": "a", "image_tag": "v2"}] and answers.calls[1]["region"] == "us-east-1"
    assert result["api_calls_per_look"] == [{"BatchGetDeployments": 1, "DescribeAlarms": 1}] * 2
    assert any(line.startswith("a d-1 canary | 10% on v2") for line in said)
    assert said[-1] == "Fleet of 2: 1 succeeded (a), 1 already live (b)."


def test_a_rollback_with_halt_roll_back_stops_the_release_in_flight_and_starts_nothing_more(said):
    args = fleet_args(halt="roll_back", max_in_flight=2)
    args["services"].append({"cluster": "c", "service": "z"})
    answers = Answers(
        runs=[
            started("d-1"),
            started("d-2"),
            {"changed": True, "stopped": ["d-2"], "msg": "Stopping deployment d-2 with rollback."},  # the fleet stops b
        ],
        looks=[
            {"d-1": snap("d-1", "Stopped", 0.0, error="ALARM_ACTIVE"), "d-2": snap("d-2", "InProgress", 10.0)},
            {"d-2": snap("d-2", "Stopped", 0.0, error="MANUAL_STOP")},
        ],
    )
    result = run(plugin({}, answers), args)
    assert result["failed"]
    assert [len(call["releases"]) for call in answers.calls if call["_module"] == action.START_MODULE] == [2]
    stop = answers.calls[3]
    assert (stop["state"], stop["rollback"], stop["service"]) == ("stopped", True, "b")
    summary = result["summary"]
    assert summary["rolled_back"] == ["a", "b"] and summary["not_started"] == ["z"] and summary["halted"] == "a rolled back"
    assert result["releases"]["z"]["status"] == "not started"
    assert not [call for call in answers.calls if call.get("service") == "z"]


def test_a_missing_service_starts_nothing_and_names_the_entry(said):
    services = [
        {"cluster": "c", "service": "a", "exists": True, "deployment_controller": "CODE_DEPLOY"},
        {"cluster": "c", "service": "b", "exists": False, "deployment_controller": None},
    ]
    answers = Answers(runs=[], looks=[], services=services)
    result = run(plugin({}, answers), fleet_args())
    assert result["failed"] and result["msg"] == "Nothing was started: services[1] (b): ECS service b does not exist in cluster c."
    assert [call["_module"] for call in answers.calls] == [action.INFO_MODULE]


def test_a_wrong_description_fails_before_any_call(said):
    answers = Answers(runs=[], looks=[])
    result = run(plugin({}, answers), fleet_args(max_in_flight="0"))
    assert result["failed"] and "max_in_flight must be 1 or more" in result["msg"] and answers.calls == []


def test_an_unknown_option_starts_nothing_and_aliases_of_the_connection_are_forwarded(said):
    answers = Answers(runs=[], looks=[])
    result = run(plugin({}, answers), fleet_args(max_inflight=2))
    assert result["failed"] and result["msg"].startswith("Nothing was started: unknown option(s) max_inflight;") and answers.calls == []
    args = fleet_args(aws_endpoint_url="http://127.0.0.1:1")
    del args["region"]
    args["aws_region"] = "eu-west-1"
    answers = Answers(runs=[], looks=[], services=[{"cluster": "c", "service": name, "exists": False, "deployment_controller": None} for name in "ab"])
    run(plugin({}, answers), args)
    assert (answers.calls[0]["region"], answers.calls[0]["endpoint_url"]) == ("eu-west-1", "http://127.0.0.1:1")
