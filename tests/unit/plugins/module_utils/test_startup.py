# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fast fail (startup.py): the replacement's tasks during Install, why they stopped, when the release is stopped."""

import datetime
from unittest.mock import MagicMock

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release import outcome, progress, startup
from ansible_collections.canary.ecs.plugins.module_utils._release.checked import Checked
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError

REVISION = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:7"
OLD = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:6"
GREEN_ID = "ecs-svc/1111"
CREATED = 1000.0


def at(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def installing(observed_at, running=0, desired=2, status="InProgress"):
    return {
        "deployment_id": "d-FAST",
        "status": status,
        "create_time": CREATED,
        "observed_at": observed_at,
        "target_id": "prod:web",
        "revision": REVISION,
        "traffic_share": 0.0,
        "lifecycle_events": [{"name": "BeforeInstall", "status": "Succeeded"}, {"name": "Install", "status": "InProgress", "start_time": CREATED + 2}],
        "task_sets": [
            {"label": "Blue", "identifier": "ecs-svc/0000", "running_count": 2, "desired_count": 2},
            {"label": "Green", "identifier": GREEN_ID, "running_count": running, "desired_count": desired},
        ],
    }


def crashed(started_by=GREEN_ID, revision=REVISION, created=CREATED + 10, exit_code=3):
    return {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/%s" % created,
        "startedBy": started_by,
        "taskDefinitionArn": revision,
        "createdAt": at(created),
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "containers": [{"name": "web", "exitCode": exit_code, "lastStatus": "STOPPED"}],
    }


PULL = {
    "startedBy": GREEN_ID,
    "taskDefinitionArn": REVISION,
    "createdAt": at(CREATED + 5),
    "stopCode": "TaskFailedToStart",
    "stoppedReason": "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found",
    "containers": [{"name": "web", "reason": "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"}],
}


def clients_with(tasks):
    ecs = MagicMock()
    ecs.list_tasks.return_value = {"taskArns": [task.get("taskArn", "t%d" % i) for i, task in enumerate(tasks)]}
    ecs.describe_tasks.return_value = {"tasks": tasks}
    return (lambda service: {"ecs": ecs}[service]), ecs


def test_settings_default_off_and_range():
    assert startup.settings(None) == 10.0 and startup.settings(0) == 0.0 and startup.settings(2.5) == 2.5
    for bad in (-1, 61):
        with pytest.raises(AnsibleCanaryECSError, match="fast_fail_minutes must be between 0 .off. and 60"):
            startup.settings(bad)


def test_reasons_are_as_specific_as_ecs_says():
    assert startup.reason_of(crashed()) == "Essential container in task exited (container web exit code 3)"
    assert startup.reason_of(PULL).startswith("CannotPullContainerError")
    health = {"stoppedReason": "Task failed ELB health checks in (target-group arn:x)", "containers": [{"name": "web"}]}
    assert startup.reason_of(health) == "Task failed ELB health checks in (target-group arn:x)"
    assert startup.reason_of({"stopCode": "SpotInterruption"}) == "SpotInterruption"


def test_only_this_releases_tasks_count():
    mine_by_set = crashed()
    mine_by_revision = crashed(started_by="ecs-svc/9999")
    earlier_release = crashed(started_by="ecs-svc/8888", revision=OLD)
    stale_same_revision = crashed(started_by="ecs-svc/7777", created=CREATED - 3600)
    found = startup.of_this_release([mine_by_set, mine_by_revision, earlier_release, stale_same_revision], GREEN_ID, REVISION, CREATED)
    assert found == [mine_by_set, mine_by_revision]


def test_no_calls_in_the_first_minute_nor_once_the_tasks_run():
    clients, ecs = clients_with([crashed()])
    backend = MagicMock()
    snap = startup.look(clients, backend, 10.0, installing(CREATED + 30), 60.0)
    assert snap["startup"]["stopped_count"] == 0 and not ecs.list_tasks.called
    assert "startup" not in startup.look(clients, backend, 10.0, installing(CREATED + 900, running=2), 60.0)
    assert "startup" not in startup.look(clients, backend, 10.0, installing(CREATED + 900, status="Stopped"), 60.0)
    assert "startup" not in startup.look(clients, backend, 0.0, installing(CREATED + 900), 60.0)
    assert not ecs.list_tasks.called and not backend.stop.called


def test_stopped_tasks_are_named_before_the_limit_and_the_release_stopped_at_it():
    clients, ecs = clients_with([crashed(created=CREATED + 10), crashed(created=CREATED + 40), PULL])
    backend = MagicMock()
    before = startup.look(clients, backend, 10.0, installing(CREATED + 120), 60.0)["startup"]
    assert (before["failed"], before["stopped_count"], before["running_count"], before["desired_count"]) == (False, 3, 0, 2)
    assert before["reasons"][0] == {"reason": "Essential container in task exited (container web exit code 3)", "count": 2}
    ecs.list_tasks.assert_called_with(aws_retry=True, cluster="prod", serviceName="web", desiredStatus="STOPPED", maxResults=100)
    assert not backend.stop.called
    after = startup.look(clients, backend, 10.0, installing(CREATED + 2 + 600), 60.0)["startup"]
    assert after["failed"] and after["stopped"] is backend.stop.return_value
    backend.stop.assert_called_once_with("d-FAST", True)
    assert startup.describe(after) == (
        "0 of 2 replacement tasks running after 10m00s; 3 stopped: Essential container in task exited (container web exit code 3) x2, "
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found x1"
    )


def test_the_finding_reaches_the_timeline_and_the_outcome():
    clients, _ecs = clients_with([crashed()])
    backend = MagicMock()
    backend.look.side_effect = [installing(CREATED + 120), installing(CREATED + 2 + 600)]
    checked = Checked(backend, [lambda snap: startup.look(clients, backend, 10.0, snap, 60.0)])
    tracker = progress.Tracker()
    for _look in range(2):
        tracker.observe(checked.look("d-FAST", "prod:web", []))
    kinds = [(event["kind"], event.get("failed")) for event in tracker.timeline if event["kind"] == "startup"]
    assert kinds == [("startup", False), ("startup", True)]
    assert "0/2 tasks running" in tracker.line(tracker.last)
    ended = installing(CREATED + 700, status="Stopped")
    ended.update(error_code="MANUAL_STOP", error_message="stopped", rollback_deployment_id="d-BACK", rollback_status="Succeeded")
    result = outcome.outcome(tracker, ended)
    assert result["rolled_back"] and result["startup"]["failed"]
    assert "did not all run within fast_fail_minutes (10): 0 of 2 replacement tasks running after 10m00s; 1 stopped: Essential container" in result["message"]
