# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The image gate: a tag pinned to its digest, and ECR scan findings that refuse a release."""

import re
from unittest.mock import MagicMock

import pytest
from botocore.exceptions import ClientError

from ansible_collections.canary.ecs.plugins.module_utils._release import image_gate
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError

REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"
DIGEST = "sha256:" + "ab" * 32
REGISTRY = ("123456789012", "us-east-1", "app")
DETAIL = {"imageDigest": DIGEST, "imageTags": ["v2"]}


def ecr_answering(*answers):
    """An ECR client whose DescribeImageScanFindings answers these in turn: (status, counts), or None for never scanned."""
    ecr = MagicMock()

    def findings(**request):
        answer = answers[min(findings.calls, len(answers) - 1)]
        findings.calls += 1
        assert request["imageId"] == {"imageDigest": DIGEST}
        if answer is None:
            raise ClientError({"Error": {"Code": "ScanNotFoundException", "Message": "Image scan does not exist"}}, "DescribeImageScanFindings")
        status, counts = answer
        return {"imageScanStatus": {"status": status, "description": status.lower()}, "imageScanFindings": {"findingSeverityCounts": counts}}

    findings.calls = 0
    ecr.describe_image_scan_findings.side_effect = findings
    return ecr


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def gate(ecr, **options):
    clock = Clock()
    return image_gate.check(ecr, REPO + ":v2", REGISTRY, DETAIL, image_gate.settings(options), 60.0, sleep=clock.sleep, clock=clock), clock


def test_a_tag_is_pinned_to_its_digest_and_other_images_are_left_as_named():
    assert image_gate.pinned(REPO + ":v2", DETAIL) == REPO + "@" + DIGEST
    assert image_gate.pinned(REPO + "@" + DIGEST, DETAIL) == REPO + "@" + DIGEST
    assert image_gate.pinned("public.ecr.aws/nginx/nginx:v1", None) == "public.ecr.aws/nginx/nginx:v1"


def test_findings_at_or_above_the_severity_refuse_naming_the_counts():
    with pytest.raises(AnsibleCanaryECSError) as error:
        gate(ecr_answering(("COMPLETE", {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 5})), severity="HIGH")
    assert "found 1 CRITICAL, 2 HIGH at or above HIGH (all findings: 1 CRITICAL, 2 HIGH, 5 MEDIUM)" in error.value.message
    assert "nothing was registered" in error.value.message and "image_scan.severity" in error.value.message


def test_findings_below_the_severity_let_the_release_through():
    found, _clock = gate(ecr_answering(("COMPLETE", {"MEDIUM": 5, "LOW": 1})), severity="HIGH")
    assert found["status"] == "COMPLETE" and found["counts"] == {"MEDIUM": 5, "LOW": 1}
    assert gate(ecr_answering(("COMPLETE", {})))[0] is None  # no severity: the gate is off, nothing read


@pytest.mark.parametrize("answer", [None, ("IN_PROGRESS", {}), ("FAILED", {})])
def test_an_image_without_a_finished_scan_is_refused_by_default(answer):
    with pytest.raises(AnsibleCanaryECSError, match="has no findings to judge.*image_scan.unscanned=refuse"):
        gate(ecr_answering(answer), severity="HIGH")


def test_allow_lets_an_unscanned_image_through_saying_so():
    found, _clock = gate(ecr_answering(None), severity="HIGH", unscanned="allow")
    assert found["status"] == "NOT_SCANNED"


def test_wait_waits_for_a_scan_in_progress_then_judges_it():
    ecr = ecr_answering(("IN_PROGRESS", {}), ("IN_PROGRESS", {}), ("COMPLETE", {"CRITICAL": 3}))
    with pytest.raises(AnsibleCanaryECSError, match="found 3 CRITICAL at or above HIGH"):
        gate(ecr, severity="HIGH", unscanned="wait")
    assert ecr.describe_image_scan_findings.call_count == 3
    found, clock = gate(ecr_answering(("IN_PROGRESS", {}), ("COMPLETE", {"LOW": 1})), severity="HIGH", unscanned="wait")
    assert found["status"] == "COMPLETE" and found["waited_seconds"] == image_gate.WAIT_LOOK_SECONDS


def test_wait_gives_up_after_wait_minutes():
    with pytest.raises(AnsibleCanaryECSError, match=re.escape("did not finish within image_scan.wait_minutes (1)")):
        gate(ecr_answering(("IN_PROGRESS", {})), severity="HIGH", unscanned="wait", wait_minutes=1)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"severity": "SEVERE"}, "image_scan.severity must be one of CRITICAL, HIGH"),
        ({"unscanned": "maybe"}, "image_scan.unscanned must be refuse, wait or allow"),
        ({"wait_minutes": 0}, "image_scan.wait_minutes must be above 0"),
    ],
)
def test_bad_gate_options_fail_naming_them(options, message):
    with pytest.raises(AnsibleCanaryECSError, match=re.escape(message)):
        image_gate.settings(options)


def test_a_severity_for_an_image_outside_ecr_is_refused_naming_the_option():
    with pytest.raises(AnsibleCanaryECSError, match="image_scan.severity is set, but public.ecr.aws/nginx/nginx:v1 is not an image in a private ECR"):
        image_gate.check(None, "public.ecr.aws/nginx/nginx:v1", None, None, image_gate.settings({"severity": "HIGH"}), 60.0)
