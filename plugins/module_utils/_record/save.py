# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Writing one run's release record: who ran it, the metrics once it ended, merged with the record so
far, to the file, its report and the log stream. What canary.ecs.release_record does."""

import re

from ansible_collections.canary.ecs.plugins.module_utils._record import build, report, store
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import epoch
from ansible_collections.canary.ecs.plugins.module_utils.common import fail

# CloudWatch Logs' names: group 1-512 of [.-_/#A-Za-z0-9], stream 1-512 without ':' or '*'
_GROUP_RE = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
_STREAM_RE = re.compile(r"^[^:*]{1,512}$")
# S3's bucket names: 3-63 of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


DEFAULT_S3_PREFIX = "release-records/"


def store_options():
    """The argument spec of where and how records are kept: release_record's options, ecs_deployment's record suboptions."""
    return dict(
        directory=dict(type="path"),
        report=dict(type="bool", default=True),
        log_group=dict(type="str"),
        log_stream=dict(type="str"),
        s3_bucket=dict(type="str"),
        s3_prefix=dict(type="str", default=DEFAULT_S3_PREFIX),
        metrics=dict(type="bool", default=True),
    )


def check_settings(settings):
    """Fail on record settings that cannot work, naming the option, before anything is written (or released)."""
    if not settings.get("directory") and not settings.get("log_group") and not settings.get("s3_bucket"):
        fail(
            "record needs where to keep the records: record.directory (a directory of JSON files), record.log_group (a CloudWatch Logs "
            "group), record.s3_bucket (an S3 bucket), or more than one."
        )
    if settings.get("directory"):
        store.check_directory(settings["directory"])
    if settings.get("log_group") and not _GROUP_RE.match(settings["log_group"]):
        fail("record.log_group must be 1 to 512 of letters, digits and . - _ / #, got %r." % settings["log_group"])
    if settings.get("log_stream") and not _STREAM_RE.match(settings["log_stream"]):
        fail("record.log_stream must be 1 to 512 characters without : or *, got %r." % settings["log_stream"])
    if settings.get("s3_bucket") and not _BUCKET_RE.match(settings["s3_bucket"]):
        fail("record.s3_bucket must be an S3 bucket name (3 to 63 lowercase letters, digits, . and -), got %r." % settings["s3_bucket"])


def check_record(record):
    if not isinstance(record, dict) or record.get("schema") != build.SCHEMA or not record.get("deployment_id"):
        fail("record must be a release record (schema %s, with a deployment_id): the release_record returned by canary.ecs.ecs_deployment." % build.SCHEMA)


def _signed(record, who):
    """The run's (and its approval's) author: whoever's credentials wrote it."""
    signed = dict(record)
    signed["runs"] = [dict(run, by=run.get("by") or who) for run in record.get("runs") or []]
    signed["approvals"] = [dict(item, by=item.get("by") or who) for item in record.get("approvals") or []]
    return signed


def log_stream(settings, record):
    return settings.get("log_stream") or (record.get("service") or {}).get("service") or "releases"


def save(clients, settings, record, clock, check_mode):
    """Write the record; {changed, record, path, report_path, log_group, log_stream}.

    clock: (metric_time, real_time), the metrics' time axis and back.
    """
    check_settings(settings)
    check_record(record)
    record = _signed(record, store.caller_arn(clients("sts")))
    path = store.record_path(settings["directory"], record["deployment_id"]) if settings.get("directory") else None
    prefix = DEFAULT_S3_PREFIX if settings.get("s3_prefix") is None else settings["s3_prefix"]
    key = store.s3_key(prefix, record) if settings.get("s3_bucket") else None
    # the record so far: the file's, else (no directory) the S3 object's
    before = store.read(path) if path else (store.s3_read(clients("s3"), settings["s3_bucket"], key) if key else None)
    merged = build.merge(before, record)
    if settings.get("metrics", True) and merged.get("ended") and merged.get("created") and not merged.get("metrics"):
        merged["target_groups"] = store.target_groups(clients, merged)
        merged["metrics"] = store.traffic_metrics(clients, merged["target_groups"], epoch(merged["created"]), epoch(merged["ended"]), *clock)
    merged["summary"] = build.summary(merged)
    changed = before != merged
    result = {
        "changed": changed,
        "record": merged,
        "path": path,
        "report_path": None,
        "log_group": settings.get("log_group"),
        "log_stream": None,
        "s3_bucket": settings.get("s3_bucket"),
        "s3_key": key,
    }
    if path and settings.get("report", True):
        result["report_path"] = path[: -len(".json")] + ".html"
    if settings.get("log_group"):
        result["log_stream"] = log_stream(settings, merged)
    if check_mode or not changed:
        return result
    if path:
        try:
            store.write(path, store.dumps(merged))
            if result["report_path"]:
                store.write(result["report_path"], report.render(merged))
        except (IOError, OSError) as error:
            fail("The release record %s could not be written: %s. Free the disk or fix the directory's permissions." % (path, error))
    if settings.get("log_group"):
        store.append(clients("logs"), settings["log_group"], result["log_stream"], merged)
    if key:
        store.s3_write(clients("s3"), settings["s3_bucket"], key, merged)
    return result


def record_run(clients, args, result, at, clock):
    """ecs_deployment's own write of its run's record (args: the module's parameters), in the same process as the
    release, so an interrupted play still leaves who started what. Returns the result's record fields."""
    settings = dict(args["record"])
    record = build.from_release(args, result, at, change_ref=settings.pop("change_ref", None))
    written = save(clients, settings, record, clock, False)
    found = {"release_record": written["record"]}
    if written["path"]:
        found.update(release_record_path=written["path"], release_report_path=written["report_path"])
    return found
