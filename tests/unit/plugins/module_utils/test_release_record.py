# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The release record: built from a release's result, merged over runs, written, listed and drawn."""

import datetime
import json
import os
import re
from unittest.mock import MagicMock

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._record import build, report, save, store
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError

SECRET = "s3cr3t-token-value"
ARGS = {
    "cluster": "prod",
    "service": "web",
    "image_tag": "v3",
    "environment": {"LOG_LEVEL": "debug"},
    "secret_environment": {"API_TOKEN": SECRET},
    "description": "nightly",
}
CALLER = "arn:aws:iam::123456789012:user/releaser"
APPROVER = "arn:aws:iam::123456789012:user/approver"


def result(status="Stopped", rolled_back=True, timeline=None, **extra):
    found = {
        "deployment_id": "d-ABC",
        "status": status,
        "application_name": "app",
        "deployment_group_name": "dg",
        "deployment_config_name": "CodeDeployDefault.ECSCanary10Percent15Minutes",
        "container": "web",
        "image": "repo/web:v3",
        "version": "v3",
        "task_definition_arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8",
        "previous_task_definition_arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
        "live_task_definition_arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
        "observation": {
            "create_time": 1764655200.0,
            "complete_time": 1764655500.0,
            "task_sets": [{"label": "Blue", "target_group": "tg-blue"}, {"label": "Green", "target_group": "tg-green"}],
        },
        "timeline": timeline
        if timeline is not None
        else [
            {
                "kind": "status",
                "at": "2025-12-02T06:00:01.00Z",
                "epoch": 1.0,
                "message": "deployment d-ABC is InProgress",
                "status": "InProgress",
                "deployment_id": "d-ABC",
            },
            {"kind": "traffic", "at": "2025-12-02T06:01:00.00Z", "message": "10% of production traffic", "traffic_share": 10.0, "between_looks": True},
            {
                "kind": "alarm",
                "at": "2025-12-02T06:02:00.00Z",
                "message": "alarm web-5xx is ALARM",
                "alarm": "web-5xx",
                "alarm_state": "ALARM",
                "traffic_share": 10.0,
            },
            {
                "kind": "judge",
                "at": "2025-12-02T06:02:10.00Z",
                "message": "judge: fail; error rate 50.00% (5 of 10 requests)",
                "verdict": "fail",
                "traffic_share": 10.0,
            },
            {"kind": "traffic", "at": "2025-12-02T06:03:00.00Z", "message": "0% of production traffic", "traffic_share": 0.0},
            {"kind": "alarm", "at": "2025-12-02T06:04:00.00Z", "message": "alarm web-5xx is OK", "alarm": "web-5xx", "alarm_state": "OK"},
        ],
        "outcome": {
            "status": status,
            "succeeded": status == "Succeeded",
            "rolled_back": rolled_back,
            "alarm": "web-5xx",
            "message": "rolled back: alarm web-5xx (token %s)" % SECRET,
        },
        "msg": "The release of v3 to web was rolled back",
    }
    found.update(extra)
    return found


