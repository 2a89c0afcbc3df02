# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The image gate, before anything is registered: what an ECR image tag is, and whether its scan allows it.

- pinning: a tag is resolved to its digest (ecr:DescribeImages, read by the preflight) and the new revision
  names the image by digest (repository@sha256:...), so a tag pushed again later cannot change what runs;
  the tag stays in the result and the record.
- the scan: with a severity set, ecr:DescribeImageScanFindings; findings of that severity or a worse one
  refuse the release, counted by severity. An image without a finished scan is refused, waited for (up to
  a limit), or let through, as the user chose.
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.canary.ecs.plugins.module_utils._release import taskdef
from ansible_collections.canary.ecs.plugins.module_utils.common import ECRErrorHandler, fail

# ECR's severities, worst first (findingSeverityCounts' keys; UNDEFINED and UNTRIAGED are not ranked)
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
REFUSE, WAIT, ALLOW = "refuse", "wait", "allow"
# scan states: basic scanning's, then enhanced scanning's (Inspector)
FINISHED = ("COMPLETE", "ACTIVE")
RUNNING = ("IN_PROGRESS", "PENDING")
WAIT_LOOK_SECONDS = 10  # between two looks at a scan in progress (sandbox minutes scale it)
DEFAULTS = {"severity": None, "unscanned": REFUSE, "wait_minutes": 10.0}


def settings(options):
    """The image_scan option with its defaults; each error names the option."""
    found = dict(DEFAULTS)
    found.update((key, value) for key, value in (options or {}).items() if value is not None)
    if found["severity"] is not None:
        found["severity"] = str(found["severity"]).upper()
        if found["severity"] not in SEVERITIES:
            fail("image_scan.severity must be one of %s (findings of it or worse refuse the release), got %r." % (", ".join(SEVERITIES), options["severity"]))
    if found["unscanned"] not in (REFUSE, WAIT, ALLOW):
        fail("image_scan.unscanned must be refuse, wait or allow, got %r." % found["unscanned"])
    if not 0 < float(found["wait_minutes"]) <= 1440:
        fail("image_scan.wait_minutes must be above 0 and at most 1440, got %s." % found["wait_minutes"])
    return found


def pinned(image, detail):
    """The image named by its digest, when it is an ECR image named by tag; else as it is."""
    repository, tag, digest = taskdef.split_image(image)
    if digest or not detail or not detail.get("imageDigest") or not tag:
        return image
    return "%s@%s" % (repository, detail["imageDigest"])


@ECRErrorHandler.common_error_handler("read the image's ECR scan findings")
def scan_findings(ecr, registry_id, repository, digest):
    """(scan status, description, {severity: count}); status None when the image was never scanned."""
    try:
        response = ecr.describe_image_scan_findings(aws_retry=True, registryId=registry_id, repositoryName=repository, imageId={"imageDigest": digest})
    except is_boto3_error_code("ScanNotFoundException"):
        return None, "the image has not been scanned", {}
    status = response.get("imageScanStatus") or {}
    counts = (response.get("imageScanFindings") or {}).get("findingSeverityCounts") or {}
    return status.get("status"), status.get("description"), dict(counts)


def at_or_above(counts, severity):
    """{severity: count} of the findings of `severity` or worse."""
    ranked = SEVERITIES[: SEVERITIES.index(severity) + 1]
    return dict((name, counts[name]) for name in ranked if counts.get(name))


def describe_counts(counts):
    return ", ".join("%d %s" % (counts[name], name) for name in SEVERITIES if counts.get(name)) or "none"


def check(ecr, image, registry, detail, options, minute_seconds, sleep=time.sleep, clock=time.time):
    """The scan's verdict on the image: fails refusing it, or returns {status, counts, waited_seconds} (None when off)."""
    if options["severity"] is None:
        return None
    if registry is None or not detail:
        fail(
            "image_scan.severity is set, but %s is not an image in a private ECR repository, whose scan findings could be read: "
            "release an ECR image, or leave image_scan.severity out." % image
        )
    account, _region, repository = registry
    digest = detail["imageDigest"]
    started = clock()
    limit = started + float(options["wait_minutes"]) * minute_seconds
    while True:
        status, description, counts = scan_findings(ecr, account, repository, digest)
        if status in FINISHED:
            break
        waiting = status is None or status in RUNNING
        if options["unscanned"] == WAIT and status in RUNNING and clock() < limit:
            sleep(WAIT_LOOK_SECONDS * minute_seconds / 60.0)
            continue
        if options["unscanned"] == ALLOW and waiting:
            return {"status": status or "NOT_SCANNED", "counts": {}, "waited_seconds": round(clock() - started, 1), "description": description}
        fail(
            "The ECR scan of %s (%s) has no findings to judge: %s%s (image_scan.unscanned=%s). %s"
            % (
                image,
                digest[:19],
                status or "not scanned",
                (": %s" % description) if description else "",
                options["unscanned"],
                "Scan it (aws ecr start-image-scan, or scan on push), then release again; or set image_scan.unscanned to wait or allow."
                if options["unscanned"] != WAIT or status not in RUNNING
                else "The scan did not finish within image_scan.wait_minutes (%g)." % float(options["wait_minutes"]),
            )
        )
    refused = at_or_above(counts, options["severity"])
    if refused:
        fail(
            "The ECR scan of %s (%s) found %s at or above %s (all findings: %s): the release is refused and nothing was registered. "
            "Fix the image, or raise image_scan.severity." % (image, digest[:19], describe_counts(refused), options["severity"], describe_counts(counts))
        )
    return {"status": status, "counts": counts, "waited_seconds": round(clock() - started, 1), "description": description}
