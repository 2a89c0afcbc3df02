# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of canary.ecs.ecs_fleet_release: many releases, one watcher.

1. the fleet description is checked whole (_fleet/spec.py), and every service is looked up
   in one batched read (canary.ecs.ecs_fleet_info): nothing starts unless all of it is right;
2. releases start as the schedule allows (_fleet/policy.py: first wave, max in flight, halt),
   each through canary.ecs.ecs_deployment with wait=false (so preflight, image gate, attach to
   the same release in flight, "already live" and the record are a single release's);
3. one look at every release in flight per loop (ecs_fleet_info: batched reads), paced by the
   nearest plan change of any of them (pacing.next_look); a line when a service changes phase,
   share or alarm state, and a table every few looks;
4. a release that ended gets one full look (ecs_deployment, deployment_id) and its result is
   a single release's (outcome.finish), record included; a bad end applies the halt policy.
"""

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec

from ansible_collections.canary.ecs.plugins.action import ecs_deployment as single
from ansible_collections.canary.ecs.plugins.module_utils._fleet import policy, spec, table
from ansible_collections.canary.ecs.plugins.module_utils._release import observe, outcome, pacing, progress
from ansible_collections.canary.ecs.plugins.module_utils._release.plan import describe_plan
from ansible_collections.canary.ecs.plugins.module_utils._release.release import timed_out
from ansible_collections.canary.ecs.plugins.module_utils._release.watch import DEFAULT_INTERVAL, MAX_ERRORS, LookFailed, WaitTimeout, watch
from ansible_collections.canary.ecs.plugins.modules.ecs_fleet_release import ARGUMENT_SPEC

INFO_MODULE = "canary.ecs.ecs_fleet_info"
START_MODULE = "canary.ecs.ecs_fleet_start"
TABLE_LOOKS = 4  # the table is printed at least every this many looks
PREFIX = "  [fleet] "
FLEET_TIMEOUT = 7200


def say(message):
    single.display.display(PREFIX + message, stderr=True)


class Release(object):
    """One release of the fleet being followed: what its start returned, its tracker and its last look."""

    def __init__(self, entry, first):
        self.entry = entry
        self.first = first
        self.tracker = progress.Tracker(first.get("plan"), first.get("version"))
        self.route = {}
        self.last = None
        self.shift_start = None  # when the shift began, as the looks bound it (a batched look has no lifecycle events)
        self.key = None
        self.stopped_by_fleet = False

    def request(self):
        item = {"deployment_id": self.first["deployment_id"], "cluster": self.entry.args["cluster"], "service": self.entry.args["service"]}
        item["alarm_names"] = list(self.first.get("alarm_names") or [])
        item.update((key, value) for key, value in self.route.items() if value)
        return item

    def observe(self, snap):
        """The tracker's view of a batched look; the shift's start is the last look before the one that saw traffic move."""
        if self.shift_start is None and ((snap.get("traffic_share") or 0) > 0 or snap.get("status") in observe.TERMINAL):
            self.shift_start = (self.last or snap).get("observed_at")
        if self.shift_start is not None and not snap.get("lifecycle_events"):
            snap = dict(snap, lifecycle_events=[{"name": "AllowTraffic", "status": "InProgress", "start_time": self.shift_start, "end_time": None}])
        events = self.tracker.observe(snap)
        self.last = snap
        return events


class ActionModule(single.ActionModule):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(single.ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        self._connection_args, unknown = _connection(args)
        if unknown:
            return dict(
                result,
                failed=True,
                msg="Nothing was started: unknown option(s) %s; ecs_fleet_release takes %s and the AWS connection options."
                % (", ".join(unknown), ", ".join(sorted(ARGUMENT_SPEC))),
            )
        try:
            first_wave = args.get("first_wave")
            if isinstance(first_wave, str) and first_wave.strip().isdigit():
                first_wave = int(first_wave)  # -e fleet_first_wave=1 is a string
            fleet = spec.parse(args.get("services"), args.get("defaults") or {}, first_wave, _int(args.get("max_in_flight")), args.get("halt") or "stop")
        except spec.FleetError as error:
            return dict(result, failed=True, msg="Nothing was started: %s" % error)
        problem = self._preflight(fleet, task_vars)
        if problem:
            return dict(result, failed=True, msg="Nothing was started: %s" % problem)
        if self._task.check_mode:
            return dict(result, **self._check_mode(fleet, task_vars))
        result.update(self._release(fleet, args, task_vars))
        return result

    # ------------------------------------------------------------------ before anything starts

    def _info(self, task_vars, **args):
        found = self._execute_module(module_name=INFO_MODULE, module_args=dict(self._connection_args, **args), task_vars=task_vars)
        if found.get("failed"):
            raise LookFailed(found.get("msg"), found)
        return found

    def _preflight(self, fleet, task_vars):
        """A message naming every entry whose service does not exist or is not released through CodeDeploy; None when all are."""
        try:
            found = self._info(task_vars, services=[{"cluster": entry.args["cluster"], "service": entry.args["service"]} for entry in fleet.entries])
        except LookFailed as failure:
            return "the fleet's services could not be read: %s" % failure
        problems = []
        for index, entry in enumerate(fleet.entries):
            service = found["services"][index]
            where = "services[%d] (%s)" % (entry.index, entry.name)
            if not service["exists"]:
                problems.append("%s: ECS service %s does not exist in cluster %s." % (where, service["service"], service["cluster"]))
            elif service["deployment_controller"] != "CODE_DEPLOY":
                problems.append(
                    "%s: ECS service %s in cluster %s uses the %s deployment controller; a canary release needs CODE_DEPLOY"
                    " (provision it with playbooks/provision.yml)." % (where, service["service"], service["cluster"], service["deployment_controller"])
                )
        return " ".join(problems) or None

    def _check_mode(self, fleet, task_vars):
        """What each release would do (ecs_deployment in check mode), in the fleet's order."""
        results = self._start_modules(fleet.entries, task_vars)
        releases = dict((entry.name, result) for entry, result in zip(fleet.entries, results, strict=True))
        failed = ["%s: %s" % (name, item.get("msg")) for name, item in releases.items() if item.get("failed")]
        changed = sum(1 for item in releases.values() if item.get("changed"))
        msg = ("Would not start: " + " ".join(failed)) if failed else "Would release %d services (%d would change)." % (len(fleet.entries), changed)
        return {"changed": bool(changed), "failed": bool(failed), "releases": releases, "msg": msg}

    def _start_modules(self, entries, task_vars):
        """Each entry's ecs_deployment result (wait=false), all started in one module run (ecs_fleet_start)."""
        started = self._execute_module(
            module_name=START_MODULE, module_args=dict(self._connection_args, releases=[entry.args for entry in entries]), task_vars=task_vars
        )
        if started.get("failed"):
            return [{"failed": True, "msg": started.get("msg")} for _entry in entries]
        return started["results"]

    # ------------------------------------------------------------------ the release

    def _release(self, fleet, args, task_vars, clock=None, sleep=None):
        self._fleet, self._task_vars = fleet, task_vars
        self._schedule = policy.Schedule(fleet)
        self._running, self._results, self._looks, self._calls = {}, {}, 0, []
        self._fail_on_rollback = boolean((args.get("defaults") or {}).get("fail_on_rollback", True), strict=False)
        self._poll = max(1, int(args.get("poll_interval") or (args.get("defaults") or {}).get("poll_interval") or DEFAULT_INTERVAL))
        wait_timeout = int(args.get("wait_timeout") or FLEET_TIMEOUT)
        say(
            "releasing %d services%s, at most %d at once, halt policy: %s"
            % (
                len(fleet.entries),
                (", first wave: %s" % ", ".join(fleet.first_wave)) if fleet.first_wave else "",
                fleet.max_in_flight,
                fleet.halt,
            )
        )
        self._start_what_can()
        timing = {} if clock is None else {"clock": clock, "sleep": sleep}
        try:
            if not self._schedule.done():
                watch(self._look, lambda _seen: self._schedule.done(), wait_timeout, self._interval, on_error=self._look_failed, **timing)
        except LookFailed as failure:
            self._give_up("looking at the fleet failed %d times in a row: %s" % (MAX_ERRORS, failure))
        except WaitTimeout:
            self._give_up(None, wait_timeout)
        self._schedule.close()
        self._print_table()
        summary = self._schedule.summary()
        message = table.summary_message(summary, len(fleet.entries))
        say(message)
        bad = summary["failed"] + (summary["rolled_back"] if self._fail_on_rollback else [])
        return {
            "changed": any(item.get("changed") for item in self._results.values()),
            "failed": bool(bad),
            "releases": dict(
                (entry.name, self._results.get(entry.name, {"status": "not started", "msg": summary["reasons"].get(entry.name)})) for entry in fleet.entries
            ),
            "summary": summary,
            "api_calls_per_look": self._calls,
            "msg": message,
        }

    def _start_what_can(self):
        names = self._schedule.startable()
        entries = [next(item for item in self._fleet.entries if item.name == name) for name in names]
        results = list(zip(entries, self._start_modules(entries, self._task_vars) if entries else [], strict=True))
        # those that started count as in flight before a failure among them applies the halt policy
        for entry, first in results:
            if not first.get("failed") and first.get("deployment_id") and first.get("status") != "Live":
                self._schedule.started(entry.name)
                self._running[entry.name] = Release(entry, first)
                say(
                    "%s %s deployment %s for %s%s"
                    % (
                        entry.name,
                        "attached to" if first.get("attached") else "started",
                        first["deployment_id"],
                        first.get("version") or "the new revision",
                        (": " + describe_plan(first["plan"])) if first.get("plan") else "",
                    )
                )
        for entry, first in results:
            if entry.name in self._running:
                continue
            self._results[entry.name] = first
            if first.get("failed"):
                say("%s could not start: %s" % (entry.name, first.get("msg")))
                self._ended(entry.name, policy.FAILED, first.get("msg"))
            else:
                say("%s %s" % (entry.name, first.get("msg")))
                self._ended(entry.name, policy.LIVE)

    def _look(self):
        """One batched look at every release in flight; ended ones are finished; then what may start, starts."""
        running = [self._running[name] for name in self._schedule.in_flight()]
        if running:
            found = self._info(self._task_vars, releases=[release.request() for release in running])
            self._calls.append(found.get("api_calls") or {})
            self._looks += 1
            for release in running:
                release.route = found["routes"].get(release.first["deployment_id"]) or release.route
                snap = found["observations"].get(release.first["deployment_id"])
                if snap is None:
                    continue
                self._show(release, snap)
                if observe.is_terminal(snap):
                    self._finish(release)
            if self._looks % TABLE_LOOKS == 0:
                self._print_table()
        self._start_what_can()
        return {}

    def _show(self, release, snap):
        name = release.entry.name
        first_look = release.last is None
        for event in release.observe(snap):
            if (
                event["kind"] in ("rollback",)
                or event.get("between_looks")
                or (event["kind"] == "alarm" and (not first_look or event["alarm_state"] == "ALARM"))
            ):
                say("%s   %s%s" % (name, event["message"], single.share_note(event)))
        key = (observe.phase(snap), snap.get("traffic_share"), tuple(sorted((alarm, item.get("state")) for alarm, item in (snap.get("alarms") or {}).items())))
        if key != release.key:
            say("%s %s" % (name, release.tracker.line(release.last)))
            release.key = key

    def _finish(self, release):
        """The release ended: its result from its final full look (a single release's), then the halt policy."""
        name, first = release.entry.name, release.first
        label = first.get("version")
        what = ("the release of %s to %s" % (label, release.entry.args["service"])) if label else "deployment %s" % first["deployment_id"]
        ended, failed = outcome.finish(dict(first), release.tracker, release.last, what, self._fail_on_rollback)
        if failed:
            ended["failed"] = True
        self._record(dict(release.entry.args, **self._connection_args), ended, self._task_vars, single._run_began(first))
        self._results[name] = ended
        say("%s %s" % (name, ended["msg"]))
        result = ended["outcome"]
        if result["succeeded"]:
            state = policy.SUCCEEDED
        elif release.stopped_by_fleet:
            state = policy.STOPPED
        else:
            state = policy.ROLLED_BACK if result["rolled_back"] else policy.FAILED
        self._ended(name, state, None if result["succeeded"] else ended["msg"])

    def _ended(self, name, state, reason=None):
        halted_before = self._schedule.halted
        for other in self._schedule.ended(name, state, reason):
            self._stop(self._running[other])
        if self._schedule.halted and not halted_before:
            say(
                "halted: %s; %s"
                % (self._schedule.halted, "rolling back the releases in flight" if self._fleet.halt == "roll_back" else "no more releases start")
            )

    def _stop(self, release):
        args = dict(
            self._connection_args, cluster=release.entry.args["cluster"], service=release.entry.args["service"], state="stopped", rollback=True, wait=False
        )
        stopped = self._execute_module(module_name=single.MODULE, module_args=args, task_vars=self._task_vars)
        release.stopped_by_fleet = not stopped.get("failed")
        say("%s %s" % (release.entry.name, stopped.get("msg")))

    def _interval(self, _seen):
        """The nearest next look any release in flight needs (by its plan), at most poll_interval while one has not been looked at."""
        waits = [pacing.next_look(release.tracker, release.last, self._poll) if release.last else self._poll for release in self._running_now()]
        return min(waits) if waits else self._poll

    def _running_now(self):
        return [self._running[name] for name in self._schedule.in_flight()]

    def _look_failed(self, error, count):
        single.display.warning("fleet: looking at the releases failed (%d of %d allowed in a row): %s" % (count, MAX_ERRORS, error))

    def _give_up(self, reason, wait_timeout=None):
        """Stop following: what is in flight goes on without us, and nothing more starts."""
        for release in self._running_now():
            name = release.entry.name
            ended = dict(release.first, failed=True)
            ended.update(timed_out(release.tracker, release.first["deployment_id"], wait_timeout or 0, release.last))
            if reason:
                ended["msg"] = "Stopped following deployment %s: %s. It goes on without us: run the play again to attach to it." % (
                    release.first["deployment_id"],
                    reason,
                )
            self._results[name] = ended
            self._schedule.ended(name, policy.FAILED, ended["msg"])
        if not self._schedule.halted:
            self._schedule.halted = reason or "the fleet's wait_timeout (%ss) passed" % wait_timeout

    def _print_table(self):
        rows = []
        for entry in self._fleet.entries:
            release = self._running.get(entry.name)
            state = self._schedule.state[entry.name]
            if release is not None and release.last is not None:
                rows.append(table.row(entry.name, state, release.tracker.progress(release.last), release.first.get("version")))
            else:
                rows.append(table.row(entry.name, state))
        for line in table.render(rows):
            say(line)


def _connection(args):
    """(the AWS connection options given, under their own names even when given by an alias; the names nothing knows)."""
    names = {}
    for name, option in aws_argument_spec().items():
        names[name] = name
        names.update((alias, name) for alias in option.get("aliases") or [])
    given = dict((names[key], value) for key, value in args.items() if key in names)
    return given, sorted(key for key in args if key not in names and key not in ARGUMENT_SPEC)


def _int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
