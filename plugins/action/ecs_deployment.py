# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of canary.ecs.ecs_deployment: progress lines while a release bakes.

A module cannot print while it runs, and a canary bakes for many minutes. So this plugin
runs the module once to start (or attach to, stop, continue) the deployment with
wait=false, then hands the module's watch loop (module_utils/_release/watch.py) a look
that runs the module once more (deployment_id, wait=false). This file only prints: a
line whenever the phase, traffic share or an alarm changes, and a heartbeat every few
looks. The final result and message are the module's own (outcome.finish). Check mode,
wait=false and async run the module once, as is. With the record option, the module writes the
run's record as it starts (or attaches to, stops, continues) the release, and the end of a
followed run is written by canary.ecs.release_record.
"""

import math
import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.canary.ecs.plugins.module_utils._record import build
from ansible_collections.canary.ecs.plugins.module_utils._release import observe, outcome, pacing, progress
from ansible_collections.canary.ecs.plugins.module_utils._release.plan import describe_plan
from ansible_collections.canary.ecs.plugins.module_utils._release.release import stopped_message, timed_out
from ansible_collections.canary.ecs.plugins.module_utils._release.watch import (
    DEFAULT_INTERVAL,
    DEFAULT_TIMEOUT,
    MAX_ERRORS,
    Gaps,
    LookFailed,
    WaitTimeout,
    watch,
)

display = Display()

MODULE = "canary.ecs.ecs_deployment"
RECORD_MODULE = "canary.ecs.release_record"
# The AWS connection options (amazon.aws.common.modules, region.modules) the record's writer shares with the release
CONNECTION = (
    "access_key",
    "secret_key",
    "session_token",
    "profile",
    "region",
    "endpoint_url",
    "validate_certs",
    "aws_ca_bundle",
    "aws_config",
    "debug_botocore_endpoint_logs",
)
# Options that only matter when a release starts; a look at a running deployment leaves them out.
START_ONLY = (
    "image",
    "image_tag",
    "task_definition",
    "environment",
    "secret_environment",
    "container",
    "deployment_config_name",
    "description",
    "rollback",
    "wait_type",
    "application_name",
    "deployment_group_name",
    "record",
    "pin_digest",
    "image_scan",
)
HEARTBEAT_LOOKS = 4  # print at least every this many looks, even when nothing changed
PREFIX = "  [ecs_deployment] "


class Printer(object):
    """The progress lines of one followed deployment: on change, and as a heartbeat."""

    def __init__(self, service, tracker, say):
        self.service = service
        self.tracker = tracker
        self.say = say
        self.looks_since_print = HEARTBEAT_LOOKS
        self.last_key = None

    def show(self, snap):
        first_look = self.tracker.last is None
        for event in self.tracker.observe(snap):
            # alarms are in every line; a separate line only when one changes (or starts in ALARM)
            # a plan step passed between two looks gets its line too: a person reading the run sees the 10% it had
            if (
                event["kind"] in ("rollback", "judge", "startup")
                or event.get("between_looks")
                or (event["kind"] == "alarm" and (not first_look or event["alarm_state"] == "ALARM"))
            ):
                self.say("%s   %s%s" % (self.service, event["message"], share_note(event)))
        key = (observe.phase(snap), snap.get("traffic_share"), tuple(sorted((name, alarm.get("state")) for name, alarm in (snap.get("alarms") or {}).items())))
        self.looks_since_print += 1
        if key != self.last_key or self.looks_since_print >= HEARTBEAT_LOOKS:
            self.say("%s %s" % (self.service, self.tracker.line(snap)))
            self.looks_since_print = 0
            self.last_key = key

    def look_failed(self, error, count):
        display.warning("%s: looking at the deployment failed (%d of %d allowed in a row): %s" % (self.service, count, MAX_ERRORS, error))


def _run_began(first):
    """When this run began, as the module's own write of its record named it (the end's write is the same run);
    now when the module wrote none."""
    runs = (first.get("release_record") or {}).get("runs") or []
    return runs[-1]["at"] if runs else observe.iso(time.time())


def share_note(event):
    if event.get("alarm_state") == "ALARM" and event.get("traffic_share") is not None:
        return " at %g%% traffic on the new version" % event["traffic_share"]
    return ""


def say(message):
    # stderr, like other progress output: stdout stays parseable for the json callback
    display.display(PREFIX + message, stderr=True)


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        if not self._steps_wanted(args):
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars, wrap_async=self._task.async_val))
        else:
            first = self._module(args, task_vars, wait=False)
            if first.get("failed") or first.get("skipped") or not first.get("deployment_id") or first.get("status") == "Live":
                result.update(first)
            else:
                # the module wrote the run's record as it started the release; the end of the run is written here
                result.update(self._follow(args, task_vars, first))
                self._record(args, result, task_vars, _run_began(first))
        return result

    def _record(self, args, result, task_vars, began):
        """The run's record at its end, written by canary.ecs.release_record (a failure to write it is a warning: the release happened)."""
        settings = args.get("record")
        if not settings or not result.get("deployment_id"):
            return
        record = build.from_release(args, result, began, change_ref=settings.get("change_ref"))
        module_args = dict((key, args[key]) for key in CONNECTION if key in args)
        module_args.update((key, value) for key, value in settings.items() if key != "change_ref" and value is not None)
        module_args["record"] = record
        written = self._execute_module(module_name=RECORD_MODULE, module_args=module_args, task_vars=task_vars)
        if written.get("failed"):
            result["release_record"] = record
            result["release_record_error"] = written.get("msg")
            display.warning("%s: the release record of %s could not be written: %s" % (args.get("service"), result["deployment_id"], written.get("msg")))
            return
        result["release_record"] = written["record"]
        if written.get("path"):
            result["release_record_path"] = written["path"]
            result["release_report_path"] = written.get("report_path")
            say(
                "%s record of %s: %s%s"
                % (
                    args.get("service"),
                    result["deployment_id"],
                    written["path"],
                    (", report: %s" % written["report_path"]) if written.get("report_path") else "",
                )
            )

    def _steps_wanted(self, args):
        """Step only when a wait is asked for and the module would really run it (no check mode, no async)."""
        if self._task.async_val or self._task.check_mode:
            return False
        return boolean(args.get("wait", True), strict=False)

    def _module(self, args, task_vars, **overrides):
        module_args = dict(args)
        module_args.update(overrides)
        return self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)

    def _follow(self, args, task_vars, first, clock=None, sleep=None):
        state = args.get("state") or "deployed"
        service = args.get("service")
        deployment_id = first["deployment_id"]
        label = first.get("version")
        release = ("the release of %s to %s" % (label, service)) if label else "deployment %s" % deployment_id
        if state == "stopped":
            say("%s stopping deployment %s%s" % (service, deployment_id, " and rolling back" if first.get("rollback") else ""))
        elif state == "continued":
            say("%s continued deployment %s (%s)" % (service, deployment_id, first.get("wait_type")))
        else:
            say(
                "%s %s deployment %s for %s%s"
                % (
                    service,
                    "attached to" if first.get("attached") else "started",
                    deployment_id,
                    release,
                    (": " + describe_plan(first["plan"])) if first.get("plan") else "",
                )
            )
        look_args = dict((key, value) for key, value in args.items() if key not in START_ONLY)
        look_args.update(state="deployed", deployment_id=deployment_id, wait=False)
        if first.get("backend"):
            look_args["backend"] = first["backend"]  # chosen once: a look need not describe the service again
        interval = max(1, int(args.get("poll_interval") or DEFAULT_INTERVAL))
        gaps, now = Gaps(), clock or time.time

        def look(kind):
            # each look is a module run of its own: the judge learns how far apart looks really come from here
            # the poll interval asked, or the longest real gap between looks so far when that is more
            seen = self._module(dict(look_args, look=kind, poll_interval=max(interval, int(math.ceil(gaps.looked(now()))))), task_vars)
            if seen.get("failed"):
                raise LookFailed(seen.get("msg"), seen)
            return seen["observation"]

        tracker = progress.Tracker(first.get("plan"), label)
        judged = boolean((args.get("judge") or {}).get("enabled", False), strict=False)
        looks = pacing.Looks(tracker, lambda: look("full"), lambda: look("glance"), judged, first=first.get("observation"))
        printer = Printer(service, tracker, say)
        wait_timeout = int(args.get("wait_timeout") or DEFAULT_TIMEOUT)
        timing = {} if clock is None else {"clock": clock, "sleep": sleep}
        try:
            snap = watch(
                looks,
                observe.is_terminal,
                wait_timeout,
                pacing.paced(tracker, interval, judged),
                first=first.get("observation"),
                on_look=printer.show,
                on_error=printer.look_failed,
                **timing,
            )
        except LookFailed as failure:
            return failure.result
        except WaitTimeout as timeout:
            ended = dict(first, failed=True)
            ended.update(timed_out(tracker, deployment_id, wait_timeout, timeout.snapshot))
            return ended
        ended, failed = outcome.finish(dict(first), tracker, snap, release, boolean(args.get("fail_on_rollback", True), strict=False))
        if state == "stopped":
            failed = False  # a stop that ended is what was asked for
            ended["msg"] = stopped_message(first.get("stopped") or [deployment_id], first.get("rollback"), ended)
        if failed:
            ended["failed"] = True
        say("%s %s" % (service, ended["msg"]))
        return ended
