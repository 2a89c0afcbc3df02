"""Where moto answers differently from AWS, the sandbox patches moto's models, once per process.

Each patch names what AWS answers and what moto did instead. They run in the sandbox's own
process (moto is served in-process), before the first request.
"""

import math
import threading

_applied = False
_lock = threading.Lock()
_running = {}  # task set or deployment id -> tasks the data plane runs for it
_sample_cap = [None]  # the data plane runs at most this many real tasks for one task set


def apply():
    global _applied
    with _lock:
        if _applied:
            return
        _task_definitions_say_when_they_were_registered()
        _task_definitions_list_sorted_and_paged()
        _task_sets_and_services_count_their_tasks()
        _task_sets_stabilize_once_their_tasks_run()
        _tasks_listed_by_service_and_running_by_default()
        _new_alarms_start_with_insufficient_data()
        _target_groups_answer_every_default_attribute()
        _services_keep_their_health_check_grace_period()
        _clusters_count_their_services()
        _tasks_without_security_groups_get_their_vpcs_default()
        _target_groups_know_the_load_balancers_that_forward_to_them()
        _images_keep_their_digest_when_their_tag_moves()
        _applied = True


def report_running(counts, cap=None):
    """The data plane's running tasks by task set (or deployment) id, after each reconcile; it runs at
    most `cap` real tasks for one, standing for all of its desired count."""
    with _lock:
        _running.clear()
        _running.update(counts)
        _sample_cap[0] = cap


def counting_tasks():
    """Whether a data plane reports its tasks (then a task set whose tasks do not run is STABILIZING)."""
    with _lock:
        return _sample_cap[0] is not None


def running(task_set_id, desired):
    """How many of `desired` tasks run: all once the data plane runs its sample of them."""
    with _lock:
        count, cap = _running.get(task_set_id, 0), _sample_cap[0]
    if count >= (desired if cap is None else min(desired, cap)):
        return desired
    return count


def _task_definitions_say_when_they_were_registered():
    """AWS answers registeredAt and registeredBy on every task definition; moto leaves both out."""
    import moto.ecs.models as ecs_models
    from moto.core.utils import utcnow

    original = ecs_models.TaskDefinition.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.registered_at = utcnow()
        account = self.arn.split(":")[4]
        self.registered_by = f"arn:aws:iam::{account}:root"

    ecs_models.TaskDefinition.__init__ = __init__


def _task_definitions_list_sorted_and_paged():
    """ListTaskDefinitions as AWS answers it: sorted by family and revision (sort ASC or DESC), maxResults a page
    with a nextToken; moto returns every ARN in insertion order and ignores both."""
    from moto.core.responses import ActionResult
    from moto.ecs.responses import EC2ContainerServiceResponse

    def list_task_definitions(self):
        arns = self.ecs_backend.list_task_definitions(self._get_param("familyPrefix"), self._get_param("status", "ACTIVE"))

        def order(arn):
            family, revision = arn.rsplit("/", 1)[-1].rsplit(":", 1)
            return family, int(revision)

        arns = sorted(arns, key=order, reverse=self._get_param("sort", "ASC") == "DESC")
        start = int(self._get_param("nextToken") or 0)
        size = int(self._get_param("maxResults") or 100)
        page = {"taskDefinitionArns": arns[start : start + size]}
        if start + size < len(arns):
            page["nextToken"] = str(start + size)
        return ActionResult(page)

    EC2ContainerServiceResponse.list_task_definitions = list_task_definitions


def computed_desired_count(desired_count, scale):
    """AWS: the service's desiredCount times the task set's scale percentage, always rounded up."""
    scale = scale or {}
    if scale.get("unit", "PERCENT") != "PERCENT" or scale.get("value") is None:
        return desired_count
    return math.ceil(desired_count * float(scale["value"]) / 100.0 - 1e-9)


def _task_sets_and_services_count_their_tasks():
    """AWS answers computedDesiredCount, runningCount and pendingCount on every task set, and a service's
    runningCount and pendingCount follow its tasks as they start; moto leaves the task set counts out and
    keeps a service at runningCount 0 (MOTO_ECS_SERVICE_RUNNING). Here the counts are the data plane's
    real tasks: a task is running once its HTTP server listens."""
    import moto.ecs.models as ecs_models

    original_create = ecs_models.EC2ContainerServiceBackend.create_task_set

    def create_task_set(self, *args, **kwargs):
        task_set = original_create(self, *args, **kwargs)
        task_set.owner = next((service for service in self.services.values() if task_set in service.task_sets), None)
        return task_set

    ecs_models.EC2ContainerServiceBackend.create_task_set = create_task_set

    def task_set_desired(self):
        owner = getattr(self, "owner", None)
        return computed_desired_count(owner.desired_count if owner is not None else 0, self.scale)

    def task_set_running(self):
        return running(self.id, task_set_desired(self))

    def task_set_pending(self):
        return max(0, task_set_desired(self) - task_set_running(self))

    ecs_models.TaskSet.computed_desired_count = property(task_set_desired)
    ecs_models.TaskSet.running_count = property(task_set_running)
    ecs_models.TaskSet.pending_count = property(task_set_pending)

    # moto reads both while Service.__init__ is still running: task sets and deployments may not exist yet
    def service_running(self):
        task_sets = getattr(self, "task_sets", None)
        if task_sets:
            return sum(task_set_running(task_set) for task_set in task_sets)
        ids = [deployment["id"] for deployment in getattr(self, "deployments", None) or ()] + [f"service:{self.name}"]
        return min(self.desired_count, sum(running(task_id, self.desired_count) for task_id in ids))

    def service_pending(self):
        task_sets = getattr(self, "task_sets", None)
        if task_sets:
            return sum(task_set_pending(task_set) for task_set in task_sets)
        return max(0, self.desired_count - service_running(self))

    # moto assigns both in places (create, update, delete); what it writes is ignored
    ecs_models.Service.running_count = property(service_running, lambda self, value: None)
    ecs_models.Service.pending_count = property(service_pending, lambda self, value: None)


