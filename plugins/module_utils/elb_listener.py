# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An ALB listener whose traffic belongs to CodeDeploy (or ECS) once it exists.

CodeDeploy moves an ECS blue/green release by rewriting the production listener's
default action (the target group pair and their weights); ECS's own blue/green, linear and
canary deployments rewrite the weights of a listener rule instead (the weighted rule). Whoever provisions the
listener must therefore set that action once, at creation, and never again: a
re-run that "corrects" it would move live traffic back to a group that may now be
drained. Everything else on the listener (protocol, certificates, TLS policy, tags)
still belongs to the playbook and is corrected on every run.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, boto3_tag_list_to_ansible_dict

from ansible_collections.canary.ecs.plugins.module_utils.tags import reconcile_tags


def forward_action(target_group_arn):
    """The default action of a new listener: everything to one target group."""
    return [
        {
            "Type": "forward",
            "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": target_group_arn, "Weight": 1}]},
        }
    ]


def weighted_actions(target_group_arn, alternate_target_group_arn):
    """A weighted rule's action at creation: everything to the target group, nothing yet to the alternate one."""
    return [
        {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": target_group_arn, "Weight": 100}, {"TargetGroupArn": alternate_target_group_arn, "Weight": 0}]
            },
        }
    ]


def rule_problem(rule, target_group_arn, alternate_target_group_arn):
    """A sentence when a weighted rule does not forward to both target groups (ECS needs both), else None."""
    groups = forwarded_target_groups({"DefaultActions": rule.get("Actions")})
    if target_group_arn in groups and alternate_target_group_arn in groups:
        return None
    return "rule %s (priority %s) forwards to %s; ECS's deployments need it to forward to both %s and %s by weight" % (
        rule["RuleArn"],
        rule.get("Priority"),
        ", ".join(sorted(groups)) or "nothing",
        target_group_arn,
        alternate_target_group_arn,
    )


def forwarded_target_groups(listener):
    """{target group ARN: weight} the listener's default forward action sends traffic to."""
    groups = {}
    for action in listener.get("DefaultActions") or []:
        if action.get("Type") != "forward":
            continue
        config = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if config:
            for group in config:
                groups[group["TargetGroupArn"]] = group.get("Weight", 1)
        elif action.get("TargetGroupArn"):
            groups[action["TargetGroupArn"]] = 1
    return groups


def owned_settings(listener):
    """The part of a described listener this module manages (never the actions)."""
    settings = {"Protocol": listener.get("Protocol")}
    if listener.get("Protocol") == "HTTPS":
        settings["SslPolicy"] = listener.get("SslPolicy")
        settings["Certificates"] = sorted(cert["CertificateArn"] for cert in listener.get("Certificates") or [])
    return settings


def desired_settings(params):
    settings = {"Protocol": params["protocol"]}
    if params["protocol"] == "HTTPS":
        settings["SslPolicy"] = params["ssl_policy"]
        settings["Certificates"] = sorted(params["certificates"] or [])
    return settings


def settings_update(current, desired):
    """modify_listener arguments that bring current to desired, or {} when nothing differs.

    An unset SslPolicy means "keep what AWS chose", so it is only compared when given.
    """
    update = {}
    for key, value in desired.items():
        if value is None:
            continue
        if current.get(key) != value:
            update[key] = value
    if "Certificates" in update:
        update["Certificates"] = [{"CertificateArn": arn} for arn in update["Certificates"]]
    if update and desired["Protocol"] == "HTTPS":
        # AWS wants the protocol restated with TLS changes.
        update["Protocol"] = "HTTPS"
    return update


def traffic_drift(listener, target_group_arn):
    """A sentence when the listener no longer sends anything to target_group_arn, else None.

    After a release this is expected (the other group is live); the module reports it
    and leaves it alone.
    """
    groups = forwarded_target_groups(listener)
    live = [arn for arn, weight in groups.items() if weight]
    if target_group_arn in live:
        return None
    return "listener on port %s forwards to %s, not to the initial target group %s (CodeDeploy owns the traffic after a release)" % (
        listener.get("Port"),
        ", ".join(sorted(live)) or "nothing",
        target_group_arn,
    )


