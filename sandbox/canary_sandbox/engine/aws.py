"""What the deployment engine does to ECS and ELBv2, through their public APIs only.

Every function takes boto3 clients bound to the sandbox itself, so the engine changes
task sets and listener weights exactly as CodeDeploy does on AWS, and moto (or the data
plane) sees the same calls a real account would.
"""

from .traffic import weights


class EngineError(Exception):
    """A deployment failure with the CodeDeploy ErrorCode AWS would record."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class Target:
    """The resources of one ECS blue/green deployment group, resolved to ARNs."""

    def __init__(self, group, elbv2):
        services = group.get("ecsServices") or []
        pairs = (group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or []
        if not services:
            raise EngineError("INVALID_ECS_SERVICE", f"Deployment group {group.get('deploymentGroupName')} names no ECS service.")
        if not pairs:
            raise EngineError(
                "MISSING_ELB_INFORMATION",
                f"Deployment group {group.get('deploymentGroupName')} has no target group pair (loadBalancerInfo.targetGroupPairInfoList).",
            )
        self.cluster = services[0]["clusterName"]
        self.service = services[0]["serviceName"]
        pair = pairs[0]
        names = [target_group["name"] for target_group in pair.get("targetGroups", [])]
        if len(names) != 2:
            raise EngineError("ELASTIC_LOAD_BALANCING_INVALID", "The target group pair must name exactly two target groups.")
        self.target_group_names = names
        self.target_group_arns = _target_group_arns(elbv2, names)
        self.prod_listeners = list((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [])
        self.test_listeners = list((pair.get("testTrafficRoute") or {}).get("listenerArns") or [])
        if not self.prod_listeners:
            raise EngineError("ELASTIC_LOAD_BALANCING_INVALID", "The target group pair has no production listener (prodTrafficRoute).")

    @property
    def target_id(self):
        return f"{self.cluster}:{self.service}"

    def name_of(self, arn):
        return self.target_group_names[self.target_group_arns.index(arn)]


def _target_group_arns(elbv2, names):
    try:
        found = elbv2.describe_target_groups(Names=names)["TargetGroups"]
    except Exception as error:
        raise EngineError("ELASTIC_LOAD_BALANCING_INVALID", f"The deployment group's target groups {', '.join(names)} could not be read: {error}") from None
    by_name = {target_group["TargetGroupName"]: target_group["TargetGroupArn"] for target_group in found}
    return [by_name[name] for name in names]


# --- listeners -------------------------------------------------------------------------


def listener_actions(elbv2, listener_arn):
    listeners = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
    return listeners[0]["DefaultActions"]


def forward_weights(actions):
    """{target group ARN: weight} of a listener's forward action (a plain forward is weight 1)."""
    for action in actions:
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            return {group["TargetGroupArn"]: group.get("Weight", 1) for group in groups}
        if action.get("TargetGroupArn"):
            return {action["TargetGroupArn"]: 1}
    return {}


def live_target_group(elbv2, target):
    """The pair's target group the production listener sends traffic to (the larger weight > 0)."""
    current = forward_weights(listener_actions(elbv2, target.prod_listeners[0]))
    candidates = [(current.get(arn, 0), arn) for arn in target.target_group_arns]
    weight, arn = max(candidates)
    if weight <= 0:
        raise EngineError(
            "ELASTIC_LOAD_BALANCING_INVALID",
            f"The production listener {target.prod_listeners[0]} forwards to neither target group of the pair "
            f"({', '.join(target.target_group_names)}): point its default action at one of them.",
        )
    return arn


def route(elbv2, listener_arn, original_arn, replacement_arn, green_percent):
    """Forward a listener to the pair with weights (AWS keeps both groups in the ForwardConfig)."""
    original, replacement = weights(green_percent)
    elbv2.modify_listener(
        ListenerArn=listener_arn,
        DefaultActions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": original_arn, "Weight": original},
                        {"TargetGroupArn": replacement_arn, "Weight": replacement},
                    ]
                },
            }
        ],
    )


