"""ECR images and their scan findings in the sandbox, for the image gate's tests and the demo.

moto keeps images (PutImage with a manifest) and answers DescribeImageScanFindings with
ScanNotFoundException until a scan was started, as ECR does. The sandbox scans nothing: what a
scan found (or that it is still in progress) is seeded per image through the admin API
(POST /_sandbox/ecr/scan-findings, seed_scan_findings below), and ScanFindings answers
DescribeImageScanFindings for a seeded image in ECR's shape (imageScanStatus,
imageScanFindings.findingSeverityCounts); a seed can be changed at any time (a scan finishing).
"""

import hashlib
import json
import threading
import urllib.request

from .guard import assert_loopback
from .router import AwsError, json_response
from .server import Extension

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
TARGET = "AmazonEC2ContainerRegistry_V20150921.DescribeImageScanFindings"
ADMIN_PATH = "/_sandbox/ecr/scan-findings"
DESCRIPTIONS = {"COMPLETE": "The scan was completed successfully.", "IN_PROGRESS": "The scan is in progress.", "FAILED": "The scan failed."}


class ScanFindings(Extension):
    """Answers DescribeImageScanFindings for the images whose scan results were seeded; moto answers the rest."""

    name = "ecr-scans"

    def __init__(self):
        self._seeded = {}  # (region, repository, digest) -> {status, description, counts}
        self._answered = 0  # DescribeImageScanFindings answered from a seed (a test can wait for a look)
        self._lock = threading.Lock()

    def attach(self, sandbox, router):
        super().attach(sandbox, router)
        router.interceptors.append(self._intercept)
        router.admin[("POST", ADMIN_PATH)] = self._seed

    def reset(self):
        with self._lock:
            self._seeded.clear()
            self._answered = 0

    def status(self):
        with self._lock:
            return {"seeded": len(self._seeded), "answered": self._answered}

    def _seed(self, request):
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
            key = (body.get("region") or self.sandbox.region, body["repositoryName"], body["imageDigest"])
            status = body.get("status", "COMPLETE")
        except (ValueError, KeyError) as error:
            return AwsError("InvalidParameterException", "a seed needs repositoryName and imageDigest: %s" % error).response()
        with self._lock:
            self._seeded[key] = {
                "status": status,
                "description": body.get("description") or DESCRIPTIONS.get(status, status),
                "counts": dict(body.get("counts") or {}),
            }
        return json_response({"seeded": list(key)})

    def _intercept(self, request, region):
        if request.headers.get("X-Amz-Target") != TARGET:
            return None
        try:
            params = json.loads(request.get_data(cache=True) or b"{}")
        except ValueError:
            return None
        digest = (params.get("imageId") or {}).get("imageDigest")
        with self._lock:
            seeded = self._seeded.get((region, params.get("repositoryName"), digest))
            self._answered += seeded is not None
        if seeded is None:
            return None  # moto: ScanNotFoundException for an image never scanned
        findings = {"findingSeverityCounts": seeded["counts"], "findings": []} if seeded["status"] == "COMPLETE" else {}
        answer = {
            "registryId": params.get("registryId") or "123456789012",
            "repositoryName": params["repositoryName"],
            "imageId": {"imageDigest": digest},
            "imageScanStatus": {"status": seeded["status"], "description": seeded["description"]},
        }
        if findings:
            answer["imageScanFindings"] = findings
        return json_response(answer)


def registry_host(account="123456789012", region="us-east-1"):
    return f"{account}.dkr.ecr.{region}.amazonaws.com"


def push_image(aws, repository, tag, content=None):
    """Push an image as repository:tag (its one layer names `content`, by default the tag), creating the repository
    when missing; returns its digest. Other content pushed under the same tag is another image (another digest)."""
    ecr = aws("ecr")
    try:
        ecr.create_repository(repositoryName=repository)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    layer = "sha256:" + hashlib.sha256((content or tag).encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": layer},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1, "digest": layer}],
    }
    image = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageManifestMediaType=MANIFEST_TYPE, imageTag=tag)["image"]
    return image["imageId"]["imageDigest"]


def seed_scan_findings(endpoint, repository, digest, status="COMPLETE", counts=None, region="us-east-1"):
    """What ECR's scan of the image found: status COMPLETE (with {severity: count}), IN_PROGRESS or FAILED."""
    body = json.dumps({"region": region, "repositoryName": repository, "imageDigest": digest, "status": status, "counts": counts or {}}).encode()
    request = urllib.request.Request(assert_loopback(endpoint).rstrip("/") + ADMIN_PATH, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def scan_looks(endpoint):
    """How many DescribeImageScanFindings the sandbox answered from a seed so far."""
    with urllib.request.urlopen(assert_loopback(endpoint).rstrip("/") + "/_sandbox/status", timeout=10) as response:
        return json.loads(response.read())["extensions"]["ecr-scans"]["answered"]