def test_a_record_says_what_changed_why_and_how_it_ended_and_holds_no_secret_value():
    record = build.from_release(ARGS, result(), "2025-12-02T06:05:00.00Z", change_ref="CHG-1234")
    assert record["schema"] == build.SCHEMA and record["deployment_id"] == "d-ABC" and record["backend"] == "codedeploy"
    assert record["service"] == {"cluster": "prod", "service": "web", "application_name": "app", "deployment_group_name": "dg"}
    assert record["change"] == {"change_ref": "CHG-1234", "description": "nightly"}
    assert record["release"]["task_definition_before"].endswith("web:7") and record["release"]["task_definition_after"].endswith("web:8")
    assert record["release"]["environment"] == {"LOG_LEVEL": "debug"} and record["release"]["secret_environment_names"] == ["API_TOKEN"]
    assert record["target_groups"] == {"new": "tg-green", "old": "tg-blue"}
    assert record["created"] == "2025-12-02T06:00:00.000Z" and record["ended"] == "2025-12-02T06:05:00.000Z"
    assert record["runs"] == [
        {"action": "started", "at": "2025-12-02T06:05:00.00Z", "by": None, "failed": False, "message": "The release of v3 to web was rolled back"}
    ]
    assert record["outcome"]["rollback_reason"].startswith("rolled back: alarm web-5xx")
    assert all("epoch" not in event and "deployment_id" not in event for event in record["timeline"])
    assert SECRET not in json.dumps(record) and build.MASK in record["outcome"]["message"]
    seen = build.views(record)
    assert [a["state"] for a in seen["alarms"]] == ["ALARM", "OK"] and seen["alarms"][0]["traffic_share"] == 10.0
    assert seen["verdicts"][0]["verdict"] == "fail" and "5 of 10 requests" in seen["verdicts"][0]["message"]
    assert [t["traffic_share"] for t in seen["traffic"]] == [10.0, 0.0]
    # a step no look saw keeps its mark: the record says it is the plan's moment, not a look's
    assert [event.get("between_looks") for event in record["timeline"] if event["kind"] == "traffic"] == [True, None]


@pytest.mark.parametrize(
    "args, extra, action",
    [
        ({"state": "continued"}, {}, build.APPROVED),
        ({"state": "stopped"}, {}, build.STOPPED),
        ({}, {"attached": True}, build.ATTACHED),
        ({"deployment_id": "d-ABC"}, {}, build.FOLLOWED),
        ({}, {}, build.STARTED),
    ],
)
def test_each_run_says_what_it_did(args, extra, action):
    record = build.from_release(dict(ARGS, **args), result(**extra), "2025-12-02T06:05:00.00Z")
    assert record["runs"][0]["action"] == action
    assert bool(record["approvals"]) == (action == build.APPROVED)


def test_the_runs_of_one_release_fold_into_one_record():
    # a start interrupted early, an approval by someone else, and the attach that saw the end
    early = build.from_release(
        ARGS, result(status="InProgress", rolled_back=False, timeline=result()["timeline"][:2], outcome=None), "2025-12-02T06:01:30.00Z", change_ref="CHG-1"
    )
    early = save._signed(early, CALLER)
    approval = save._signed(
        build.from_release(dict(ARGS, state="continued"), result(status="InProgress", timeline=[], outcome=None), "2025-12-02T06:01:40.00Z"), APPROVER
    )
    last = save._signed(build.from_release(ARGS, result(attached=True), "2025-12-02T06:05:00.00Z"), CALLER)
    merged = build.merge(build.merge(early, approval), last)
    assert [(run["action"], run["by"]) for run in merged["runs"]] == [("started", CALLER), ("approved", APPROVER), ("attached", CALLER)]
    assert merged["approvals"] == [{"at": "2025-12-02T06:01:40.00Z", "by": APPROVER, "wait_type": None}]
    assert len(merged["timeline"]) == 6  # the events both saw, once
    assert merged["change"]["change_ref"] == "CHG-1"  # the attach did not name it again: kept
    assert merged["status"] == "Stopped" and merged["outcome"]["rolled_back"]
    assert build.views(merged)["started_by"] == CALLER and build.views(merged)["approved_by"] == [APPROVER]
    # the same run written twice changes nothing
    assert build.merge(merged, last) == merged


