# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which backend releases a service: CodeDeploy's blue/green deployments or ECS's own (option backend)."""

from ansible_collections.canary.ecs.plugins.module_utils._release import api as aws
from ansible_collections.canary.ecs.plugins.module_utils._release.codedeploy import CodeDeployBackend
from ansible_collections.canary.ecs.plugins.module_utils._release.ecs import EcsBackend, backend_of

CHOICES = ("auto", "codedeploy", "ecs")


def choose(params, clients):
    """The backend params['backend'] names; auto (one DescribeServices): ECS's own when the service has a
    BLUE_GREEN, LINEAR or CANARY strategy, else CodeDeploy (whose checks then say what the service lacks)."""
    wanted = params.get("backend") or "auto"
    if wanted == "auto":
        service = aws.describe_service(clients("ecs"), params["cluster"], params["service"])
        wanted = backend_of(service) if service else "codedeploy"
    return EcsBackend(clients) if wanted == "ecs" else CodeDeployBackend(clients)
