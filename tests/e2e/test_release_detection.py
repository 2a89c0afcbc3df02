"""The judge's detection matrix against the sandbox, with paced HTTP traffic from a few to several hundred requests a minute.

Each cell is a stack of its own (canary_sandbox.stack: no provision.yml) in a sandbox of this
module alone, whose clock runs slower than the other lanes' (MINUTE_SECONDS real seconds a
sandbox minute), so that several hundred requests a sandbox minute stay a bounded load on
127.0.0.1. The cells' releases run side by side: one canary.ecs.ecs_deployment run each, the
CodeDeploy canary config (10% for 15 minutes), the judge on at CONFIDENCE with its other
defaults, no alarm on any stack (the judge alone decides). The baseline is the service's
running version, with its own error rate.

What must hold, read back from the sandbox (deployment status, the live task definition, what
the HTTP clients were served):
- every canary clearly worse than its baseline is rolled back during the canary step: the
  judge's verdict "fail" while the canary held part of the traffic, none of it on the canary after;
- every canary as good as or better than its baseline succeeds, with no "fail" verdict on the way;
- where the sample cannot tell (a few requests a minute), the verdict says "not enough data"
  and the not_enough_data policy decides: rollback rolls a bad canary back, proceed lets a good one through.
The power designed for (tests/benchmark/judge_matrix.py, the same cells simulated at 99%): the
judge catches every cell that must be rolled back in 100% of simulated runs, except the one at 6
requests a minute (79%; the not-enough-data policy rolls back the rest, so it is rolled back either
way), and rolls back the cells that must go through in at most 0.3%. The table of this run (time
to verdict in sandbox minutes) is written to build/detection-matrix.md; docs/judging.md has one.
"""

import datetime
import os
import threading
import time

import pytest
from conftest import sandbox_env_process
from release_helpers import ROOT, run_module

from canary_sandbox.engine.testing import setup_group
from canary_sandbox.stack import make_ecs_stack
from canary_sandbox.traffic import listener_url, paced

MINUTE_SECONDS = 15.0  # real seconds a sandbox minute, in this module's sandbox (all cells at once: about 110 requests a second)
CONFIDENCE = 0.99
CONFIG = "CodeDeployDefault.ECSCanary10Percent15Minutes"
ROLLED_BACK, SUCCEEDS = "rolled back", "succeeds"
FAILURE, LATENCY = "SANDBOX_FAILURE_RATE", "SANDBOX_LATENCY_MS"

# name, requests per sandbox minute, baseline's variables, canary's variables, what must happen, judge options
CELLS = [
    ("equal-1pct-300", 300, {FAILURE: "0.01"}, {FAILURE: "0.01"}, SUCCEEDS, {}),
    ("better-300", 300, {FAILURE: "0.01"}, {FAILURE: "0"}, SUCCEEDS, {}),
    ("worse-1-to-5pct-600", 600, {FAILURE: "0.01"}, {FAILURE: "0.05"}, ROLLED_BACK, {}),
    ("far-worse-300", 300, {FAILURE: "0"}, {FAILURE: "0.5"}, ROLLED_BACK, {}),
    ("slower-300", 300, {FAILURE: "0"}, {FAILURE: "0", LATENCY: "100"}, ROLLED_BACK, {}),
    # 12 canary requests a minute: 50 a side by the judge's last look of the step even when a loaded machine
    # spaces its looks minutes apart (at 60 a minute the 50 came only in the step's last minutes, see docs/judging.md)
    ("equal-120", 120, {FAILURE: "0"}, {FAILURE: "0"}, SUCCEEDS, {}),
    ("far-worse-1pct-60", 60, {FAILURE: "0.01"}, {FAILURE: "0.5"}, ROLLED_BACK, {}),
    ("far-worse-6", 6, {FAILURE: "0"}, {FAILURE: "0.5"}, ROLLED_BACK, {}),
    ("equal-6-proceed", 6, {FAILURE: "0"}, {FAILURE: "0"}, SUCCEEDS, {"not_enough_data": "proceed"}),
]


@pytest.fixture(scope="module")
def slow_sandbox():
    with sandbox_env_process(minute_seconds=MINUTE_SECONDS) as sandbox:
        yield sandbox


def _at(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def _release(sandbox, cell):
    """One cell: its stack, its paced traffic, its release; what the test checks and the table shows."""
    name, rate, baseline, canary, _expected, judge = cell
    stack = make_ecs_stack(sandbox.clients, name, environment=baseline)
    setup_group(sandbox.clients, stack, name)
    url = listener_url(sandbox.endpoint, load_balancer_name="%s-alb" % name, port=80, timeout=30)
    args = {
        "cluster": stack.cluster,
        "service": stack.service,
        "application_name": name,
        "deployment_group_name": name,
        "image_tag": "new",
        "environment": canary,
        "deployment_config_name": CONFIG,
        "poll_interval": 4,
        "fail_on_rollback": False,
        "judge": dict({"enabled": True, "confidence": CONFIDENCE}, **judge),
    }
    with paced(url, rate, MINUTE_SECONDS) as traffic:
        time.sleep(2 * MINUTE_SECONDS)  # the baseline serves alone for two minutes first
        started = time.time()
        result = run_module(sandbox, "ecs_deployment", args, timeout=1800)
        ended = time.time()
        time.sleep(max(2.0, 3 * MINUTE_SECONDS / rate))  # a few requests after it, even at 6 a minute
        during, after = traffic.window(since=started, until=ended), traffic.window(since=ended)
        first_new = traffic.first_time(lambda version, _status: version == "new", since=started)
    ecs = sandbox.clients("ecs")
    service = ecs.describe_services(cluster=stack.cluster, services=[stack.service])["services"][0]
    live = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]["containerDefinitions"][0]["image"]
    status = sandbox.clients("codedeploy").get_deployment(deploymentId=result["deployment_id"])["deploymentInfo"]["status"]
    judged = result["outcome"].get("judge")
    verdicts = [event for event in result.get("timeline", []) if event["kind"] == "judge"]
    verdict_at = _at(judged["at"]) if judged and judged.get("at") else None
    return {
        "result": result,
        "status": status,
        "live": live.rsplit(":", 1)[-1],
        "during": during,
        "after": after,
        "verdicts": verdicts,
        "minutes_to_verdict": (verdict_at - first_new) / MINUTE_SECONDS if verdict_at and first_new else None,
        "measured_rate": during.total / max(1e-9, (ended - started) / MINUTE_SECONDS),
    }


