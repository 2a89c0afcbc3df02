# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Kept in step with galaxy.yml (a unit test compares them) so the boto user agent
# names the exact collection release that made each AWS call.
CANARY_ECS_COLLECTION_NAME = "canary.ecs"
CANARY_ECS_COLLECTION_VERSION = "0.1.0"
