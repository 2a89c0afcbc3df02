"""What the data plane must serve, read through the public ELBv2 and ECS APIs only.

One discovery pass returns a Snapshot: the HTTP listeners of application load
balancers (with their live default actions), the stickiness of the target groups they
forward to, and the tasks each ECS task set (or service without task sets) runs behind
its target groups, with the version and behaviour its task definition asks for.
"""

import collections
import dataclasses
import re
import threading
import time

from botocore.exceptions import ClientError

from ..moto_fidelity import computed_desired_count
from . import rules

MIN_TASKS = 1
MAX_TASKS = 3  # enough to show round robin and stickiness; each task is a real local server

# Documented container environment variables that change how a sandbox task answers.
FAILURE_RATE_VARIABLE = "SANDBOX_FAILURE_RATE"
LATENCY_VARIABLE = "SANDBOX_LATENCY_MS"
MAX_LATENCY_MS = 30000.0  # below the proxy's upstream timeout, so slow tasks stay slow rather than 504
START_FAILURE_VARIABLE = "SANDBOX_START_FAILURE"  # crash | health-check | image-pull: no task of it ever runs
START_FAILURES = ("crash", "health-check", "image-pull")
EXIT_CODE_VARIABLE = "SANDBOX_EXIT_CODE"  # the exit code of a crash (1 by default)
START_SECONDS_VARIABLE = "SANDBOX_START_SECONDS"  # sandbox seconds a task takes to pass its health check
MAX_START_SECONDS = 7200.0

DEFAULT_COOKIE_SECONDS = 86400  # AWS's default for stickiness.lb_cookie.duration_seconds
ATTRIBUTES_TTL = 1.5  # real seconds a target group's stickiness attributes are trusted


@dataclasses.dataclass(frozen=True)
class Listener:
    arn: str
    load_balancer_arn: str
    load_balancer_name: str
    port: int
    actions: tuple  # the listener's DefaultActions as ELBv2 returns them
    rules: tuple = ()  # rules.Rule, in evaluation order, the default rule last


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """What one task of a task set serves behind one target group; any change means new tasks."""

    task_set_id: str
    service_arn: str
    target_group_arn: str
    container_name: str
    version: str
    failure_rate: float = 0.0
    latency_ms: float = 0.0
    task_definition_arn: str = ""
    image: str = ""
    start_failure: str = ""  # one of START_FAILURES, or "" for a task that starts
    exit_code: int = 1
    start_seconds: float = 0.0

    @property
    def target_group_name(self):
        return target_group_name(self.target_group_arn)


@dataclasses.dataclass
class Snapshot:
    listeners: dict  # listener arn -> Listener
    stickiness: dict  # target group arn -> cookie seconds, for target groups with lb_cookie stickiness on
    tasks: dict  # TaskSpec -> task count
    warnings: list


# --- ARNs and CloudWatch dimensions -------------------------------------------------------------


def arn_resource(arn):
    """The resource part of an ARN: 'targetgroup/blue/0123abcd' or 'loadbalancer/app/alb/0123abcd'."""
    return arn.split(":", 5)[5] if arn.count(":") >= 5 else arn


def target_group_dimension(arn):
    """CloudWatch's TargetGroup dimension: 'targetgroup/<name>/<id>', the ARN's suffix."""
    return arn_resource(arn)


def load_balancer_dimension(arn):
    """CloudWatch's LoadBalancer dimension: 'app/<name>/<id>', the ARN's suffix after 'loadbalancer/'."""
    resource = arn_resource(arn)
    return resource[len("loadbalancer/") :] if resource.startswith("loadbalancer/") else resource


def target_group_name(arn):
    parts = arn_resource(arn).split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "targetgroup" else arn


# --- task definitions ----------------------------------------------------------------------------


ECR_IMAGE_RE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repository>[^:@]+)(?::[^@]*)?@(?P<digest>sha256:[0-9a-f]{64})$"
)


def image_version(image, tags_of=None):
    """The version a container image names: its tag ('repo:v2' -> 'v2'), 'latest', or for an image pinned by digest
    the tag it had in ECR when first seen (tags_of(image) -> its tags), else the digest."""
    if "@" in image:
        tags = tags_of(image) if tags_of else None
        return sorted(tags)[0] if tags else image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]  # a registry host may carry a port: 'host:5000/app:v2'
    return last.split(":", 1)[1] if ":" in last else "latest"