def restore_actions(elbv2, listener_arn, actions):
    """Put back a listener's default actions as read before the deployment touched them."""
    cleaned = []
    for action in actions:
        action = dict(action)
        if action.get("ForwardConfig") and action.get("TargetGroupArn"):
            action.pop("TargetGroupArn")  # ELBv2 rejects both forms in one action
        cleaned.append(action)
    elbv2.modify_listener(ListenerArn=listener_arn, DefaultActions=cleaned)


# --- task sets -------------------------------------------------------------------------


def describe_service(ecs, target):
    services = ecs.describe_services(cluster=target.cluster, services=[target.service])["services"]
    if not services or services[0].get("status") != "ACTIVE":
        raise EngineError("INVALID_ECS_SERVICE", f"ECS service {target.service} in cluster {target.cluster} does not exist or is not ACTIVE.")
    service = services[0]
    if (service.get("deploymentController") or {}).get("type") != "CODE_DEPLOY":
        raise EngineError(
            "INVALID_ECS_SERVICE",
            f"ECS service {target.service} does not use the CODE_DEPLOY deployment controller; CodeDeploy cannot deploy to it.",
        )
    return service


def task_sets(ecs, target):
    return ecs.describe_task_sets(cluster=target.cluster, service=target.service)["taskSets"]


def primary_task_set(sets):
    for task_set in sets:
        if task_set.get("status") == "PRIMARY":
            return task_set
    return None


def create_task_set(
    ecs, cluster, service, task_definition, load_balancer, network, launch_type=None, platform_version=None, capacity_provider_strategy=None, external_id=None
):
    """A task set at 100 % of the service's desired count behind one target group."""
    arguments = {
        "cluster": cluster,
        "service": service,
        "taskDefinition": task_definition,
        "loadBalancers": [load_balancer],
        "scale": {"value": 100.0, "unit": "PERCENT"},
    }
    if network:
        arguments["networkConfiguration"] = network
    if capacity_provider_strategy:
        arguments["capacityProviderStrategy"] = capacity_provider_strategy
    elif launch_type:
        arguments["launchType"] = launch_type
    if platform_version:
        arguments["platformVersion"] = platform_version
    if external_id:
        arguments["externalId"] = external_id
    return ecs.create_task_set(**arguments)["taskSet"]


def ensure_primary_task_set(ecs, cluster, service_description):
    """Create the PRIMARY task set AWS creates with a CODE_DEPLOY service (moto does not).

    It runs the service's task definition behind the service's load balancer (the blue
    target group). Returns the task set created, or None if the service already has one.
    """
    if service_description.get("taskSets"):
        return None
    load_balancers = service_description.get("loadBalancers") or []
    if not load_balancers or not service_description.get("taskDefinition"):
        return None
    task_set = create_task_set(
        ecs,
        cluster,
        service_description["serviceName"],
        service_description["taskDefinition"],
        load_balancers[0],
        service_description.get("networkConfiguration"),
        launch_type=service_description.get("launchType"),
        platform_version=service_description.get("platformVersion"),
        capacity_provider_strategy=service_description.get("capacityProviderStrategy"),
    )
    ecs.update_service_primary_task_set(cluster=cluster, service=service_description["serviceName"], primaryTaskSet=task_set["taskSetArn"])
    return task_set


def delete_task_set(ecs, target, task_set_arn):
    ecs.delete_task_set(cluster=target.cluster, service=target.service, taskSet=task_set_arn, force=True)


def make_primary(ecs, target, task_set_arn):
    ecs.update_service_primary_task_set(cluster=target.cluster, service=target.service, primaryTaskSet=task_set_arn)


# --- alarms ----------------------------------------------------------------------------


def alarm_states(cloudwatch, names):
    """{alarm name: state} in one DescribeAlarms call; missing alarms are absent."""
    found = cloudwatch.describe_alarms(AlarmNames=list(names), AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    states = {}
    for kind in ("MetricAlarms", "CompositeAlarms"):
        for alarm in found.get(kind, []):
            states[alarm["AlarmName"]] = alarm["StateValue"]
    return states
