# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of canary.ecs.ecs_deployment: progress lines while a release bakes.

A module cannot print while it runs, and a canary bakes for many minutes. So this plugin
runs the module in short steps: once to start (or attach to, stop, continue) the
deployment with wait=false, then once per poll_interval to look at it (deployment_id,
wait=false: three API calls per look). It prints a line whenever the phase, traffic
share or an alarm changes (and a heartbeat every few polls), and finally returns the
module's result completed with the timeline it saw, failing a rolled-back release
just as the module would. Check mode, wait=false and async run the module once, as is.
"""

import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_progress as progress

display = Display()

MODULE = "canary.ecs.ecs_deployment"
# Options that only matter when a release starts; a look at a running deployment leaves them out.
START_ONLY = ("image", "image_tag", "task_definition", "environment", "container", "deployment_config_name", "description",
              "rollback", "wait_type", "application_name", "deployment_group_name")
HEARTBEAT_POLLS = 4  # print at least every this many looks, even when nothing changed
MAX_POLL_ERRORS = 3  # consecutive failed looks before giving up


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        first = self._module(args, task_vars, wait=False) if self._steps_wanted(args) else None
        if first is None:
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars, wrap_async=self._task.async_val))
            return result
        if first.get("failed") or not first.get("deployment_id") or first.get("status") == "Live" or first.get("skipped"):
            result.update(first)
            return result
        result.update(self._follow(args, task_vars, first))
        return result

    def _steps_wanted(self, args):
        """Step only when a wait is asked for and the module would really run it (no check mode, no async)."""
        if self._task.async_val or self._task.check_mode:
            return False
        return boolean(args.get("wait", True), strict=False)

    def _module(self, args, task_vars, **overrides):
        module_args = dict(args)
        module_args.update(overrides)
        return self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)

    def _follow(self, args, task_vars, first):
        state = args.get("state") or "deployed"
        service = args.get("service")
        poll_interval = max(1, int(args.get("poll_interval") or 15))
        wait_timeout = int(args.get("wait_timeout") or 3600)
        deadline = time.time() + wait_timeout
        deployment_id = first["deployment_id"]
        label = first.get("version")
        tracker = progress.Tracker(first.get("plan"), label)
        release = ("the release of %s to %s" % (label, service)) if label else "deployment %s" % deployment_id
        if state == "stopped":
            self._say("%s stopping deployment %s%s" % (service, deployment_id, " and rolling back" if first.get("rollback") else ""))
        elif state == "continued":
            self._say("%s continued deployment %s (%s)" % (service, deployment_id, first.get("wait_type")))
        else:
            self._say("%s %s deployment %s for %s%s" % (service, "attached to" if first.get("attached") else "started", deployment_id, release,
                                                        (": " + progress.describe_plan(first["plan"])) if first.get("plan") else ""))
        look_args = dict((key, value) for key, value in args.items() if key not in START_ONLY)
        look_args.update(state="deployed", deployment_id=deployment_id, alarm_names=first.get("alarm_names") or [], wait=False)

        snap = first.get("observation")
        polls_since_print = HEARTBEAT_POLLS
        errors = 0
        last_key = None
        for _look in range(int(wait_timeout / poll_interval) + 2):
            if snap is not None:
                first_look = tracker.last is None
                for event in tracker.observe(snap):
                    # alarms are in every line; a separate line only when one changes (or starts in ALARM)
                    if event["kind"] == "rollback" or (event["kind"] == "alarm" and (not first_look or event["alarm_state"] == "ALARM")):
                        self._say("%s   %s%s" % (service, event["message"], self._share_note(event)))
                key = (progress.phase(snap), snap.get("traffic_share"),
                       tuple(sorted((name, alarm.get("state")) for name, alarm in (snap.get("alarms") or {}).items())))
                if key != last_key or polls_since_print >= HEARTBEAT_POLLS:
                    self._say("%s %s" % (service, tracker.line(snap)))
                    polls_since_print = 0
                    last_key = key
                if progress.is_terminal(snap):
                    return self._final(args, first, tracker, snap, release)
            if time.time() + poll_interval > deadline:
                break
            time.sleep(poll_interval)
            polls_since_print += 1
            look = self._module(look_args, task_vars)
            if look.get("failed"):
                errors += 1
                display.warning("%s: looking at deployment %s failed (%d/%d): %s" % (service, deployment_id, errors, MAX_POLL_ERRORS, look.get("msg")))
                if errors >= MAX_POLL_ERRORS:
                    return look
                continue
            errors = 0
            snap = look.get("observation")
        first = dict(first)
        first.update(failed=True, timeline=tracker.public_timeline(), observation=snap, progress=tracker.progress(snap) if snap else None,
                     msg=progress.timeout_message(deployment_id, wait_timeout, snap))
        return first

    @staticmethod
    def _share_note(event):
        if event.get("alarm_state") == "ALARM" and event.get("traffic_share") is not None:
            return " at %g%% traffic on the new version" % event["traffic_share"]
        return ""

    def _final(self, args, first, tracker, snap, release):
        result, failed = progress.finish(dict(first), tracker, snap, release, boolean(args.get("fail_on_rollback", True), strict=False))
        if (args.get("state") or "deployed") == "stopped":
            failed = False  # a stop that ended is what was asked for
            result["msg"] = "Stopped deployment %s; it is %s. %s" % (snap.get("deployment_id"), snap.get("status"), result["msg"])
        if failed:
            result["failed"] = True
        self._say("%s %s" % (args.get("service"), result["msg"]))
        return result

    @staticmethod
    def _say(message):
        # stderr, like other progress output: stdout stays parseable for the json callback
        display.display("  [ecs_deployment] %s" % message, stderr=True)