def container_behaviour(container):
    """(failure_rate, latency_ms, problems) from the container's SANDBOX_* environment variables.

    A value that is not a number is reported and ignored, as an application would fall
    back to its default; numbers are clamped to their meaningful range.
    """
    environment = {item.get("name"): item.get("value") for item in container.get("environment") or []}
    problems = []
    failure_rate = _number(environment, FAILURE_RATE_VARIABLE, 0.0, 1.0, problems, container)
    latency_ms = _number(environment, LATENCY_VARIABLE, 0.0, MAX_LATENCY_MS, problems, container)
    return failure_rate, latency_ms, problems


def container_start(container):
    """(start_failure, exit_code, start_seconds, problems) from the container's SANDBOX_START_* variables.

    Like container_behaviour, a value it cannot use is reported and ignored.
    """
    environment = {item.get("name"): item.get("value") for item in container.get("environment") or []}
    problems = []
    failure = (environment.get(START_FAILURE_VARIABLE) or "").strip()
    if failure and failure not in START_FAILURES:
        problems.append(f"container {container.get('name')!r}: {START_FAILURE_VARIABLE}={failure!r} is not one of {', '.join(START_FAILURES)}; ignored")
        failure = ""
    exit_code = int(_number(environment, EXIT_CODE_VARIABLE, 0.0, 255.0, problems, container, default=1.0))
    start_seconds = _number(environment, START_SECONDS_VARIABLE, 0.0, MAX_START_SECONDS, problems, container)
    return failure, exit_code, start_seconds, problems


def _number(environment, name, low, high, problems, container, default=None):
    default = low if default is None else default
    raw = environment.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"container {container.get('name')!r}: {name}={raw!r} is not a number; ignored (use a number between {low:g} and {high:g})")
        return default
    if not low <= value <= high:
        problems.append(f"container {container.get('name')!r}: {name}={raw!r} is outside {low:g}..{high:g}; clamped")
    return min(max(value, low), high)


class DiscoveryCache:
    """What need not be read on every pass.

    Task definition revisions are immutable: each ARN is described once (bounded LRU).
    Target group attributes rarely change: stickiness is re-read every ATTRIBUTES_TTL seconds.
    """

    def __init__(self, size=256, attributes_ttl=None):
        self._size = size
        self._attributes_ttl = ATTRIBUTES_TTL if attributes_ttl is None else attributes_ttl
        self._definitions = collections.OrderedDict()  # task definition arn -> containers
        self._stickiness = {}  # target group arn -> (cookie seconds or None, monotonic time read)
        self._image_tags = {}  # ECR image pinned by digest -> its tags when first seen (what the image "is")
        self._lock = threading.Lock()

    def containers(self, ecs, arn):
        with self._lock:
            if arn in self._definitions:
                self._definitions.move_to_end(arn)
                return self._definitions[arn]
        containers = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"]
        with self._lock:
            self._definitions[arn] = containers
            while len(self._definitions) > self._size:
                self._definitions.popitem(last=False)
        return containers

    def image_tags(self, ecr, image):
        """The ECR tags of an image pinned by digest, read once (an image's content never changes; a tag moved
        to another image later does not change what this one runs); None when not in ECR."""
        with self._lock:
            if image in self._image_tags:
                return self._image_tags[image]
        match = ECR_IMAGE_RE.match(image)
        tags = None
        if match and ecr is not None:
            try:
                details = ecr.describe_images(
                    registryId=match.group("account"), repositoryName=match.group("repository"), imageIds=[{"imageDigest": match.group("digest")}]
                )["imageDetails"]
                tags = (details[0].get("imageTags") or None) if details else None
            except ClientError:
                tags = None
        with self._lock:
            self._image_tags[image] = tags
        return tags

    def stickiness(self, elbv2, target_group_arns):
        """Target group ARN -> cookie seconds, for the groups with target stickiness on."""
        now = time.monotonic()
        with self._lock:
            known = {arn: item for arn, item in self._stickiness.items() if arn in target_group_arns}
        stale = sorted(arn for arn in target_group_arns if arn not in known or now - known[arn][1] > self._attributes_ttl)
        fresh = {arn: (seconds, now) for arn, seconds in read_stickiness(elbv2, stale).items()}
        with self._lock:
            known.update(fresh)
            self._stickiness = known  # forgets groups no listener forwards to any more
        return {arn: seconds for arn, (seconds, _) in known.items() if seconds is not None}

    def clear(self):
        with self._lock:
            self._definitions.clear()
            self._stickiness = {}
            self._image_tags.clear()