def _task_sets_stabilize_once_their_tasks_run():
    """AWS: a task set is STABILIZING until its running count reaches its computed desired count (tasks
    healthy in their target group), then STEADY_STATE; moto answers STEADY_STATE from creation. Without a
    data plane reporting tasks (an engine-only sandbox), moto's answer stands."""
    import moto.ecs.models as ecs_models

    def stability(self):
        if counting_tasks() and self.running_count < self.computed_desired_count:
            return "STABILIZING"
        return "STEADY_STATE"

    ecs_models.TaskSet.stabilityStatus = property(stability, lambda self, value: None)


def _tasks_listed_by_service_and_running_by_default():
    """AWS's ListTasks filters by serviceName (the service's tasks are in group 'service:<name>') and, without
    desiredStatus, lists RUNNING tasks only; moto ignores serviceName and lists tasks of every status."""
    import moto.ecs.models as ecs_models

    original = ecs_models.EC2ContainerServiceBackend.list_tasks

    def list_tasks(self, cluster_str=None, container_instance=None, family=None, started_by=None, service_name=None, desiredStatus=None):
        tasks = original(self, cluster_str, container_instance, family, started_by, None, desiredStatus or "RUNNING")
        if service_name:
            name = service_name.rsplit("/", 1)[-1]
            tasks = [task for task in tasks if getattr(task, "group", None) == f"service:{name}"]
        return tasks

    ecs_models.EC2ContainerServiceBackend.list_tasks = list_tasks


def _new_alarms_start_with_insufficient_data():
    """AWS: a new alarm is INSUFFICIENT_DATA ("Unchecked: Initial alarm creation") until evaluated, and
    PutMetricAlarm on an existing alarm leaves its state unchanged; moto starts every put at OK."""
    import moto.cloudwatch.models as cloudwatch_models

    original = cloudwatch_models.CloudWatchBackend.put_metric_alarm

    def put_metric_alarm(self, name, *args, **kwargs):
        previous = self.alarms.get(name)
        alarm = original(self, name, *args, **kwargs)
        if previous is None:
            alarm.state_value = "INSUFFICIENT_DATA"
        else:
            alarm.state_value, alarm.state_reason = previous.state_value, previous.state_reason
            alarm.state_reason_data, alarm.state_updated_timestamp = previous.state_reason_data, previous.state_updated_timestamp
        return alarm

    cloudwatch_models.CloudWatchBackend.put_metric_alarm = put_metric_alarm


# What DescribeTargetGroupAttributes answers on AWS for an HTTP(S) target group nobody changed.
HTTP_TARGET_GROUP_DEFAULTS = {
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400",
    "load_balancing.algorithm.anomaly_mitigation": "off",
}


def _target_groups_answer_every_default_attribute():
    """AWS lists every attribute of a target group with its default; moto leaves out the lb_cookie and
    app_cookie durations until someone sets them (and amazon.aws elb_target_group then fails comparing a
    changed duration against the missing one)."""
    import moto.elbv2.models as elbv2_models

    original = elbv2_models.FakeTargetGroup.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.protocol in ("HTTP", "HTTPS"):
            for key, value in HTTP_TARGET_GROUP_DEFAULTS.items():
                self.attributes.setdefault(key, value)

    elbv2_models.FakeTargetGroup.__init__ = __init__


