# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Task definition derivation for a release: the live revision with one container changed.

Pure functions, no AWS calls: the module reads the live task definition, these decide
what the next revision is and whether it differs from what is live or in flight.
"""

import copy
import re

# What register_task_definition accepts; describe_task_definition also returns read-only
# keys (taskDefinitionArn, revision, status, requiresAttributes, compatibilities,
# registeredAt, registeredBy, deregisteredAt) that a new registration must not carry.
REGISTERABLE_KEYS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
)

# Docker's grammar: a tag is 1 to 128 of [A-Za-z0-9_.-], not starting with . or -; a reference has no spaces.
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
_ECR_HOST_RE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


class TaskDefinitionError(ValueError):
    """A release input that cannot be applied to the live task definition."""


def split_image(reference):
    """Split an image reference into (repository, tag, digest); tag or digest may be None.

    'repo:tag', 'host:5000/repo:tag' and 'repo@sha256:...' are all understood: a colon
    only separates a tag when it comes after the last slash.
    """
    reference = reference.strip()
    digest = None
    if "@" in reference:
        reference, digest = reference.split("@", 1)
    name_start = reference.rfind("/") + 1
    tag = None
    colon = reference.rfind(":")
    if colon >= name_start:
        reference, tag = reference[:colon], reference[colon + 1 :]
    return reference, tag, digest


def tag_problem(tag, option="image_tag"):
    """Why `tag` cannot be an image tag (None when it can)."""
    if _TAG_RE.fullmatch(tag or ""):
        return None
    return "%s %r is not an image tag: a tag is 1 to 128 letters, digits, '_', '.' or '-', and does not start with '.' or '-'." % (option, tag)


def image_problem(image, option="image"):
    """Why `image` cannot be an image reference (None when it can)."""
    repository, tag, digest = split_image(image or "")
    if not repository or any(char.isspace() for char in image) or repository != repository.lower():
        return "%s %r is not an image reference: REPOSITORY[:TAG][@sha256:DIGEST], lowercase repository, no spaces." % (option, image)
    if tag is not None and not _TAG_RE.fullmatch(tag):
        return tag_problem(tag, "the tag of %s" % option)
    if digest is not None and not _DIGEST_RE.fullmatch(digest):
        return "%s %r has a digest that is not sha256: followed by 64 hex digits." % (option, image)
    return None


def image_with_tag(current_image, tag):
    """The current image's repository with another tag (any digest pin is dropped)."""
    problem = tag_problem(tag)
    if problem:
        raise TaskDefinitionError(problem)
    repository, _tag, _digest = split_image(current_image)
    return "%s:%s" % (repository, tag)


def image_label(image):
    """What people call a version: the tag, else a short digest, else the reference."""
    repository, tag, digest = split_image(image)
    if tag:
        return tag
    if digest:
        return digest[:19]
    return repository


def ecr_repository(image):
    """(account, region, repository name) when the image lives in ECR, else None."""
    repository, _tag, _digest = split_image(image)
    host, _sep, name = repository.partition("/")
    match = _ECR_HOST_RE.match(host)
    if not match or not name:
        return None
    return match.group("account"), match.group("region"), name


def find_container(task_definition, container_name):
    for container in task_definition.get("containerDefinitions", []):
        if container.get("name") == container_name:
            return container
    names = ", ".join(c.get("name", "?") for c in task_definition.get("containerDefinitions", []))
    raise TaskDefinitionError(
        "Container '%s' is not in task definition %s (its containers: %s). Set container to one of them."
        % (container_name, task_definition_label(task_definition), names or "none")
    )


def container_ports(container):
    return [mapping.get("containerPort") for mapping in container.get("portMappings", []) if mapping.get("containerPort")]


def merge_environment(current, overrides):
    """The container environment with `overrides` applied: changed names keep their place, new ones are appended sorted."""
    overrides = dict((str(k), "" if v is None else str(v)) for k, v in (overrides or {}).items())
    merged = []
    seen = set()
    for item in current or []:
        name = item.get("name")
        seen.add(name)
        merged.append({"name": name, "value": overrides[name] if name in overrides else item.get("value", "")})
    for name in sorted(set(overrides) - seen):
        merged.append({"name": name, "value": overrides[name]})
    return merged


