import os

import yaml

from ansible_collections.canary.ecs.plugins.module_utils import common

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")


def test_user_agent_version_matches_galaxy_yml():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    assert common.CANARY_ECS_COLLECTION_NAME == "%s.%s" % (galaxy["namespace"], galaxy["name"])
    assert common.CANARY_ECS_COLLECTION_VERSION == galaxy["version"]
