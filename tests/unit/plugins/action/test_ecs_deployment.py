# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ecs_deployment action plugin with a mocked _execute_module: progress lines, heartbeat, errors, timeout, async."""

from unittest.mock import MagicMock, patch

import pytest

from ansible_collections.canary.ecs.plugins.action import ecs_deployment as action

T0 = 1764655200.0
PLAN = {
    "type": "TimeBasedCanary",
    "steps": [{"share": 10.0, "minutes": 1.0}, {"share": 100.0, "minutes": 0}],
    "shift_minutes": 1.0,
    "termination_wait_minutes": 0,
    "wait_for_approval": False,
    "minute_seconds": 1.0,
}


def snap(status, share=None, alarm="OK", at=0.0):
    task_sets = []
    if share is not None:
        task_sets = [
            {"identifer": "ts-blue", "status": "PRIMARY", "traffic_weight": 100 - share, "task_set_label": "Blue"},
            {"identifer": "ts-green", "status": "ACTIVE", "traffic_weight": share, "task_set_label": "Green"},
        ]
    return {
        "deployment_id": "d-1",
        "status": status,
        "traffic_share": share,
        "task_sets": task_sets,
        "lifecycle_events": [],
        "alarms": {"web-5xx": {"state": alarm, "updated": T0 + at, "reason": ""}},
        "observed_at": T0 + at,
        "create_time": T0,
        "application_name": "app",
        "deployment_group_name": "dg",
        "error_code": "ALARM_ACTIVE" if status == "Stopped" else None,
        "error_message": "Alarms web-5xx activated" if status == "Stopped" else None,
    }


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def plugin(args, answers, check_mode=False, async_val=0):
    """An ActionModule whose _execute_module answers `answers` in turn, recording the args it was given."""
    task = MagicMock(args=args, check_mode=check_mode, async_val=async_val)
    task.name = "release"
    instance = action.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    calls = []

    def execute(module_name=None, module_args=None, task_vars=None, wrap_async=False):
        calls.append(dict(module_args or {}, _module=module_name, _async=wrap_async))
        return answers.pop(0)

    instance._execute_module = execute
    return instance, calls


@pytest.fixture
def said():
    lines = []
    with patch.object(action, "say", side_effect=lines.append), patch.object(action.display, "warning", side_effect=lambda m: lines.append("WARNING " + m)):
        yield lines


def started(**extra):
    return dict(
        {
            "changed": True,
            "deployment_id": "d-1",
            "version": "v2",
            "plan": PLAN,
            "observation": snap("InProgress", 0),
            "task_definition_arn": "td:2",
            "previous_task_definition_arn": "td:1",
        },
        **extra,
    )


def follow(instance, args, first):
    clock = Clock()
    return instance._follow(args, {}, first, clock=clock, sleep=clock.sleep)


ARGS = {"cluster": "c", "service": "web", "image_tag": "v2", "poll_interval": 1, "wait_timeout": 60}


def test_a_release_prints_on_change_and_returns_the_modules_outcome(said):
    looks = [{"observation": snap("InProgress", 10, at=1)}, {"observation": snap("InProgress", 10, at=2)}, {"observation": snap("Succeeded", 100, at=3)}]
    instance, calls = plugin(ARGS, looks)
    result = follow(instance, ARGS, started())
    assert result["outcome"]["succeeded"] and not result.get("failed")
    assert result["live_task_definition_arn"] == "td:2"
    # every look is the module once, with the deployment id and none of the start-only options
    assert all(call["deployment_id"] == "d-1" and call["wait"] is False and "image_tag" not in call for call in calls)
    assert len(calls) == 3
    lines = [line for line in said if line.startswith("web ")]
    assert lines[0].startswith("web started deployment d-1 for the release of v2 to web")
    progress_lines = [line for line in lines if " | " in line]
    # the first look, the change to 10% and the end print; the same share again does not (it is not yet a heartbeat)
    assert len(progress_lines) == 3, progress_lines
    assert "10% on v2" in progress_lines[1] and "succeeded" in progress_lines[2]
    assert lines[-1].startswith("web The release of v2 to web succeeded")


def test_a_step_passed_between_two_looks_gets_its_line(said):
    shifting = snap("InProgress", 0, at=1)
    shifting["lifecycle_events"] = [{"name": "AllowTraffic", "status": "InProgress", "start_time": T0 + 1}]
    ended = snap("Succeeded", 100, at=9)
    ended["lifecycle_events"] = [{"name": "AllowTraffic", "status": "Succeeded", "start_time": T0 + 1}]
    first = started()
    instance, _calls = plugin(ARGS, [{"observation": shifting}, {"observation": ended}])
    result = follow(instance, ARGS, first)
    assert result["outcome"]["succeeded"]
    # the 10% canary step (1 s on this plan) came and went between the two looks: the plan puts it in a line
    assert [line for line in said if "10% of production traffic" in line and "between two looks" in line], said


