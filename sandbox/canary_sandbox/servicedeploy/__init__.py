"""ECS service deployments: BLUE_GREEN, LINEAR and CANARY strategies run by ECS itself (extension.py)."""