@pytest.fixture(scope="module")
def matrix(slow_sandbox):
    """Every cell's release, side by side; {name: what _release found}."""
    found, errors = {}, {}

    def one(cell):
        try:
            found[cell[0]] = _release(slow_sandbox, cell)
        except Exception as error:  # noqa: BLE001  (reported by the cell's test)
            errors[cell[0]] = error

    threads = [threading.Thread(target=one, args=(cell,), name=cell[0]) for cell in CELLS]
    for thread in threads:
        thread.start()
        time.sleep(1)  # stacks are built one after another
    for thread in threads:
        thread.join(timeout=2400)
    _write_table(found)
    return found, errors


def _write_table(found):
    lines = [
        "| cell | requests/min (measured) | baseline -> canary | expected | outcome | verdict (share) | sandbox minutes to the verdict |",
        "|---|---:|---|---|---|---|---:|",
    ]
    for name, rate, baseline, canary, expected, _judge in CELLS:
        row = found.get(name)
        if row is None:
            lines.append("| %s | %d | | %s | (no result) | | |" % (name, rate, expected))
            continue
        judged = row["result"]["outcome"].get("judge") or {}
        last = row["verdicts"][-1]["verdict"] if row["verdicts"] else "-"
        lines.append(
            "| %s | %d (%.0f) | %s -> %s | %s | %s | %s | %s |"
            % (
                name,
                rate,
                row["measured_rate"],
                _variables(baseline),
                _variables(canary),
                expected,
                row["status"],
                "%s at %s%%%s" % (judged["verdict"], judged.get("traffic_share"), " (policy)" if judged.get("policy") else "") if judged else "last: %s" % last,
                "%.1f" % row["minutes_to_verdict"] if row["minutes_to_verdict"] is not None else "-",
            )
        )
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "detection-matrix.md"), "w") as table:
        table.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def _variables(environment):
    parts = ["%g%% errors" % (float(environment[FAILURE]) * 100)]
    if LATENCY in environment:
        parts.append("+%s ms" % environment[LATENCY])
    return ", ".join(parts)


def _looks(row):
    """The judge's changes of verdict in a cell, one line each (when, at what share, what): what a failed cell is read from."""
    lines = ["  %s at %s%%: %s" % (event.get("at"), event.get("traffic_share"), event.get("message")) for event in row["verdicts"]]
    return "\n".join(lines) or "  (no verdict)"


@pytest.mark.parametrize("cell", CELLS, ids=[cell[0] for cell in CELLS])
def test_the_judge_tells_a_bad_canary_from_a_good_one(matrix, cell):
    found, errors = matrix
    name, _rate, _baseline, _canary, expected, judge = cell
    if name in errors:
        raise errors[name]
    row = found[name]
    # the premise: the cell got (most of) its traffic; a sandbox that could not keep pace would test another cell
    assert row["measured_rate"] >= 0.6 * cell[1], "%s: %d requests a minute were asked, the sandbox served %.0f" % (name, cell[1], row["measured_rate"])
    result, judged = row["result"], row["result"]["outcome"].get("judge")
    fails = [event for event in row["verdicts"] if event["verdict"] == "fail"]
    if expected == SUCCEEDS:
        assert row["status"] == "Succeeded" and row["live"] == "new", "%s: %s" % (name, result["msg"])
        assert not fails, "%s: a canary as good as its baseline was failed: %s" % (name, fails)
        assert row["verdicts"], "%s: the judge never looked" % name
        if judge.get("not_enough_data") == "proceed":
            # a few requests a minute cannot tell: the verdict says so, the policy lets it through, the result says it did
            # (or, when the step ended before the judge's last look of it, that the verdict was still open then)
            assert judged and judged["verdict"] == "not enough data", judged
            assert "proceeding (not_enough_data=proceed)" in judged["policy"] or "not settled" in judged["policy"], judged
            assert "The judge did not clear it: judge: not enough data" in result["msg"], result["msg"]
        else:
            assert judged is None and row["verdicts"][-1]["verdict"] == "pass", row["verdicts"][-1]["message"]
        return
    assert row["status"] in ("Stopped", "Failed") and row["live"] == "v1", "%s: %s\n%s" % (name, result["msg"], _looks(row))
    assert result["outcome"]["rolled_back"] and judged and judged["verdict"] == "fail", "%s: %s\n%s" % (name, result["msg"], _looks(row))
    # during the canary step: the canary never held more than its 10%, and the baseline serves everything after
    assert 0 < judged["traffic_share"] < 100, "%s: the judge acted at %s%%" % (name, judged["traffic_share"])
    assert row["during"].by_version["new"] > 0 and row["after"].total > 0 and row["after"].share("v1") == 100.0, row["after"].describe()
    if judged.get("policy"):
        assert "not enough data" in judged["policy"] and "rollback" in judged["policy"], judged["policy"]
    else:
        assert judged["failed"], judged