def test_an_alarm_fails_the_task_naming_it_and_the_share(said):
    looks = [
        {"observation": snap("InProgress", 10, at=1)},
        {"observation": snap("InProgress", 10, alarm="ALARM", at=2)},
        {"observation": snap("Stopped", 0, alarm="ALARM", at=3)},
    ]
    instance, _calls = plugin(ARGS, looks)
    result = follow(instance, ARGS, started())
    assert result["failed"]
    assert result["outcome"]["alarm"] == "web-5xx" and result["outcome"]["alarm_traffic_share"] == 10.0
    assert any("web-5xx" in line and "ALARM" in line for line in said)


def test_each_look_is_told_the_longest_real_gap_between_looks_so_the_judge_settles_in_time(said):
    looks = [{"observation": snap("InProgress", 10, at=at)} for at in (1, 2, 3, 4)] + [{"observation": snap("Succeeded", 100, at=5)}]
    instance, calls = plugin(ARGS, looks)
    clock = Clock()
    slow = [0, 0, 25, 0, 0]  # the third look's module run takes 25 s (a loaded controller)
    execute = instance._execute_module

    def slow_execute(**kwargs):
        clock.now += slow.pop(0)
        return execute(**kwargs)

    instance._execute_module = slow_execute
    instance._follow(ARGS, {}, started(), clock=clock, sleep=clock.sleep)
    # the poll interval asked (1 s) until a look came later than that; then the longest gap, rounded up
    assert [call["poll_interval"] for call in calls] == [1, 1, 1, 26, 26]


def test_a_heartbeat_line_comes_every_few_looks_when_nothing_changes(said):
    same = [{"observation": snap("InProgress", 10, at=n)} for n in range(1, 10)]
    instance, _calls = plugin(ARGS, same + [{"observation": snap("Succeeded", 100, at=10)}])
    follow(instance, ARGS, started())
    progress_lines = [line for line in said if " | " in line]
    # the first look, the change to 10%, a heartbeat every HEARTBEAT_LOOKS unchanged looks (8 of them: two), the end
    assert action.HEARTBEAT_LOOKS == 4
    assert len(progress_lines) == 5, progress_lines


def test_looks_that_fail_are_warned_about_then_ridden_out(said):
    looks = [{"failed": True, "msg": "Throttling"}, {"observation": snap("Succeeded", 100, at=2)}]
    instance, _calls = plugin(ARGS, looks)
    result = follow(instance, ARGS, started())
    assert result["outcome"]["succeeded"]
    assert any(line.startswith("WARNING web: looking at the deployment failed (1 of 3") for line in said)


def test_three_failed_looks_in_a_row_return_the_failure(said):
    looks = [{"failed": True, "msg": "AccessDenied %d" % n} for n in range(3)]
    instance, _calls = plugin(ARGS, looks)
    result = follow(instance, ARGS, started())
    assert result["failed"] and result["msg"] == "AccessDenied 2"


def test_the_wait_timeout_gives_up_saying_the_deployment_goes_on(said):
    args = dict(ARGS, wait_timeout=3)
    instance, _calls = plugin(args, [{"observation": snap("InProgress", 10, at=n)} for n in range(1, 10)])
    result = follow(instance, args, started())
    assert result["failed"] and "Gave up waiting for deployment d-1 after 3s" in result["msg"]
    assert result["observation"]["status"] == "InProgress" and result["timeline"]


def test_a_stop_that_ended_is_not_a_failure(said):
    args = {"cluster": "c", "service": "web", "state": "stopped", "poll_interval": 1}
    first = {"changed": True, "deployment_id": "d-1", "stopped": ["d-1"], "rollback": True, "observation": snap("InProgress", 10)}
    instance, _calls = plugin(args, [{"observation": snap("Stopped", 0, at=1)}])
    result = follow(instance, args, first)
    assert not result.get("failed") and result["msg"].startswith("Stopped deployment d-1 with rollback; it is Stopped.")


@pytest.mark.parametrize("how", [{"check_mode": True}, {"async_val": 30}])
def test_check_mode_and_async_run_the_module_once_as_is(how, said):
    answer = {"changed": True, "msg": "Would register"}
    instance, calls = plugin(ARGS, [answer], **how)
    with patch.object(action.ActionBase, "run", return_value={}):
        result = instance.run(task_vars={})
    assert result["msg"] == "Would register" and len(calls) == 1
    assert calls[0]["_async"] == how.get("async_val", 0) and "wait" not in calls[0]