class FakeClients:
    def __init__(self, caller=CALLER, groups=True):
        self.s3 = MagicMock()
        self.sts = MagicMock()
        self.sts.get_caller_identity.return_value = {"Arn": caller}
        self.logs = MagicMock()
        self.elbv2 = MagicMock()
        self.elbv2.describe_target_groups.return_value = {
            "TargetGroups": [
                {
                    "TargetGroupName": name,
                    "TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/%s/abc" % name,
                    "LoadBalancerArns": ["arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/alb/def"],
                }
                for name in ("tg-blue", "tg-green")
            ]
            if groups
            else []
        }
        self.cloudwatch = MagicMock()
        minute = datetime.datetime(2025, 12, 2, 6, 1, tzinfo=datetime.timezone.utc)

        def metric_data(MetricDataQueries, **_request):
            out = []
            for query in MetricDataQueries:
                name = query["MetricStat"]["Metric"]["MetricName"]
                group = query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
                value = {"RequestCount": 90.0 if "blue" in group else 10.0, "HTTPCode_Target_5XX_Count": 5.0 if "green" in group else 0.0}[name]
                out.append({"Id": query["Id"], "Timestamps": [minute], "Values": [value]})
            return {"MetricDataResults": out}

        self.cloudwatch.get_metric_data.side_effect = metric_data

    def __call__(self, service, region=None):
        return getattr(self, service)


IDENTITY = (lambda moment: moment, lambda stamp: stamp)


def test_save_writes_the_record_its_report_and_the_log_stream_once(tmp_path):
    clients = FakeClients()
    record = build.from_release(ARGS, result(), "2025-12-02T06:05:00.00Z", change_ref="CHG-1234")
    settings = {"directory": str(tmp_path / "records"), "report": True, "log_group": "/canary/releases", "log_stream": None, "metrics": True}
    # check mode: says what it would write, writes nothing
    found = save.save(clients, settings, record, IDENTITY, True)
    assert found["changed"] and not os.path.exists(found["path"]) and clients.logs.put_log_events.call_count == 0
    clients.cloudwatch.get_metric_data.reset_mock()
    found = save.save(clients, settings, record, IDENTITY, False)
    written = json.loads(open(found["path"]).read())
    assert found["path"].endswith("records/d-ABC.json") and written == found["record"]
    assert written["runs"][0]["by"] == CALLER and written["summary"]["started_by"] == CALLER
    assert written["metrics"] == {
        "new": [{"at": "2025-12-02T06:01:00.000Z", "seconds": 60, "requests": 10, "errors": 5}],
        "old": [{"at": "2025-12-02T06:01:00.000Z", "seconds": 60, "requests": 90, "errors": 0}],
    }
    assert clients.cloudwatch.get_metric_data.call_count == 1  # both versions, requests and errors: one call
    event = clients.logs.put_log_events.call_args.kwargs
    assert event["logGroupName"] == "/canary/releases" and event["logStreamName"] == "web"
    assert json.loads(event["logEvents"][0]["message"])["deployment_id"] == "d-ABC"
    assert SECRET not in open(found["path"]).read() and SECRET not in open(found["report_path"]).read()
    # the same run again: nothing changes, nothing is appended
    again = save.save(clients, settings, record, IDENTITY, False)
    assert not again["changed"] and clients.logs.put_log_events.call_count == 1
    assert store.records(settings["directory"]) == [written]


def test_an_s3_copy_alone_holds_the_record_so_far_that_each_run_merges_into():
    import io

    from botocore.exceptions import ClientError

    clients = FakeClients()
    objects = {}

    def get_object(Bucket, Key, **_retry):
        if Key not in objects:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}}, "GetObject")
        return {"Body": io.BytesIO(objects[Key])}

    clients.s3.get_object.side_effect = get_object
    clients.s3.put_object.side_effect = lambda Bucket, Key, Body, **_rest: objects.__setitem__(Key, Body)
    settings = {"s3_bucket": "audit-bucket", "s3_prefix": None, "metrics": False}
    started = build.from_release(ARGS, result(status="InProgress", outcome=None), "2025-12-02T06:00:00.000Z")
    found = save.save(clients, settings, started, IDENTITY, False)
    assert found["s3_key"] == "release-records/web/d-ABC.json" and found["path"] is None
    approved = save._signed(build.from_release(dict(ARGS, state="continued"), result(), "2025-12-02T06:01:00.000Z"), APPROVER)
    save.save(clients, settings, approved, IDENTITY, False)
    stored = json.loads(objects["release-records/web/d-ABC.json"])
    assert [(run["action"], run["by"]) for run in stored["runs"]] == [("started", CALLER), ("approved", APPROVER)]
    assert not save.save(clients, settings, approved, IDENTITY, False)["changed"] and clients.s3.put_object.call_count == 2