# --- ELBv2 --------------------------------------------------------------------------------------


def discover_listeners(elbv2, ignored_load_balancers=frozenset()):
    """HTTP listeners of application load balancers, by ARN."""
    listeners = {}
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        for balancer in page["LoadBalancers"]:
            arn = balancer["LoadBalancerArn"]
            if balancer.get("Type", "application") != "application" or arn in ignored_load_balancers:
                continue
            try:
                found = _listeners_of(elbv2, arn)
            except ClientError as error:
                if _code(error) == "LoadBalancerNotFound":  # deleted during the pass
                    continue
                raise
            for item in found:
                if item.get("Protocol") == "HTTP":
                    listeners[item["ListenerArn"]] = Listener(
                        arn=item["ListenerArn"],
                        load_balancer_arn=arn,
                        load_balancer_name=balancer["LoadBalancerName"],
                        port=item["Port"],
                        actions=tuple(item.get("DefaultActions") or ()),
                        rules=listener_rules(elbv2, item["ListenerArn"], item.get("DefaultActions")),
                    )
    return listeners


def listener_rules(elbv2, listener_arn, default_actions=()):
    """The listener's rules in evaluation order (DescribeRules); its default actions alone if it is gone meanwhile."""
    try:
        described = [rule for page in elbv2.get_paginator("describe_rules").paginate(ListenerArn=listener_arn) for rule in page["Rules"]]
    except ClientError as error:
        if _code(error) == "ListenerNotFound":
            return rules.default_only(default_actions)
        raise
    return rules.from_described(described) if described else rules.default_only(default_actions)


def _listeners_of(elbv2, load_balancer_arn):
    found = []
    for page in elbv2.get_paginator("describe_listeners").paginate(LoadBalancerArn=load_balancer_arn):
        found.extend(page["Listeners"])
    return found


def stickiness_seconds(attributes):
    """Cookie lifetime when the target group has lb_cookie stickiness enabled, else None."""
    values = {item["Key"]: item["Value"] for item in attributes}
    if values.get("stickiness.enabled") != "true" or values.get("stickiness.type", "lb_cookie") != "lb_cookie":
        return None
    try:
        return int(values.get("stickiness.lb_cookie.duration_seconds", DEFAULT_COOKIE_SECONDS))
    except ValueError:
        return DEFAULT_COOKIE_SECONDS


def read_stickiness(elbv2, target_group_arns):
    """Target group ARN -> cookie seconds (None when target stickiness is off) for existing groups."""
    sticky = {}
    for arn in target_group_arns:
        try:
            attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
        except ClientError as error:
            if _code(error) == "TargetGroupNotFound":
                continue
            raise
        sticky[arn] = stickiness_seconds(attributes)
    return sticky


# --- ECS ----------------------------------------------------------------------------------------


def task_count(*counts):
    """The first positive count among (running, desired, ...), kept within MIN_TASKS..MAX_TASKS."""
    for count in counts:
        if count:
            return max(MIN_TASKS, min(MAX_TASKS, int(count)))
    return MIN_TASKS


def task_set_count(task_set, service):
    """What a task set should run: its computedDesiredCount (its running count follows the data plane's tasks)."""
    desired = task_set.get("computedDesiredCount")
    if desired is None:
        desired = computed_desired_count(service.get("desiredCount", 0), task_set.get("scale"))
    return task_count(desired)


def deployments_of(service):
    """What runs a service: its task sets, else its ECS deployments, else the service itself.

    Yields (id, task definition ARN, load balancers, task count). moto creates no task set
    for a CODE_DEPLOY service (the sandbox's engine creates the first one) and no deployment
    either: the service's own task definition serves its target group until then.
    """
    task_sets = [item for item in service.get("taskSets") or () if item.get("status") != "INACTIVE"]
    if task_sets:
        for task_set in task_sets:
            yield (task_set["id"], task_set["taskDefinition"], task_set.get("loadBalancers") or (), task_set_count(task_set, service))
        return
    deployments = [item for item in service.get("deployments") or () if item.get("status") in ("PRIMARY", "ACTIVE")]
    if deployments:
        for deployment in deployments:
            yield (
                deployment["id"],
                deployment["taskDefinition"],
                service.get("loadBalancers") or (),
                task_count(deployment.get("runningCount"), deployment.get("desiredCount")),
            )
        return
    if service.get("taskDefinition"):
        yield (
            f"service:{service['serviceName']}",
            service["taskDefinition"],
            service.get("loadBalancers") or (),
            task_count(service.get("runningCount"), service.get("desiredCount")),
        )


