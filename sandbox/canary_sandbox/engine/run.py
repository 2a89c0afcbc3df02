"""One ECS blue/green deployment, run in its own thread from Created to an end status.

The steps follow CodeDeploy's ECS lifecycle: the replacement (green) task set in the
target group the production listener does not serve, test traffic to it, an optional
wait for approval (Ready), the production traffic shift by the deployment config's
steps, the primary task set swap, the original task set kept for the termination wait
and then deleted. Alarms are polled throughout; a stop request, an alarm or a failure
ends the run, rolling back when the deployment's autoRollbackConfiguration says so.

The thread never sleeps long: every wait is cut into short steps, so stop, continue
and alarms take effect within a fraction of a real second whatever the clock scale.
"""

import copy
import logging
import threading
import time

from ..background import SteppedRun
from ..codedeploy import deployments as model
from ..router import AwsError
from . import aws
from .traffic import traffic_plan, weights

LOG = logging.getLogger("canary_sandbox.engine.extension")

ALARM_POLL_SECONDS = 0.2  # real seconds between two DescribeAlarms calls
STEADY_TIMEOUT_MINUTES = 60  # sandbox minutes CodeDeploy waits for a new task set to reach STEADY_STATE
ALARM_MESSAGE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, "
    "and the affected deployments have been stopped. Activated alarms: "
)


class Cancelled(Exception):
    """The sandbox is resetting or shutting down: leave without touching AWS."""


