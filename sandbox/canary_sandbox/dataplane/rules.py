"""A listener's rules, as an application load balancer evaluates them (pure, no AWS calls).

AWS evaluates a listener's rules in priority order (lowest first) and acts on the first whose
conditions all match; the default rule (no conditions) comes last. Within one condition any
of its values may match. ECS's own blue/green, linear and canary deployments move traffic by
changing the weights of a rule's forward action, so the data plane answers by rule.

Conditions evaluated: path-pattern, host-header, http-request-method, http-header,
query-string and source-ip. A condition of any other field never matches (the rule is skipped).
"""

import dataclasses
import fnmatch
import ipaddress
import math
import urllib.parse

LISTENER_RULE = ":listener-rule/"


@dataclasses.dataclass(frozen=True)
class Rule:
    priority: float  # math.inf for the default rule
    conditions: tuple
    actions: tuple


def default_only(actions):
    """The rules of a listener known only by its default actions."""
    return (Rule(math.inf, (), tuple(actions or ())),)


def from_described(described):
    """Rules from DescribeRules' Rules, in evaluation order (the default rule last)."""
    rules = []
    for item in described:
        priority = math.inf if item.get("IsDefault") or item.get("Priority") == "default" else float(item.get("Priority") or math.inf)
        rules.append(Rule(priority, tuple(item.get("Conditions") or ()), tuple(item.get("Actions") or ())))
    return tuple(sorted(rules, key=lambda rule: rule.priority))


def listener_of_rule(rule_arn):
    """The listener ARN a rule ARN belongs to: .../listener-rule/app/lb/ID/LISTENER/RULE -> .../listener/app/lb/ID/LISTENER."""
    if LISTENER_RULE not in (rule_arn or ""):
        return None
    return rule_arn.replace(LISTENER_RULE, ":listener/", 1).rsplit("/", 1)[0]


def actions_for(rules, method="GET", target="/", headers=None, source="127.0.0.1"):
    """The actions of the first rule whose conditions all match the request; () when none does."""
    request = _Request(method, target, headers or {}, source)
    for rule in rules or ():
        if all(_matches(condition, request) for condition in rule.conditions):
            return rule.actions
    return ()


def forwarded_target_groups(rules):
    arns = set()
    for rule in rules:
        for action in rule.actions:
            if action.get("Type") != "forward":
                continue
            if action.get("TargetGroupArn"):
                arns.add(action["TargetGroupArn"])
            for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or ():
                arns.add(group["TargetGroupArn"])
    return arns


class _Request:
    def __init__(self, method, target, headers, source):
        parts = urllib.parse.urlsplit(target or "/")
        self.method = (method or "GET").upper()
        self.path = parts.path or "/"
        self.query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        self.headers = {str(name).lower(): str(value) for name, value in dict(headers).items()}
        self.host = self.headers.get("host", "").split(":", 1)[0]
        self.source = source


def _glob(pattern, value, case_sensitive):
    # ALB wildcards are * and ?; [ ] are literal characters there
    pattern = pattern.replace("[", "[[]")
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _values(condition, config_key, value_key="Values"):
    config = condition.get(config_key) or {}
    return list(config.get(value_key) or condition.get("Values") or ())


def _matches(condition, request):
    field = condition.get("Field")
    if field == "path-pattern":
        return any(_glob(pattern, request.path, True) for pattern in _values(condition, "PathPatternConfig"))
    if field == "host-header":
        return any(_glob(pattern, request.host, False) for pattern in _values(condition, "HostHeaderConfig"))
    if field == "http-request-method":
        return request.method in [value.upper() for value in _values(condition, "HttpRequestMethodConfig")]
    if field == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        value = request.headers.get(str(config.get("HttpHeaderName", "")).lower())
        return value is not None and any(_glob(pattern, value, False) for pattern in config.get("Values") or ())
    if field == "query-string":
        pairs = (condition.get("QueryStringConfig") or {}).get("Values") or ()
        return any(
            any((pair.get("Key") is None or _glob(pair["Key"], key, False)) and _glob(pair.get("Value", "*"), value, False) for key, value in request.query)
            for pair in pairs
        )
    if field == "source-ip":
        try:
            address = ipaddress.ip_address(request.source)
            return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in _values(condition, "SourceIpConfig"))
        except ValueError:
            return False
    return False
