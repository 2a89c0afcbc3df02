"""One ECS service deployment (BLUE_GREEN, LINEAR or CANARY), run in its own thread.

The stages are AWS's: PRE_SCALE_UP, SCALE_UP (the green revision's tasks start behind the
target group production does not use), POST_SCALE_UP, TEST_TRAFFIC_SHIFT (the test rule
sends all test traffic to green), POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT (the
production rule's weights move by the strategy's steps), POST_PRODUCTION_TRAFFIC_SHIFT,
BAKE_TIME, CLEAN_UP (the blue revision's tasks stop). Lifecycle hooks run at their stages:
a PAUSE hook waits for ContinueServiceDeployment (or its timeout and timeout action); Lambda
hooks are not emulated and succeed at once. The deployment's alarms are polled throughout;
an alarm in ALARM, a StopServiceDeployment ROLLBACK, a hook answered ROLLBACK or a failure to
scale up rolls back: traffic to blue, green's tasks stopped, the service back on blue's task
definition.

Every wait is cut into short steps, so stops, continues and alarms act within a fraction of a
real second whatever the clock scale (as in engine/run.py, the CodeDeploy engine).
"""

import logging
import threading
import time

from .. import moto_fidelity
from ..background import SteppedRun
from . import model

LOG = logging.getLogger("canary_sandbox.servicedeploy")

ALARM_POLL_SECONDS = 0.2
SCALE_UP_TIMEOUT_MINUTES = 60


class Cancelled(Exception):
    """The sandbox is resetting or shutting down."""


class Interrupted(Exception):
    """The deployment ends early: why, and whether it rolls back."""

    def __init__(self, reason, rollback=True):
        super().__init__(reason)
        self.reason = reason
        self.rollback = rollback