class Interrupted(Exception):
    """The deployment ends early: status, ErrorInformation and the rollback event that applies."""

    def __init__(self, status, code, message, trigger, rollback=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.trigger = trigger  # DEPLOYMENT_STOP_ON_REQUEST | DEPLOYMENT_STOP_ON_ALARM | DEPLOYMENT_FAILURE
        self.rollback = rollback  # an explicit choice (StopDeployment's autoRollbackEnabled) or None


def alarm_configuration(group, record):
    """The alarms a deployment watches: the group's, with CreateDeployment's overrideAlarmConfiguration on top."""
    configuration = dict(group.get("alarmConfiguration") or {})
    configuration.update(record.get("overrideAlarmConfiguration") or {})
    return configuration


class DeploymentRun(SteppedRun):
    def __init__(self, engine, region, deployment_id):
        self.engine = engine
        self.sandbox = engine.sandbox
        self.region = region
        self.deployment_id = deployment_id
        codedeploy = engine.codedeploy
        self.lock = codedeploy.lock
        self.store = codedeploy.store(region)
        self.record = self.store.deployments[deployment_id]
        self.ecs = self.sandbox.clients("ecs", region)
        self.elbv2 = self.sandbox.clients("elbv2", region)
        self.cloudwatch = self.sandbox.clients("cloudwatch", region)
        self.clock = self.sandbox.clock
        # signals from the API threads
        self._signals = threading.Lock()
        self._stop_request = None
        self._continued = set()
        # what the run has changed, for rollback
        self.target = None
        self.group = None
        self.config = None
        self.service = None
        self.original_tg = None
        self.replacement_tg = None
        self.original_task_set = None
        self.replacement_task_set = None
        self.saved_test_actions = {}
        self.green_percent = 0
        self.primary_swapped = False
        self._alarms = {}
        self._next_alarm_poll = 0.0
        self._next_steady_check = 0.0
        self._start_steps(f"deploy-{deployment_id}")

    # --- signals (any thread) ------------------------------------------------------------

    def request_stop(self, rollback):
        with self._signals:
            if self._stop_request is None:
                self._stop_request = {"rollback": rollback}
        self.wake()

    def request_continue(self, wait_type):
        with self._signals:
            self._continued.add(wait_type)
        self.wake()

    # --- waiting ---------------------------------------------------------------------------

    def _check(self):
        """Raise if the run must end now: cancelled, stop requested, or an alarm fired."""
        if self.cancelled or self.clock.stopped:
            raise Cancelled()
        with self._signals:
            request = self._stop_request
        if request is not None:
            raise Interrupted(
                "Stopped", "MANUAL_STOP", "The deployment was stopped by the user (StopDeployment).", "DEPLOYMENT_STOP_ON_REQUEST", rollback=request["rollback"]
            )
        self._poll_alarms()

    def _continued_with(self, wait_type):
        with self._signals:
            return wait_type in self._continued

    def _poll_alarms(self):
        names = [alarm["name"] for alarm in self._alarms.get("alarms") or []]
        if not self._alarms.get("enabled") or not names or time.monotonic() < self._next_alarm_poll:
            return
        self._next_alarm_poll = time.monotonic() + ALARM_POLL_SECONDS
        ignore_failure = bool(self._alarms.get("ignorePollAlarmFailure"))
        try:
            states = aws.alarm_states(self.cloudwatch, names)
        except Exception as error:  # CloudWatch unreachable or refusing: AWS stops unless told to ignore
            if ignore_failure:
                return
            raise Interrupted(
                "Stopped", "ALARM_ACTIVE", f"CodeDeploy could not read the state of alarms {', '.join(names)}: {error}", "DEPLOYMENT_STOP_ON_ALARM"
            ) from None
        missing = [name for name in names if name not in states]
        if missing and not ignore_failure:
            raise Interrupted(
                "Stopped",
                "ALARM_ACTIVE",
                f"The alarm(s) {', '.join(missing)} of the deployment group do not exist in CloudWatch; create them or set ignorePollAlarmFailure.",
                "DEPLOYMENT_STOP_ON_ALARM",
            )
        firing = [name for name in names if states.get(name) == "ALARM"]
        if firing:
            raise Interrupted("Stopped", "ALARM_ACTIVE", ALARM_MESSAGE + ", ".join(firing), "DEPLOYMENT_STOP_ON_ALARM")

    # --- record keeping --------------------------------------------------------------------

    def _note(self, event, **detail):
        with self.lock:
            model.timeline(self.record, event, **detail)
        LOG.info("%s: %s %s", self.deployment_id, event, detail or "")

    def _status(self, status, error=None):
        with self.lock:
            model.set_status(self.store, self.record, status, error)
        self._note("status", status=status)

    def _event(self, name, status):
        with self.lock:
            model.set_event(self.record, name, status)

    def _hook(self, name):
        """Lambda hooks are not emulated: a hooked event is Skipped, an unhooked one Succeeds at once."""
        hooks = dict(self.record["_spec"].get("hooks") or [])
        if name in hooks:
            self._event(name, "Skipped")
            self._note("hook-skipped", lifecycleEvent=name, function=hooks[name])
        else:
            self._event(name, "Succeeded")

    def _refresh_task_sets(self, sets=None):
        """ECSTarget.taskSetsInfo from ECS (or the task sets just read), with the traffic weights this run has set."""
        if sets is None:
            try:
                sets = aws.task_sets(self.ecs, self.target)
            except Exception:  # informational only: keep the last snapshot
                return
        original_weight, replacement_weight = weights(self.green_percent)
        info = []
        for task_set in sets:
            if task_set["taskSetArn"] == self.original_task_set:
                label, weight, target_group = "Blue", original_weight, self.original_tg
            elif task_set["taskSetArn"] == self.replacement_task_set:
                label, weight, target_group = "Green", replacement_weight, self.replacement_tg
            else:
                continue
            info.append(
                {
                    "identifer": task_set["id"],  # sic: AWS's field name
                    "desiredCount": task_set.get("computedDesiredCount", 0),
                    "pendingCount": task_set.get("pendingCount", 0),
                    "runningCount": task_set.get("runningCount", 0),
                    "status": task_set.get("status"),
                    "trafficWeight": float(weight),
                    "targetGroup": {"name": self.target.name_of(target_group)},
                    "taskSetLabel": label,
                }
            )
        with self.lock:
            self.record["_target"]["taskSetsInfo"] = info
            self.record["_target"]["lastUpdatedAt"] = model.now()

    # --- the run ---------------------------------------------------------------------------

    def run(self):
        try:
            try:
                self._check()
                self._status("InProgress")
                self._prepare()
                self._install()
                self._allow_test_traffic()
                self._ready_wait()
                self._allow_traffic()
                self._terminate_original()
                self._status("Succeeded")
            except aws.EngineError as error:
                self._end(Interrupted("Failed", error.code, error.message, "DEPLOYMENT_FAILURE"))
            except Interrupted as interruption:
                self._end(interruption)
        except Cancelled:
            LOG.info("%s: cancelled (sandbox reset or shutdown)", self.deployment_id)
        except Exception as error:  # a bug or an AWS error the steps did not expect: the deployment fails
            LOG.exception("%s: failed", self.deployment_id)
            try:
                self._end(Interrupted("Failed", "INTERNAL_ERROR", f"The deployment failed: {error}", "DEPLOYMENT_FAILURE"))
            except Exception:
                LOG.exception("%s: could not record the failure", self.deployment_id)
        finally:
            self.engine.finished(self)

    def _prepare(self):
        """Read the group and config, make sure the service has its primary task set, find blue and green."""
        with self.lock:
            group = self.store.deployment_groups.get((self.record["applicationName"], self.record["deploymentGroupName"]))
            if group is None:
                raise aws.EngineError("DEPLOYMENT_GROUP_MISSING", f"Deployment group {self.record['deploymentGroupName']} no longer exists.")
            self.group = copy.deepcopy(group)
            try:
                self.config = copy.deepcopy(model.deployment_config(self.store, self.record["deploymentConfigName"]))
            except AwsError as error:
                raise aws.EngineError("CODEDEPLOY_RESOURCE_CANNOT_BE_FOUND", error.message) from None
        self._alarms = alarm_configuration(self.group, self.record)
        self.target = aws.Target(self.group, self.elbv2)
        self.service = self.engine.ensure_primary_task_set(self.region, self.target.cluster, self.target.service)
        sets = aws.task_sets(self.ecs, self.target)
        primary = aws.primary_task_set(sets)
        if primary is None:
            raise aws.EngineError("ECS_UPDATE_ERROR", f"ECS service {self.target.service} has no primary task set to replace.")
        self.original_task_set = primary["taskSetArn"]
        for stale in sets:  # left by a stop without rollback or KEEP_ALIVE: AWS allows one replacement at a time
            if stale["taskSetArn"] != primary["taskSetArn"]:
                aws.delete_task_set(self.ecs, self.target, stale["taskSetArn"])
                self._note("stale-task-set-deleted", taskSet=stale["taskSetArn"])
        self.original_tg = aws.live_target_group(self.elbv2, self.target)
        self.replacement_tg = [arn for arn in self.target.target_group_arns if arn != self.original_tg][0]
        self._note(
            "plan", original=self.target.name_of(self.original_tg), replacement=self.target.name_of(self.replacement_tg), steps=traffic_plan(self.config)
        )

    def _install(self):
        self._hook("BeforeInstall")
        self._check()
        self._event("Install", "InProgress")
        spec = self.record["_spec"]
        try:
            task_set = aws.create_task_set(
                self.ecs,
                self.target.cluster,
                self.target.service,
                spec["taskDefinition"],
                {"targetGroupArn": self.replacement_tg, "containerName": spec["containerName"], "containerPort": spec["containerPort"]},
                spec.get("networkConfiguration") or self.service.get("networkConfiguration"),
                launch_type=self.service.get("launchType"),
                platform_version=spec.get("platformVersion") or self.service.get("platformVersion"),
                capacity_provider_strategy=spec.get("capacityProviderStrategy") or self.service.get("capacityProviderStrategy"),
                external_id=self.deployment_id,
            )
        except Exception as error:
            raise aws.EngineError("ECS_UPDATE_ERROR", f"The replacement task set could not be created: {error}") from None
        self.replacement_task_set = task_set["taskSetArn"]
        self._note("replacement-task-set", taskSet=task_set["taskSetArn"], targetGroup=self.target.name_of(self.replacement_tg))
        if not self._wait(max(2.0, self.clock.seconds(STEADY_TIMEOUT_MINUTES)), until=self._replacement_steady):
            raise aws.EngineError("ECS_UPDATE_ERROR", f"The replacement task set {task_set['id']} did not reach a steady state in time.")
        self._refresh_task_sets()
        self._event("Install", "Succeeded")
        self._hook("AfterInstall")

    def _replacement_steady(self):
        """Whether the replacement task set is steady; meanwhile the target shows its counts as they grow."""
        if time.monotonic() < self._next_steady_check:
            return False
        self._next_steady_check = time.monotonic() + ALARM_POLL_SECONDS
        read = aws.task_sets(self.ecs, self.target)
        self._refresh_task_sets(read)
        current = next((task_set for task_set in read if task_set["taskSetArn"] == self.replacement_task_set), None)
        return current is not None and current.get("stabilityStatus") == "STEADY_STATE"

    def _allow_test_traffic(self):
        self._check()
        self._event("AllowTestTraffic", "InProgress")
        for listener in self.target.test_listeners:
            self.saved_test_actions[listener] = aws.listener_actions(self.elbv2, listener)
            aws.route(self.elbv2, listener, self.original_tg, self.replacement_tg, 100)
            self._note("test-traffic", listener=listener, replacementPercent=100)
        self._event("AllowTestTraffic", "Succeeded")
        self._hook("AfterAllowTestTraffic")

    def _ready_wait(self):
        option = (self.record["blueGreenDeploymentConfiguration"] or {}).get("deploymentReadyOption") or {}
        if option.get("actionOnTimeout") != "STOP_DEPLOYMENT":
            return
        minutes = option.get("waitTimeInMinutes", 0)
        with self.lock:
            self.record["_waiting"] = "READY_WAIT"
        self._status("Ready")
        approved = self._wait(self.clock.seconds(minutes), until=lambda: self._continued_with("READY_WAIT"))
        if not approved:
            raise Interrupted(
                "Stopped",
                "TIMEOUT",
                f"Traffic was not rerouted within the {minutes}-minute wait (ContinueDeployment READY_WAIT was not called).",
                "DEPLOYMENT_FAILURE",
            )
        with self.lock:
            self.record["_waiting"] = None
        self._status("InProgress")

    def _allow_traffic(self):
        self._hook("BeforeAllowTraffic")
        self._check()
        self._event("AllowTraffic", "InProgress")
        for percent, wait_minutes in traffic_plan(self.config):
            self._shift(percent)
            if wait_minutes:
                self._wait(self.clock.seconds(wait_minutes))
        self._event("AllowTraffic", "Succeeded")
        self._hook("AfterAllowTraffic")
        aws.make_primary(self.ecs, self.target, self.replacement_task_set)
        self.primary_swapped = True
        self._note("primary", taskSet=self.replacement_task_set)
        self._refresh_task_sets()

    def _shift(self, percent):
        for listener in self.target.prod_listeners:
            aws.route(self.elbv2, listener, self.original_tg, self.replacement_tg, percent)
        self.green_percent = percent
        original, replacement = weights(percent)
        self._note(
            "traffic",
            replacementPercent=percent,
            weights={self.target.name_of(self.original_tg): original, self.target.name_of(self.replacement_tg): replacement},
        )
        self._refresh_task_sets()

    def _terminate_original(self):
        """Keep the original task set for the termination wait (alarms still watched), then delete it."""
        termination = (self.record["blueGreenDeploymentConfiguration"] or {}).get("terminateBlueInstancesOnDeploymentSuccess") or {}
        if termination.get("action") == "KEEP_ALIVE":
            self._note("original-kept", taskSet=self.original_task_set)
            return
        minutes = termination.get("terminationWaitTimeInMinutes", 0)
        with self.lock:
            self.record["instanceTerminationWaitTimeStarted"] = True
            self.record["_waiting"] = "TERMINATION_WAIT"
        self._note("termination-wait", minutes=minutes)
        self._wait(self.clock.seconds(minutes), until=lambda: self._continued_with("TERMINATION_WAIT"))
        self._check()
        with self.lock:
            self.record["_waiting"] = None
        aws.delete_task_set(self.ecs, self.target, self.original_task_set)
        self._note("original-deleted", taskSet=self.original_task_set)
        self._refresh_task_sets()

    # --- endings ---------------------------------------------------------------------------

    def _wants_rollback(self, interruption):
        if interruption.rollback is not None:
            return bool(interruption.rollback)
        config = self.record.get("autoRollbackConfiguration") or {}
        return bool(config.get("enabled")) and interruption.trigger in (config.get("events") or [])

    def _end(self, interruption):
        """Record a stop or failure; roll back first when asked, through a rollback deployment as AWS does."""
        rollback = self._wants_rollback(interruption) and self.target is not None
        self._note("interrupted", status=interruption.status, code=interruption.code, message=interruption.message, rollback=rollback)
        with self.lock:
            self.record["_waiting"] = None
            model.close_events(self.record)
            rollback_record = model.new_rollback(self.store, self.record, interruption.message) if rollback else None
        if rollback_record is not None:
            self._roll_back(rollback_record)
        if self.target is not None:
            self._refresh_task_sets()
        self._status(interruption.status, (interruption.code, interruption.message))

    def _roll_back(self, rollback_record):
        """Undo what this run changed: traffic, test listener, primary, replacement task set."""
        problems = []
        steps = [
            ("production traffic", self._restore_production),
            ("test listener", self._restore_test_listeners),
            ("primary task set", self._restore_primary),
            ("replacement task set", self._delete_replacement),
        ]
        for what, step in steps:
            try:
                step()
            except Exception as error:  # keep undoing the rest; report every step that failed
                problems.append(f"{what}: {error}")
        with self.lock:
            for event in rollback_record["_target"]["lifecycleEvents"]:
                model.set_event(rollback_record, event["lifecycleEventName"], "Failed" if problems else "Succeeded")
            model.timeline(rollback_record, "rollback", of=self.deployment_id, problems=problems)
            if problems:
                model.set_status(self.store, rollback_record, "Failed", ("INTERNAL_ERROR", "Rollback incomplete: " + "; ".join(problems)))
            else:
                model.set_status(self.store, rollback_record, "Succeeded")
        self._note("rolled-back", rollbackDeploymentId=rollback_record["deploymentId"], problems=problems)

    def _restore_production(self):
        if self.green_percent or self.primary_swapped:
            for listener in self.target.prod_listeners:
                aws.route(self.elbv2, listener, self.original_tg, self.replacement_tg, 0)
            self.green_percent = 0
            self._note("traffic", replacementPercent=0, weights={self.target.name_of(self.original_tg): 100, self.target.name_of(self.replacement_tg): 0})

    def _restore_test_listeners(self):
        for listener, actions in self.saved_test_actions.items():
            aws.restore_actions(self.elbv2, listener, actions)

    def _restore_primary(self):
        if self.primary_swapped:
            aws.make_primary(self.ecs, self.target, self.original_task_set)
            self.primary_swapped = False

    def _delete_replacement(self):
        if self.replacement_task_set:
            aws.delete_task_set(self.ecs, self.target, self.replacement_task_set)
            self._note("replacement-deleted", taskSet=self.replacement_task_set)