def joined_environment(environment, secret_environment):
    """environment and secret_environment as one set of variables; a name in both is a mistake to point out."""
    both = sorted(set(environment or {}) & set(secret_environment or {}))
    if both:
        raise TaskDefinitionError(
            "%s %s given in both environment and secret_environment: set each variable in one of them."
            % ("variables" if len(both) > 1 else "variable", ", ".join(both))
        )
    joined = dict(environment or {})
    joined.update(secret_environment or {})
    return joined


def registerable(task_definition):
    """The part of a described task definition that register_task_definition takes back."""
    return dict((key, copy.deepcopy(task_definition[key])) for key in REGISTERABLE_KEYS if task_definition.get(key) not in (None, [], {}))


def derive(live, container_name, image=None, environment=None):
    """The next revision: the live task definition with one container's image and environment changed.

    Returns the register_task_definition parameters (tags are added by the caller).
    """
    find_container(live, container_name)  # fails naming the live revision (family:revision)
    desired = registerable(live)
    container = find_container(desired, container_name)
    if image:
        problem = image_problem(image)
        if problem:
            raise TaskDefinitionError(problem)
        container["image"] = image
    if environment:
        container["environment"] = merge_environment(container.get("environment"), environment)
    return desired


def from_full_definition(given, family):
    """A task definition given in full by the user, in register_task_definition's (camelCase) shape."""
    desired = dict((key, copy.deepcopy(value)) for key, value in given.items() if key in REGISTERABLE_KEYS)
    unknown = sorted(set(given) - set(REGISTERABLE_KEYS) - set(("tags", "taskDefinitionArn", "revision", "status")))
    if unknown:
        raise TaskDefinitionError(
            "task_definition has keys register_task_definition does not take: %s. Use its camelCase names "
            "(containerDefinitions, executionRoleArn, ...)." % ", ".join(unknown)
        )
    desired.setdefault("family", family)
    if not desired.get("containerDefinitions"):
        raise TaskDefinitionError("task_definition needs containerDefinitions.")
    return desired


def _normalised_container(container):
    """A container definition with list order that ECS does not preserve made canonical."""
    normal = copy.deepcopy(container)
    if "environment" in normal:
        normal["environment"] = sorted(((e.get("name"), e.get("value", "")) for e in normal["environment"]))
    for key in list(normal):
        if normal[key] in (None, [], {}):
            del normal[key]
    return normal


def same_content(a, b):
    """Whether two task definitions (described or to be registered) would run the same thing.

    Keys only one side sets (ECS fills defaults such as cpu or volumes) count as equal
    when the other side leaves them empty, so a described revision equals its own input.
    """
    a, b = registerable(a), registerable(b)
    for key in set(a) | set(b):
        if key == "containerDefinitions":
            continue
        if key in a and key in b and a[key] != b[key]:
            return False
    containers_a = dict((c.get("name"), _normalised_container(c)) for c in a.get("containerDefinitions", []))
    containers_b = dict((c.get("name"), _normalised_container(c)) for c in b.get("containerDefinitions", []))
    if set(containers_a) != set(containers_b):
        return False
    for name, container in containers_a.items():
        other = containers_b[name]
        for key in set(container) | set(other):
            if key in container and key in other and container[key] != other[key]:
                return False
            # a key set on one side only matters for what a release changes
            if key in ("image", "environment") and (key in container) != (key in other):
                return False
    return True


def task_definition_label(task_definition):
    """'family:revision' (or the family alone before registration)."""
    if task_definition.get("revision"):
        return "%s:%s" % (task_definition.get("family"), task_definition["revision"])
    arn = task_definition.get("taskDefinitionArn")
    if arn:
        return arn.rsplit("/", 1)[-1]
    return task_definition.get("family", "?")


def arn_label(arn):
    return arn.rsplit("/", 1)[-1] if arn else arn


def container_image(task_definition, container_name):
    return find_container(task_definition, container_name).get("image")
