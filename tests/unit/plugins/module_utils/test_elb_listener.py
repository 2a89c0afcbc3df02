# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The listener comparison: what the module owns is corrected, the traffic never is."""

from ansible_collections.canary.ecs.plugins.module_utils import elb_listener as owned

BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-tg-blue/1"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-tg-green/2"


def params(**overrides):
    base = dict(protocol="HTTP", ssl_policy=None, certificates=None)
    base.update(overrides)
    return base


def listener(actions, **fields):
    base = dict(Port=80, Protocol="HTTP", DefaultActions=actions)
    base.update(fields)
    return base


def weighted(blue, green):
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE, "Weight": blue}, {"TargetGroupArn": GREEN, "Weight": green}]}}]


def test_a_new_listener_forwards_everything_to_one_group():
    assert owned.forwarded_target_groups(listener(owned.forward_action(BLUE))) == {BLUE: 1}


def test_plain_and_weighted_forwards_are_read_alike():
    assert owned.forwarded_target_groups(listener([{"Type": "forward", "TargetGroupArn": BLUE}])) == {BLUE: 1}
    assert owned.forwarded_target_groups(listener(weighted(10, 90))) == {BLUE: 10, GREEN: 90}


def test_weights_are_not_part_of_what_the_module_owns():
    canary = listener(weighted(90, 10))
    assert owned.settings_update(owned.owned_settings(canary), owned.desired_settings(params())) == {}


def test_a_protocol_change_is_corrected_with_its_certificates():
    update = owned.settings_update(
        owned.owned_settings(listener(owned.forward_action(BLUE))), owned.desired_settings(params(protocol="HTTPS", certificates=["arn:cert"], ssl_policy=None))
    )
    assert update == {"Protocol": "HTTPS", "Certificates": [{"CertificateArn": "arn:cert"}]}


def test_an_unset_tls_policy_keeps_the_current_one():
    https = listener(owned.forward_action(BLUE), Protocol="HTTPS", SslPolicy="ELBSecurityPolicy-2016-08", Certificates=[{"CertificateArn": "arn:cert"}])
    assert owned.settings_update(owned.owned_settings(https), owned.desired_settings(params(protocol="HTTPS", certificates=["arn:cert"]))) == {}


def test_a_changed_tls_policy_is_corrected():
    https = listener(owned.forward_action(BLUE), Protocol="HTTPS", SslPolicy="ELBSecurityPolicy-2016-08", Certificates=[{"CertificateArn": "arn:cert"}])
    update = owned.settings_update(
        owned.owned_settings(https),
        owned.desired_settings(params(protocol="HTTPS", certificates=["arn:cert"], ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06")),
    )
    assert update == {"Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}


def test_no_drift_while_the_initial_group_gets_traffic():
    assert owned.traffic_drift(listener(owned.forward_action(BLUE)), BLUE) is None
    assert owned.traffic_drift(listener(weighted(90, 10)), BLUE) is None


def test_drift_is_reported_once_the_other_group_is_live():
    message = owned.traffic_drift(listener(weighted(0, 100)), BLUE)
    assert GREEN in message and "CodeDeploy" in message