class ServiceDeploymentRun(SteppedRun):
    def __init__(self, engine, region, record, blue, green):
        self.engine = engine
        self.region = region
        self.record = record
        self.blue = blue  # {"deployment_id", "revision_arn", "task_definition", "target_group"}
        self.green = green
        self.clock = engine.sandbox.clock
        self.elbv2 = engine.sandbox.clients("elbv2", region)
        self.cloudwatch = engine.sandbox.clients("cloudwatch", region)
        self.config = record["deploymentConfiguration"]
        self.balancer = record["_balancer"]
        advanced = self.balancer["advancedConfiguration"]
        self.production_rule = advanced["productionListenerRule"]
        self.test_rule = advanced.get("testListenerRule")
        self.saved_test_actions = None
        self.green_percent = 0.0
        self.scaled_up = False
        self._signals = threading.Lock()
        self._stop_reason = None
        self._hook_answers = {}  # hookId -> CONTINUE | ROLLBACK
        self._next_alarm_poll = 0.0
        self._start_steps(f"service-deployment-{record['_id']}")

    # --- signals (API threads) -----------------------------------------------------------------

    def request_stop(self, reason):
        with self._signals:
            if self._stop_reason is None:
                self._stop_reason = reason
        self.wake()

    def answer_hook(self, hook_id, action):
        with self._signals:
            self._hook_answers[hook_id] = action
        self.wake()

    # --- waiting -------------------------------------------------------------------------------

    def _check(self):
        if self.cancelled or self.clock.stopped:
            raise Cancelled()
        with self._signals:
            reason = self._stop_reason
        if reason is not None:
            raise Interrupted(reason)
        self._poll_alarms()
        self._refresh_counts()

    def _poll_alarms(self):
        alarms = self.config.get("alarms") or {}
        names = list(alarms.get("alarmNames") or ())
        if not alarms.get("enable") or not names or time.monotonic() < self._next_alarm_poll:
            return
        self._next_alarm_poll = time.monotonic() + ALARM_POLL_SECONDS
        try:
            found = self.cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
        except Exception as error:  # unreadable alarms: keep watching, as ECS retries
            LOG.debug("%s: alarms unreadable: %s", self.record["_id"], error)
            return
        firing = [alarm["AlarmName"] for alarm in found if alarm.get("StateValue") == "ALARM"]
        if firing:
            self._update(alarms=dict(self.record["alarms"], status="TRIGGERED", triggeredAlarmNames=firing))
            raise Interrupted(f"Service deployment rolled back because of alarm(s): {', '.join(firing)}.", rollback=bool(alarms.get("rollback")))

    # --- record keeping ------------------------------------------------------------------------

    def _update(self, **fields):
        with self.engine.lock:
            self.record.update(fields)
            self.record["updatedAt"] = model.now()

    def _stage(self, stage):
        self._check()
        self._update(lifecycleStage=stage, lifecycleHookDetails=[])
        self.engine.note(self.record, "stage", stage=stage)

    def _refresh_counts(self):
        desired = self.engine.desired_count(self.region, self.record["serviceArn"])
        green_running = moto_fidelity.running(self.green["deployment_id"], desired) if self.scaled_up else 0
        blue_running = moto_fidelity.running(self.blue["deployment_id"], desired) if self.blue.get("deployment_id") else 0
        with self.engine.lock:
            target = self.record["targetServiceRevision"]
            target.update(
                model.revision_summary(
                    target["arn"],
                    desired if self.scaled_up else 0,
                    green_running,
                    target["requestedProductionTrafficWeight"],
                    target["requestedTestTrafficWeight"],
                )
            )
            for source in self.record["sourceServiceRevisions"]:
                source.update(
                    model.revision_summary(
                        source["arn"], desired, blue_running, source["requestedProductionTrafficWeight"], source["requestedTestTrafficWeight"]
                    )
                )
        self.engine.count_deployments(self.region, self.record["serviceArn"], desired)

    def _weights(self, production=None, test=None):
        with self.engine.lock:
            target = self.record["targetServiceRevision"]
            for source in self.record["sourceServiceRevisions"]:
                if production is not None:
                    source["requestedProductionTrafficWeight"] = 100.0 - production
                if test is not None:
                    source["requestedTestTrafficWeight"] = 100.0 - test
            if production is not None:
                target["requestedProductionTrafficWeight"] = float(production)
            if test is not None:
                target["requestedTestTrafficWeight"] = float(test)

    # --- the run -------------------------------------------------------------------------------

    def run(self):
        try:
            try:
                self._update(status="IN_PROGRESS", startedAt=model.now())
                self._stage("PRE_SCALE_UP")
                self._hooks("PRE_SCALE_UP")
                self._scale_up()
                self._stage("POST_SCALE_UP")
                self._hooks("POST_SCALE_UP")
                self._stage("TEST_TRAFFIC_SHIFT")
                self._shift_test()
                self._hooks("TEST_TRAFFIC_SHIFT")
                self._stage("POST_TEST_TRAFFIC_SHIFT")
                self._hooks("POST_TEST_TRAFFIC_SHIFT")
                self._hooks("PRE_PRODUCTION_TRAFFIC_SHIFT")
                self._stage("PRODUCTION_TRAFFIC_SHIFT")
                for percent, minutes in model.traffic_steps(self.config):
                    self._shift_production(percent)
                    if minutes:
                        self._wait(self.clock.seconds(minutes))
                self._hooks("PRODUCTION_TRAFFIC_SHIFT")
                self._stage("POST_PRODUCTION_TRAFFIC_SHIFT")
                self._hooks("POST_PRODUCTION_TRAFFIC_SHIFT")
                self._stage("BAKE_TIME")
                self._wait(self.clock.seconds(int(self.config.get("bakeTimeInMinutes") or 0)))
                self._stage("CLEAN_UP")
                self.engine.retire(self.region, self.record["serviceArn"], self.blue["deployment_id"], self.green)
                self._finish("SUCCESSFUL", f"Service deployment {self.record['_id']} completed.", "MONITORING_COMPLETE")
            except Interrupted as interruption:
                self._end(interruption)
        except Cancelled:
            LOG.info("%s: cancelled (sandbox reset or shutdown)", self.record["_id"])
        except Exception as error:  # a bug or an AWS answer the steps did not expect: roll back
            LOG.exception("%s: failed", self.record["_id"])
            try:
                self._end(Interrupted(f"The service deployment failed: {error}"))
            except Exception:
                LOG.exception("%s: could not roll back", self.record["_id"])
        finally:
            self.engine.finished(self)

    def _finish(self, status, reason, alarm_status=None):
        fields = {"status": status, "statusReason": reason, "finishedAt": model.now()}
        if status == "STOPPED":
            fields["stoppedAt"] = fields["finishedAt"]
        if alarm_status and self.record["alarms"].get("status") in ("MONITORING",):
            fields["alarms"] = dict(self.record["alarms"], status=alarm_status)
        self._update(**fields)
        self.engine.note(self.record, "status", status=status, reason=reason)

    def _hooks(self, stage):
        for index, hook in enumerate(self.config.get("lifecycleHooks") or ()):
            if stage not in (hook.get("lifecycleStages") or ()):
                continue
            kind = hook.get("targetType", "AWS_LAMBDA")
            timeout = hook.get("timeoutConfiguration") or {}
            minutes = int(timeout.get("timeoutInMinutes") or model.DEFAULT_HOOK_MINUTES)
            action = timeout.get("action") or "ROLLBACK"
            hook_id = f"{self.record['_id']}-{stage.lower()}-{index}"
            detail = {"hookId": hook_id, "targetType": kind, "status": "IN_PROGRESS", "timeoutAction": action}
            if hook.get("hookTargetArn"):
                detail["targetArn"] = hook["hookTargetArn"]
            if kind != "PAUSE":  # Lambda functions are not run: the hook succeeds
                detail["status"] = "SUCCEEDED"
                self._add_hook(detail)
                continue
            detail.update(status="AWAITING_ACTION", expiresAt=model.now() + minutes * 60)
            self._add_hook(detail)
            self.engine.note(self.record, "hook-paused", hookId=hook_id, stage=stage)
            answered = self._wait(self.clock.seconds(minutes), until=lambda hook=hook_id: self._answer(hook))
            answer = self._answer(hook_id) if answered else None
            if answer == "CONTINUE" or (answer is None and action == "CONTINUE"):
                self._hook_status(hook_id, "SUCCEEDED" if answer else "TIMED_OUT")
                continue
            self._hook_status(hook_id, "FAILED" if answer else "TIMED_OUT")
            raise Interrupted(
                f"Lifecycle hook {hook_id} at {stage} "
                + ("was answered ROLLBACK (ContinueServiceDeployment)." if answer else f"timed out after {minutes} minutes (timeout action ROLLBACK).")
            )

    def _answer(self, hook_id):
        with self._signals:
            return self._hook_answers.get(hook_id)

    def _add_hook(self, detail):
        with self.engine.lock:
            self.record["lifecycleHookDetails"] = list(self.record.get("lifecycleHookDetails") or []) + [detail]

    def _hook_status(self, hook_id, status):
        with self.engine.lock:
            for detail in self.record.get("lifecycleHookDetails") or []:
                if detail["hookId"] == hook_id:
                    detail["status"] = status

    def _scale_up(self):
        self._stage("SCALE_UP")
        self.engine.scale_up(self.region, self.record["serviceArn"], self.green)
        self.scaled_up = True
        desired = self.engine.desired_count(self.region, self.record["serviceArn"])
        ready = self._wait(
            max(2.0, self.clock.seconds(SCALE_UP_TIMEOUT_MINUTES)),
            until=lambda: not moto_fidelity.counting_tasks() or moto_fidelity.running(self.green["deployment_id"], desired) >= desired,
        )
        if not ready:
            raise Interrupted(f"The tasks of service revision {self.green['revision_arn']} did not start in time.")

    def _shift_test(self):
        if not self.test_rule:
            return
        self.saved_test_actions = model.route_actions(self.elbv2, self.test_rule)
        self.engine.route(self.elbv2, self.test_rule, self.blue["target_group"], self.green["target_group"], 100.0)
        self._weights(test=100.0)

    def _shift_production(self, percent):
        self.engine.route(self.elbv2, self.production_rule, self.blue["target_group"], self.green["target_group"], percent)
        self.green_percent = percent
        self._weights(production=percent)
        self.engine.note(self.record, "traffic", greenPercent=percent)

    # --- endings -------------------------------------------------------------------------------

    def _end(self, interruption):
        self.engine.note(self.record, "interrupted", reason=interruption.reason, rollback=interruption.rollback)
        if not interruption.rollback:
            self._finish("STOPPED", interruption.reason)
            return
        self._update(
            status="ROLLBACK_IN_PROGRESS",
            statusReason=interruption.reason,
            rollback={"reason": interruption.reason, "startedAt": model.now(), "serviceRevisionArn": self.blue["revision_arn"]},
        )
        problems = []
        for what, step in (("production traffic", self._restore_production), ("test traffic", self._restore_test), ("green tasks", self._remove_green)):
            try:
                step()
            except Exception as error:  # keep undoing the rest; say every step that failed
                problems.append(f"{what}: {error}")
        if problems:
            self._finish("ROLLBACK_FAILED", f"{interruption.reason} Rollback incomplete: {'; '.join(problems)}")
        else:
            self._finish("ROLLBACK_SUCCESSFUL", interruption.reason)

    def _restore_production(self):
        if self.green_percent:
            self.engine.route(self.elbv2, self.production_rule, self.blue["target_group"], self.green["target_group"], 0.0)
            self.green_percent = 0.0
            self._weights(production=0.0)
            self.engine.note(self.record, "traffic", greenPercent=0.0)

    def _restore_test(self):
        if self.saved_test_actions is not None:
            self.engine.restore(self.elbv2, self.test_rule, self.saved_test_actions)
            self._weights(test=0.0)

    def _remove_green(self):
        self.engine.roll_back_service(self.region, self.record["serviceArn"], self.blue, self.green)