def test_wait_false_and_a_live_version_run_the_module_once(said):
    instance, calls = plugin(ARGS, [{"changed": False, "status": "Live", "msg": "v2 is already live"}])
    with patch.object(action.ActionBase, "run", return_value={}):
        result = instance.run(task_vars={})
    assert result["status"] == "Live" and len(calls) == 1 and calls[0]["wait"] is False


RECORDED = dict(
    ARGS, secret_environment={"API_TOKEN": "s3cr3t"}, region="eu-west-1", record={"directory": "/srv/records", "change_ref": "CHG-7", "report": True}
)


def test_a_followed_release_writes_its_record_at_the_end_as_the_same_run_without_secret_values(said):
    looks = [{"observation": snap("InProgress", 10, at=1)}, {"observation": snap("Succeeded", 100, at=2)}]
    written = {"changed": True, "record": {"deployment_id": "d-1", "written": True}, "path": "/srv/records/d-1.json", "report_path": "/srv/records/d-1.html"}
    # the module wrote the start itself, naming the run by the moment it began
    first = started(msg="token s3cr3t", release_record={"runs": [{"action": "started", "at": "2025-12-02T06:00:00.000Z"}]})
    instance, calls = plugin(RECORDED, [first] + looks + [written])
    with patch.object(action.ActionBase, "run", return_value={}):
        result = instance.run(task_vars={})
    assert calls[0]["record"] == RECORDED["record"]  # the start: the module checks the settings and writes the start
    last_write = calls[-1]
    assert [call["_module"] for call in calls].count("canary.ecs.release_record") == 1 and last_write["_module"] == "canary.ecs.release_record"
    assert last_write["record"]["runs"][0]["at"] == "2025-12-02T06:00:00.000Z"  # the same run as the start's write
    assert last_write["directory"] == "/srv/records" and last_write["region"] == "eu-west-1"
    assert "change_ref" not in last_write and last_write["record"]["change"]["change_ref"] == "CHG-7"
    assert last_write["record"]["release"]["secret_environment_names"] == ["API_TOKEN"] and "s3cr3t" not in str(last_write)
    # the looks never carry the record option
    assert all("record" not in call for call in calls[1:-1])
    assert result["release_record"] == written["record"] and result["release_report_path"] == "/srv/records/d-1.html"
    assert [line for line in said if " record of " in line] == ["web record of d-1: /srv/records/d-1.json, report: /srv/records/d-1.html"]


def test_a_record_that_cannot_be_written_is_a_warning_not_a_failed_release(said):
    failed = {"failed": True, "msg": "disk full"}
    instance, _calls = plugin(RECORDED, [started(), {"observation": snap("Succeeded", 100, at=1)}, failed])
    with patch.object(action.ActionBase, "run", return_value={}):
        result = instance.run(task_vars={})
    assert not result.get("failed") and result["release_record_error"] == "disk full"
    warnings = [line for line in said if line.startswith("WARNING")]
    assert warnings == ["WARNING web: the release record of d-1 could not be written: disk full"]


@pytest.mark.parametrize("how", [{"check_mode": True}, {"async_val": 30}])
def test_check_mode_and_async_leave_the_record_to_the_module(how, said):
    instance, calls = plugin(RECORDED, [started()], **how)
    with patch.object(action.ActionBase, "run", return_value={}):
        instance.run(task_vars={})
    assert [call["_module"] for call in calls] == ["canary.ecs.ecs_deployment"]


def test_between_the_plans_changes_the_looks_are_glances_that_update_the_last_full_look(said):
    # 10% for 30 (one-second) minutes: once AllowTraffic began, the looks until the step's end are glances
    plan = dict(PLAN, steps=[{"share": 10.0, "minutes": 30.0}, {"share": 100.0, "minutes": 0}], shift_minutes=30.0)
    shifting = dict(snap("InProgress", 10), lifecycle_events=[{"name": "AllowTraffic", "status": "InProgress", "start_time": T0, "end_time": None}])
    glances = [
        {"observation": {"deployment_id": "d-1", "glance": True, "status": "InProgress", "traffic_share": 10.0, "observed_at": T0 + at}}
        # four poll intervals apart (the longest sleep), then half a second after the step's end
        for at in (4, 8, 12, 16, 20, 24, 28, 30.5)
    ]
    answers = glances + [{"observation": snap("Succeeded", 100, at=31.5)}]
    instance, calls = plugin(ARGS, answers)
    result = follow(instance, ARGS, started(plan=plan, observation=shifting))
    assert result["outcome"]["succeeded"] and not answers
    # glances while nothing is due, a full look once the step's end is due and not seen yet
    assert [call["look"] for call in calls] == ["glance"] * len(glances) + ["full"]
    # a glance keeps the last full look's alarms: the lines do not lose them
    assert all("alarms: web-5xx=OK" in line for line in said if " | " in line), said