def services(ecs):
    """Every ECS service that is not INACTIVE, with its task sets."""
    for clusters in ecs.get_paginator("list_clusters").paginate():
        for cluster in clusters["clusterArns"]:
            try:
                arns = [arn for page in ecs.get_paginator("list_services").paginate(cluster=cluster) for arn in page["serviceArns"]]
            except ClientError as error:
                if _code(error) == "ClusterNotFoundException":  # deleted during the pass
                    continue
                raise
            for start in range(0, len(arns), 10):  # describe_services takes at most 10
                described = ecs.describe_services(cluster=cluster, services=arns[start : start + 10], include=["TASK_SETS"])
                for service in described["services"]:
                    if service.get("status") != "INACTIVE":
                        yield service


def task_specs(ecs, cache, ignored_target_groups=frozenset(), ecr=None, placements=None):
    """(TaskSpec -> count, warnings) for every task set with a target group.

    `placements` (ECS deployment id -> target group ARN) says where ECS's own blue/green
    deployments put a revision's tasks: green serves the alternate target group, not the
    service's loadBalancers[].targetGroupArn."""
    specs = {}
    placements = placements or {}
    warnings = []
    for service in services(ecs):
        for deployment_id, definition_arn, balancers, count in deployments_of(service):
            balancers = [item for item in balancers if item.get("targetGroupArn") and item["targetGroupArn"] not in ignored_target_groups]
            if not balancers:
                continue
            try:
                containers = {item["name"]: item for item in cache.containers(ecs, definition_arn)}
            except ClientError as error:
                warnings.append(f"{service['serviceName']}: cannot read task definition {definition_arn}: {error}")
                continue
            for balancer in balancers:
                container = containers.get(balancer.get("containerName"))
                if container is None:
                    warnings.append(
                        f"{service['serviceName']} ({deployment_id}): task definition {definition_arn} "
                        f"has no container "
                        f"named {balancer.get('containerName')!r} for target group "
                        f"{target_group_name(balancer['targetGroupArn'])}; no task serves it"
                    )
                    continue
                failure_rate, latency_ms, problems = container_behaviour(container)
                start_failure, exit_code, start_seconds, start_problems = container_start(container)
                warnings.extend(f"{definition_arn}: {problem}" for problem in problems + start_problems)
                spec = TaskSpec(
                    task_set_id=deployment_id,
                    service_arn=service["serviceArn"],
                    target_group_arn=placements.get(deployment_id) or balancer["targetGroupArn"],
                    container_name=container["name"],
                    version=image_version(container.get("image", ""), lambda image: cache.image_tags(ecr, image)),
                    failure_rate=failure_rate,
                    latency_ms=latency_ms,
                    task_definition_arn=definition_arn,
                    image=container.get("image", ""),
                    start_failure=start_failure,
                    exit_code=exit_code,
                    start_seconds=start_seconds,
                )
                specs[spec] = count
    return specs, warnings


# --- one pass -----------------------------------------------------------------------------------


def discover(elbv2, ecs, cache, ignored=frozenset(), ecr=None, placements=None):
    """One discovery pass. `ignored` holds ARNs of resources a reset removed (see DataPlane.reset);
    `placements` see task_specs."""
    listeners = discover_listeners(elbv2, ignored)
    forwarded = set()
    for listener in listeners.values():
        forwarded |= rules.forwarded_target_groups(listener.rules)
    stickiness = cache.stickiness(elbv2, forwarded - ignored)
    tasks, warnings = task_specs(ecs, cache, ignored, ecr, placements)
    return Snapshot(listeners=listeners, stickiness=stickiness, tasks=tasks, warnings=warnings)


def _code(error):
    return error.response.get("Error", {}).get("Code", "")