def _services_keep_their_health_check_grace_period():
    """AWS keeps CreateService's healthCheckGracePeriodSeconds and deploymentConfiguration and answers
    them; moto drops both at creation (UpdateService's values it keeps)."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = original(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        grace = self._get_param("healthCheckGracePeriodSeconds")
        if grace is not None:
            service.health_check_grace_period_seconds = grace
        # AWS keeps deploymentConfiguration too (strategy, bake time, alarms, hooks); moto drops it at creation
        configuration = self._get_param("deploymentConfiguration")
        if configuration is not None:
            service.deployment_configuration = configuration
        return result

    EC2ContainerServiceResponse.create_service = create_service


def _clusters_count_their_services():
    """AWS answers a cluster's activeServicesCount and its services' running and pending tasks, and refuses
    DeleteCluster while services are ACTIVE or DRAINING (ClusterContainsServicesException); moto answers 0
    services, task counts that drift below 0 as services scale and go, and deletes the cluster under them."""
    import moto.ecs.models as ecs_models
    from moto.ecs.exceptions import ECSException

    def active_services(backend, cluster):
        return [s for s in backend.services.values() if s.cluster_arn == cluster.arn and s.status in ("ACTIVE", "DRAINING")]

    original_describe = ecs_models.EC2ContainerServiceBackend.describe_clusters

    def describe_clusters(self, *args, **kwargs):
        clusters, failures = original_describe(self, *args, **kwargs)
        for cluster in clusters:
            services = active_services(self, cluster)
            cluster.active_services_count = len([s for s in services if s.status == "ACTIVE"])
            cluster.running_tasks_count = sum(s.running_count for s in services)
            cluster.pending_tasks_count = sum(s.pending_count for s in services)
        return clusters, failures

    original_delete = ecs_models.EC2ContainerServiceBackend.delete_cluster

    def delete_cluster(self, cluster_str):
        if active_services(self, self._get_cluster(cluster_str)):
            raise ECSException("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
        return original_delete(self, cluster_str)

    ecs_models.EC2ContainerServiceBackend.describe_clusters = describe_clusters
    ecs_models.EC2ContainerServiceBackend.delete_cluster = delete_cluster


def _tasks_without_security_groups_get_their_vpcs_default():
    """AWS takes an awsvpcConfiguration without securityGroups and uses the default security group of the
    subnets' VPC; moto fails with a KeyError (HTTP 500)."""
    import moto.ecs.models as ecs_models
    from moto.ec2.models import ec2_backends

    original = ecs_models.Service._validate_network

    def _validate_network(self, nc):
        vpc_config = (nc or {}).get("awsvpcConfiguration") or {}
        if vpc_config.get("subnets") and not vpc_config.get("securityGroups"):
            ec2 = ec2_backends[self._account_id][self.region_name]
            subnets = ec2.describe_subnets(subnet_ids=vpc_config["subnets"])
            defaults = ec2.describe_security_groups(filters={"vpc-id": [subnets[0].vpc_id], "group-name": ["default"]}) if subnets else []
            vpc_config["securityGroups"] = [group.id for group in defaults]
        return original(self, nc)

    ecs_models.Service._validate_network = _validate_network


def _target_groups_know_the_load_balancers_that_forward_to_them():
    """AWS lists a load balancer in a target group's LoadBalancerArns (once) as soon as one of its listeners
    or rules forwards to the group, including a listener changed to forward to it later (the weights CodeDeploy
    moves); moto adds it only at CreateListener and CreateRule (CreateRule once more each time)."""
    import moto.elbv2.models as elbv2_models

    backend_class = elbv2_models.ELBv2Backend

    def register(backend, load_balancer_arn, actions):
        for action in actions or []:
            if action.type != "forward":
                continue
            for arn in backend._get_target_group_arns_from(action_data=action.data):
                group = backend.target_groups.get(arn)
                if group is not None and load_balancer_arn not in group.load_balancer_arns:
                    group.load_balancer_arns.append(load_balancer_arn)

    def once(backend):
        for group in backend.target_groups.values():
            group.load_balancer_arns[:] = list(dict.fromkeys(group.load_balancer_arns))

    original_listener = backend_class.modify_listener

    def modify_listener(self, arn, *args, **kwargs):
        listener = original_listener(self, arn, *args, **kwargs)
        register(self, listener.load_balancer_arn, listener.default_actions)
        return listener

    original_rule = backend_class.create_rule

    def create_rule(self, *args, **kwargs):
        rule = original_rule(self, *args, **kwargs)
        once(self)
        return rule

    backend_class.modify_listener = modify_listener
    backend_class.create_rule = create_rule


def _images_keep_their_digest_when_their_tag_moves():
    """AWS moves a mutable tag pushed again with other content to the new image and keeps the old one,
    untagged, readable by its digest (what a task definition pinned to it runs); moto deletes it."""
    import moto.ecr.models as ecr_models

    backend_class = ecr_models.ECRBackend
    original = backend_class.put_image

    def put_image(self, repository_name, image_manifest, image_tag, *args, **kwargs):
        repository = self.repositories.get(repository_name)
        displaced = []
        if repository is not None and image_tag:
            displaced = [image for image in repository.images if image.image_tags == [image_tag] and image.image_manifest != image_manifest]
        image = original(self, repository_name, image_manifest, image_tag, *args, **kwargs)
        for old in displaced:
            if old not in repository.images:
                old.image_tags, old.image_tag = [], None
                repository.images.append(old)
        return image

    backend_class.put_image = put_image
