"""Traffic plans of ECS deployment configs: pure functions, no AWS calls.

A plan is a list of steps (replacement percent, sandbox minutes to wait after it), the
last one always 100 %. ECS configs route traffic with trafficRoutingConfig:
    AllAtOnce          everything at once
    TimeBasedCanary    canaryPercentage, wait canaryInterval minutes, then the rest
    TimeBasedLinear    +linearPercentage every linearInterval minutes until 100 %
"""


def traffic_plan(config):
    """Steps [(green_percent, wait_minutes)] for a DeploymentConfigInfo."""
    routing = config.get("trafficRoutingConfig") or {"type": "AllAtOnce"}
    kind = routing.get("type", "AllAtOnce")
    if kind == "TimeBasedCanary":
        canary = routing.get("timeBasedCanary") or {}
        percent = int(canary.get("canaryPercentage", 0))
        interval = int(canary.get("canaryInterval", 0))
        if 0 < percent < 100:
            return [(percent, interval), (100, 0)]
        return [(100, 0)]
    if kind == "TimeBasedLinear":
        linear = routing.get("timeBasedLinear") or {}
        percent = int(linear.get("linearPercentage", 0))
        interval = int(linear.get("linearInterval", 0))
        if not 0 < percent < 100:
            return [(100, 0)]
        steps = [(share, interval) for share in range(percent, 100, percent)]
        return steps + [(100, 0)]
    return [(100, 0)]


def weights(green_percent):
    """(original, replacement) listener weights for a replacement share."""
    green = max(0, min(100, int(green_percent)))
    return 100 - green, green