class ListenerClient:
    """The ELBv2 calls the module makes, with the module's retrying client."""

    def __init__(self, module, client):
        self.module = module
        self.client = client

    def load_balancer_arn(self, name, missing_ok=False):
        try:
            found = self.client.describe_load_balancers(aws_retry=True, Names=[name])["LoadBalancers"]
        except is_boto3_error_code("LoadBalancerNotFound"):
            if missing_ok:
                return None
            self.module.fail_json(msg="Load balancer %s does not exist: create it first (amazon.aws.elb_application_lb)." % name)
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not describe load balancer %s" % name)
        return found[0]["LoadBalancerArn"]

    def target_group_arn(self, name):
        try:
            found = self.client.describe_target_groups(aws_retry=True, Names=[name])["TargetGroups"]
        except is_boto3_error_code("TargetGroupNotFound"):
            self.module.fail_json(msg="Target group %s does not exist: create it first (community.aws.elb_target_group)." % name)
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not describe target group %s" % name)
        return found[0]["TargetGroupArn"]

    def find(self, load_balancer_arn, port):
        """The listener on that port, or None. Pages by Marker (an ALB has at most 50)."""
        kwargs = dict(LoadBalancerArn=load_balancer_arn)
        try:
            while True:
                page = self.client.describe_listeners(aws_retry=True, **kwargs)
                for listener in page["Listeners"]:
                    if listener["Port"] == port:
                        return listener
                if not page.get("NextMarker"):
                    return None
                kwargs["Marker"] = page["NextMarker"]
        except is_boto3_error_code("LoadBalancerNotFound"):
            return None
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not list the listeners of %s" % load_balancer_arn)

    def tags(self, listener_arn):
        try:
            descriptions = self.client.describe_tags(aws_retry=True, ResourceArns=[listener_arn])["TagDescriptions"]
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not read the tags of listener %s" % listener_arn)
        return boto3_tag_list_to_ansible_dict(descriptions[0]["Tags"]) if descriptions else {}

    def create(self, load_balancer_arn, port, settings, target_group_arn, tags):
        kwargs = dict(LoadBalancerArn=load_balancer_arn, Port=port, DefaultActions=forward_action(target_group_arn), **settings)
        if "Certificates" in kwargs:
            kwargs["Certificates"] = [{"CertificateArn": arn} for arn in kwargs["Certificates"]]
        kwargs = dict((key, value) for key, value in kwargs.items() if value is not None)
        if tags:
            kwargs["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        try:
            return self.client.create_listener(aws_retry=True, **kwargs)["Listeners"][0]
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not create the listener on port %s" % port)

    def modify(self, listener_arn, update):
        try:
            self.client.modify_listener(aws_retry=True, ListenerArn=listener_arn, **update)
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not update listener %s" % listener_arn)

    def update_tags(self, listener_arn, current, desired, purge):
        return reconcile_tags(self.module.check_mode, current, desired, purge, lambda to_set, to_remove: self._write_tags(listener_arn, to_set, to_remove))[0]

    def _write_tags(self, listener_arn, to_set, to_remove):
        try:
            if to_remove:
                self.client.remove_tags(aws_retry=True, ResourceArns=[listener_arn], TagKeys=to_remove)
            if to_set:
                self.client.add_tags(aws_retry=True, ResourceArns=[listener_arn], Tags=ansible_dict_to_boto3_tag_list(to_set))
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not update the tags of listener %s" % listener_arn)

    def find_rule(self, listener_arn, priority):
        """The listener's rule of that priority, or None."""
        kwargs = dict(ListenerArn=listener_arn)
        try:
            while True:
                page = self.client.describe_rules(aws_retry=True, **kwargs)
                for rule in page["Rules"]:
                    if rule.get("Priority") == str(priority):
                        return rule
                if not page.get("NextMarker"):
                    return None
                kwargs["Marker"] = page["NextMarker"]
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not list the rules of listener %s" % listener_arn)

    def create_rule(self, listener_arn, priority, path_patterns, actions, tags):
        kwargs = dict(
            ListenerArn=listener_arn,
            Priority=priority,
            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": list(path_patterns)}}],
            Actions=actions,
        )
        if tags:
            kwargs["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        try:
            return self.client.create_rule(aws_retry=True, **kwargs)["Rules"][0]
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not create the weighted rule (priority %s) of listener %s" % (priority, listener_arn))

    def delete(self, listener_arn):
        try:
            self.client.delete_listener(aws_retry=True, ListenerArn=listener_arn)
        except is_boto3_error_code("ListenerNotFound"):
            return
        except Exception as error:  # pylint: disable=broad-except
            self.module.fail_json_aws(error, msg="Could not delete listener %s" % listener_arn)