def test_a_missing_log_group_and_stream_are_created_then_appended_to(tmp_path):
    from botocore.exceptions import ClientError

    clients = FakeClients()
    missing = ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "The specified log group does not exist."}}, "PutLogEvents")
    clients.logs.put_log_events.side_effect = [missing, {}]
    store.append(clients.logs, "/canary/releases", "web", {"schema": build.SCHEMA, "deployment_id": "d-1"})
    assert clients.logs.create_log_group.call_args.kwargs["logGroupName"] == "/canary/releases"
    assert clients.logs.create_log_stream.call_args.kwargs == {"aws_retry": True, "logGroupName": "/canary/releases", "logStreamName": "web"}
    assert clients.logs.put_log_events.call_count == 2


@pytest.mark.parametrize(
    "settings, message",
    [
        ({}, "record needs where to keep the records: record.directory"),
        ({"log_group": "bad group!"}, "record.log_group must be 1 to 512"),
        ({"log_group": "/ok", "log_stream": "a:b"}, "record.log_stream must be 1 to 512 characters without : or *"),
        ({"s3_bucket": "Audit_Bucket"}, "record.s3_bucket must be an S3 bucket name"),
    ],
)
def test_bad_record_settings_fail_naming_the_option(settings, message):
    with pytest.raises(AnsibleCanaryECSError, match=re.escape(message)):
        save.check_settings(settings)


def test_a_directory_that_cannot_be_written_fails_before_anything(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises(AnsibleCanaryECSError, match="record.directory .* is a file"):
        save.check_settings({"directory": str(blocked)})
    with pytest.raises(AnsibleCanaryECSError, match="must be a release record"):
        save.save(FakeClients(), {"directory": str(tmp_path)}, {"deployment_id": "d-1"}, IDENTITY, False)


def test_a_file_that_cannot_be_written_is_an_error_naming_it(tmp_path, monkeypatch):
    def full(path, content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "write", full)
    record = build.from_release(ARGS, result(), "2025-12-02T06:05:00.00Z")
    with pytest.raises(AnsibleCanaryECSError, match="The release record .*d-ABC.json could not be written: .*No space left on device"):
        save.save(FakeClients(), {"directory": str(tmp_path), "metrics": False}, record, IDENTITY, False)


def test_the_report_draws_the_share_the_alarm_band_at_its_share_the_verdict_and_the_outcome():
    record = build.from_release(ARGS, result(), "2025-12-02T06:05:00.00Z", change_ref="CHG-1234")
    record = build.merge(record, save._signed(build.from_release(dict(ARGS, state="continued"), result(timeline=[]), "2025-12-02T06:01:30.00Z"), APPROVER))
    record["metrics"] = {
        "new": [{"at": "2025-12-02T06:01:00.00Z", "requests": 10, "errors": 5}],
        "old": [{"at": "2025-12-02T06:01:00.00Z", "requests": 90, "errors": 0}],
    }
    html = report.render(record)
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    bands = re.findall(r'<rect class="alarm-band" data-alarm="([^"]+)" data-traffic-share="([^"]+)"', html)
    assert bands == [("web-5xx", "10.0")]
    assert re.search(r'<path class="share" d="[^"]+" [^>]*data-shares="0,10,0,0"', html)
    assert re.findall(r'<circle class="verdict" data-verdict="([^"]+)"', html) == ["fail"]
    assert re.findall(r'<line class="approval" data-by="([^"]+)"', html) == [APPROVER]
    assert re.findall(r'data-outcome="([^"]+)"', html) == ["rolled back"]
    assert sorted(re.findall(r'class="bar (new|old) requests"[^>]*data-requests="(\d+)"', html)) == [("new", "10"), ("old", "90")]
    assert "CHG-1234" in html and SECRET not in html
