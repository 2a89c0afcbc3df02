# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where release records live: one JSON file per deployment in a directory, and optionally the
durable copies: a CloudWatch Logs stream that every write appends the whole record to, and an
S3 object per release; who wrote it (STS); the per-minute requests and errors of both versions
for the report.
"""

import glob
import json
import os
import tempfile
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy import api as codedeploy_api
from ansible_collections.canary.ecs.plugins.module_utils._record import build
from ansible_collections.canary.ecs.plugins.module_utils._release import api
from ansible_collections.canary.ecs.plugins.module_utils._release.judging import alb_dimensions, utc
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import iso
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError, ErrorHandler, fail, paginate

ALB = "AWS/ApplicationELB"
# CloudWatch Logs takes events up to 256 KiB (with 26 bytes of overhead each)
MAX_EVENT_BYTES = 256 * 1024 - 26


class LogsErrorHandler(ErrorHandler):
    MISSING_CODES = ("ResourceNotFoundException",)


class STSErrorHandler(ErrorHandler):
    pass


class S3ErrorHandler(ErrorHandler):
    MISSING_CODES = ("NoSuchKey", "404")


# ---------------------------------------------------------------------------- files


def file_stem(deployment_id):
    """A deployment id as a file name: CodeDeploy's (d-...) as it is; an ECS service deployment's ARN
    (arn:...:service-deployment/cluster/service/ID) as ecs-ID, without its slashes and colons."""
    if deployment_id.startswith("arn:"):
        return "ecs-%s" % deployment_id.rsplit("/", 1)[-1]
    return deployment_id


def record_path(directory, deployment_id):
    return os.path.join(directory, "%s.json" % file_stem(deployment_id))


def check_directory(directory):
    """Fail before anything is released when the records cannot be written there."""
    if os.path.exists(directory) and not os.path.isdir(directory):
        fail("record.directory %s is a file, not a directory: name a directory for the release records." % directory)
    parent = directory
    while not os.path.exists(parent):
        parent = os.path.dirname(parent) or "."
    if not os.access(parent, os.W_OK | os.X_OK):
        fail("record.directory %s cannot be written (%s is not writable): name a directory the release may write." % (directory, parent))


def read(path):
    """A record file's content; None when there is none, or it is not a release record."""
    try:
        with open(path) as handle:
            found = json.load(handle)
    except (IOError, OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("schema") == build.SCHEMA else None


def write(path, content):
    """Replace the file at once (a reader never sees half a record); True when it changed."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory)
    try:
        with open(path) as handle:
            if handle.read() == content:
                return False
    except (IOError, OSError):
        pass
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".record-")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True


def dumps(record):
    return json.dumps(record, indent=2, sort_keys=True) + "\n"


def records(directory):
    """Every release record in the directory, oldest first."""
    found = [read(path) for path in glob.glob(os.path.join(directory, "*.json"))]
    return sorted([record for record in found if record], key=lambda record: record.get("created") or "")


# ---------------------------------------------------------------------------- AWS


@STSErrorHandler.common_error_handler("find out who runs the release (sts:GetCallerIdentity)")
def caller_arn(sts):
    return sts.get_caller_identity(aws_retry=True)["Arn"]


def _create_missing(logs, group, stream):
    for create, request in ((logs.create_log_group, {"logGroupName": group}), (logs.create_log_stream, {"logGroupName": group, "logStreamName": stream})):
        try:
            create(aws_retry=True, **request)
        except is_boto3_error_code("ResourceAlreadyExistsException"):
            pass


def _put(logs, group, stream, message):
    logs.put_log_events(aws_retry=True, logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": int(time.time() * 1000), "message": message}])


@LogsErrorHandler.common_error_handler("append the release record to its CloudWatch Logs stream")
def append(logs, group, stream, record):
    """Append the record (one JSON line) to the stream, creating the group and the stream when missing."""
    message = json.dumps(record, sort_keys=True)
    if len(message.encode("utf-8")) > MAX_EVENT_BYTES:
        # the timeline is the bulk of a long release; the file keeps it whole
        message = json.dumps(dict(record, timeline=[], timeline_left_out=len(record.get("timeline") or [])), sort_keys=True)
    try:
        _put(logs, group, stream, message)
    except is_boto3_error_code("ResourceNotFoundException"):
        _create_missing(logs, group, stream)
        _put(logs, group, stream, message)


@LogsErrorHandler.list_error_handler("read the release records of the log stream", default_value=[])
def logged(logs, group, stream):
    """The records appended to the stream, the newest write of each deployment, oldest first; none when
    the group or the stream does not exist (nothing was recorded there yet)."""
    latest = {}
    request = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    while True:
        response = logs.get_log_events(aws_retry=True, **request)
        for event in response.get("events") or []:
            try:
                record = json.loads(event["message"])
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("schema") == build.SCHEMA:
                latest[record.get("deployment_id")] = record
        token = response.get("nextForwardToken")
        if not response.get("events") or token == request.get("nextToken"):
            break
        request["nextToken"] = token
    return sorted(latest.values(), key=lambda record: record.get("created") or "")


def target_groups(clients, record):
    """{new, old} target group names of the release: what its task sets showed, the other one completed from the
    deployment group's pair (a finished release's last look no longer shows the task set that went away)."""
    found = dict(record.get("target_groups") or {})
    service = record.get("service") or {}
    known = [side for side in ("new", "old") if found.get(side)]
    if len(known) == 1 and service.get("application_name") and service.get("deployment_group_name"):
        group = codedeploy_api.get_deployment_group(clients("codedeploy"), service["application_name"], service["deployment_group_name"]) or {}
        other = "old" if known[0] == "new" else "new"
        for pair in (group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or []:
            names = [item.get("name") for item in pair.get("targetGroups") or []]
            if found[known[0]] in names:
                found[other] = ([name for name in names if name != found[known[0]]] or [None])[0]
    return found


def traffic_metrics(clients, target_groups, start, end, metric_time, real_time):
    """Per-minute requests and 5xx of the new and old versions between start and end (real epochs), in one
    GetMetricData call: {"new": [{at, seconds, requests, errors}], "old": [...]}; None when the target groups are gone."""
    names = dict((side, name) for side, name in (target_groups or {}).items() if name)
    if not names:
        return None
    try:
        described = dict((group["TargetGroupName"], group) for group in api.describe_target_groups(clients("elbv2"), sorted(set(names.values()))))
    except AnsibleCanaryECSError:
        return None  # the target groups are gone since (a stack cleaned up): the record goes without metrics
    series = {}
    for side, name in names.items():
        dimensions = alb_dimensions(described.get(name) or {})
        if dimensions:
            series[(side, "requests")] = (ALB, "RequestCount", dimensions, "Sum")
            series[(side, "errors")] = (ALB, "HTTPCode_Target_5XX_Count", dimensions, "Sum")
    if not series:
        return None
    first, last = metric_time(start), metric_time(end) + 60
    points = api.metric_points(clients("cloudwatch"), series, utc(first - first % 60), utc(last))
    found = {}
    for side in names:
        by_minute = {}
        for field in ("requests", "errors"):
            for at, value in points.get((side, field)) or []:
                if at is not None:
                    by_minute.setdefault(at, {"requests": 0, "errors": 0})[field] = int(value)
        # seconds: how long the minute lasted in real time (a sandbox minute is shorter)
        found[side] = [dict(at=iso(real_time(at)), seconds=round(real_time(at + 60) - real_time(at), 3), **by_minute[at]) for at in sorted(by_minute)]
    return found


# ---------------------------------------------------------------------------- S3


def s3_key(prefix, record):
    """<prefix><service>/<deployment id>.json: one object per release, replaced by each write (keep the bucket
    versioned to keep every write)."""
    return "%s%s/%s.json" % (prefix or "", (record.get("service") or {}).get("service") or "releases", file_stem(record["deployment_id"]))


@S3ErrorHandler.list_error_handler("read the release record from S3")
def s3_read(s3, bucket, key):
    """The record in the object; None when there is none (or it is not a release record)."""
    body = s3.get_object(aws_retry=True, Bucket=bucket, Key=key)["Body"].read()
    try:
        found = json.loads(body)
    except ValueError:
        return None
    return found if isinstance(found, dict) and found.get("schema") == build.SCHEMA else None


@S3ErrorHandler.common_error_handler("write the release record to S3")
def s3_write(s3, bucket, key, record):
    s3.put_object(aws_retry=True, Bucket=bucket, Key=key, Body=dumps(record).encode("utf-8"), ContentType="application/json")


@S3ErrorHandler.common_error_handler("list the release records in S3")
def s3_records(s3, bucket, prefix):
    """Every release record under the prefix, oldest first."""
    keys = [item["Key"] for item in paginate(s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix or "") if item["Key"].endswith(".json")]
    found = [s3_read(s3, bucket, key) for key in keys]
    return sorted([record for record in found if record], key=lambda record: record.get("created") or "")
