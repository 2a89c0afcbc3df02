# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A release record as one self-contained HTML page (inline CSS and SVG, no script, no external asset).

The picture, on one time axis: the traffic share on the new version (a step line), the alarms in
ALARM as bands, the judge's verdicts and the approvals as marks, the outcome at the end; below it,
the requests and 5xx errors of each version per minute. Every drawn element carries its data in
data-* attributes and a class, so a test can check the picture by structure, not by pixels.
"""

from html import escape as _escape

from ansible_collections.canary.ecs.plugins.module_utils._record import build
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import duration, epoch

WIDTH, LEFT, RIGHT = 960, 56, 16
SHARE_TOP, SHARE_HEIGHT = 16, 200
BARS_TOP, BARS_HEIGHT = 260, 120
HEIGHT = BARS_TOP + BARS_HEIGHT + 40
COLOURS = {"new": "#2563eb", "old": "#9ca3af", "errors": "#dc2626", "alarm": "#fecaca", "pass": "#16a34a", "fail": "#dc2626", "open": "#d97706"}


def esc(value):
    return _escape("" if value is None else str(value), quote=True)


class Axis(object):
    """Real time -> x, over the release's span."""

    def __init__(self, start, end):
        self.start = start
        self.end = max(end, start + 1.0)

    def x(self, moment):
        span = WIDTH - LEFT - RIGHT
        return LEFT + span * (min(max(moment, self.start), self.end) - self.start) / (self.end - self.start)


def _span(record):
    """(start, end) of the picture: from the deployment's creation (or the first run) to the last thing seen.
    An alarm's first state can date from long before the release: what came earlier is drawn at the start."""
    ends = [epoch(record.get("ended"))]
    ends += [epoch(event.get("at")) for event in record.get("timeline") or []]
    ends += [epoch(item.get("at")) for item in record.get("approvals") or []]
    for points in (record.get("metrics") or {}).values():
        ends += [epoch(point["at"]) + point.get("seconds", 60) for point in points]
    starts = [epoch(record.get("created"))] + [epoch(run.get("at")) for run in record.get("runs") or []]
    starts = [moment for moment in starts if moment is not None] or [moment for moment in ends if moment is not None]
    ends = [moment for moment in ends if moment is not None]
    if not starts or not ends:
        return None
    return min(starts), max(ends + starts)


def alarm_bands(record, end):
    """[(alarm, start, end, traffic share when it fired)]: each time an alarm was in ALARM."""
    bands, open_since = [], {}
    for event in sorted((e for e in record.get("timeline") or [] if e.get("kind") == "alarm"), key=lambda e: e.get("at") or ""):
        name, at = event.get("alarm"), epoch(event.get("at"))
        if event.get("alarm_state") == "ALARM" and name not in open_since:
            open_since[name] = (at, event.get("traffic_share"))
        elif event.get("alarm_state") != "ALARM" and name in open_since:
            since, share = open_since.pop(name)
            bands.append((name, since, at, share))
    bands.extend((name, since, end, share) for name, (since, share) in sorted(open_since.items()))
    return bands


def share_steps(record, start, end):
    """[(moment, share)] of the traffic on the new version, from 0 at the start to the last share seen."""
    steps = [(start, 0.0)]
    for event in record.get("timeline") or []:
        if event.get("kind") == "traffic" and event.get("traffic_share") is not None:
            steps.append((epoch(event["at"]), float(event["traffic_share"])))
    steps.sort(key=lambda step: step[0])
    steps.append((end, steps[-1][1]))
    return steps


def _share_y(share):
    return SHARE_TOP + SHARE_HEIGHT * (1 - share / 100.0)


def _picture(record):
    span = _span(record)
    if span is None:
        return '<p class="no-picture">Nothing was seen of this release yet.</p>'
    axis = Axis(*span)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" id="timeline" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (WIDTH, HEIGHT, WIDTH, HEIGHT)]
    parts.append("<title>Traffic on the new version, alarms, verdicts and requests over time</title>")
    parts.append(_grid(axis))
    parts.append('<g id="alarm-bands">')
    for name, since, until, share in alarm_bands(record, axis.end):
        parts.append(
            '<rect class="alarm-band" data-alarm="%s" data-traffic-share="%s" data-start="%s" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s">'
            "<title>%s in ALARM at %s%% of traffic</title></rect>"
            % (
                esc(name),
                esc(share),
                esc(since),
                axis.x(since),
                SHARE_TOP,
                max(1.0, axis.x(until) - axis.x(since)),
                SHARE_HEIGHT,
                COLOURS["alarm"],
                esc(name),
                esc(share),
            )
        )
    parts.append("</g>")
    steps = share_steps(record, axis.start, axis.end)
    path = ["M%.1f %.1f" % (axis.x(steps[0][0]), _share_y(steps[0][1]))]
    path.extend("H%.1f V%.1f" % (axis.x(moment), _share_y(share)) for moment, share in steps[1:])
    parts.append(
        '<g id="traffic"><path class="share" d="%s" fill="none" stroke="%s" stroke-width="2.5" data-shares="%s"/></g>'
        % (" ".join(path), COLOURS["new"], esc(",".join("%g" % share for _moment, share in steps)))
    )
    parts.append('<g id="verdicts">')
    for event in record.get("timeline") or []:
        if event.get("kind") == "judge":
            colour = COLOURS.get(event.get("verdict"), COLOURS["open"])
            x, y = axis.x(epoch(event["at"])), _share_y(float(event.get("traffic_share") or 0))
            parts.append(
                '<circle class="verdict" data-verdict="%s" data-traffic-share="%s" cx="%.1f" cy="%.1f" r="5" fill="%s"><title>%s</title></circle>'
                % (esc(event.get("verdict")), esc(event.get("traffic_share")), x, y, colour, esc(event.get("message")))
            )
    parts.append("</g>")
    parts.append('<g id="approvals">')
    for item in record.get("approvals") or []:
        x = axis.x(epoch(item["at"]))
        parts.append(
            '<line class="approval" data-by="%s" x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#7c3aed" stroke-dasharray="4 3">'
            "<title>approved by %s</title></line>" % (esc(item.get("by")), x, x, SHARE_TOP, SHARE_TOP + SHARE_HEIGHT, esc(item.get("by")))
        )
    parts.append("</g>")
    outcome = record.get("outcome") or {}
    if outcome:
        word = "succeeded" if outcome.get("succeeded") else ("rolled back" if outcome.get("rolled_back") else (outcome.get("status") or "").lower())
        parts.append(
            '<g id="outcome"><text class="outcome" data-outcome="%s" x="%.1f" y="%d" text-anchor="end" font-weight="bold" fill="%s">%s</text></g>'
            % (esc(word), WIDTH - RIGHT, SHARE_TOP + 14, COLOURS["pass"] if outcome.get("succeeded") else COLOURS["fail"], esc(word))
        )
    parts.append(_bars(record, axis))
    parts.append("</svg>")
    return "\n".join(parts)


def _grid(axis):
    lines = ['<g id="axes" font-size="11" fill="#374151">']
    for share in (0, 10, 50, 100):
        y = _share_y(share)
        lines.append(
            '<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e7eb"/><text x="%d" y="%.1f" text-anchor="end">%d%%</text>'
            % (LEFT, WIDTH - RIGHT, y, y, LEFT - 6, y + 4, share)
        )
    span = axis.end - axis.start
    for index in range(6):
        moment = axis.start + span * index / 5.0
        lines.append('<text x="%.1f" y="%d" text-anchor="middle">+%s</text>' % (axis.x(moment), HEIGHT - 12, esc(duration(moment - axis.start))))
    lines.append('<text x="%d" y="%d">requests / min</text>' % (LEFT, BARS_TOP - 6))
    lines.append("</g>")
    return "\n".join(lines)


def _bars(record, axis):
    metrics = record.get("metrics") or {}
    points = [point for side in ("old", "new") for point in metrics.get(side) or []]
    if not points:
        return '<g id="requests"></g>'
    top = max(max(point["requests"] for point in points), 1)
    parts = ['<g id="requests">', '<text x="%d" y="%d" text-anchor="end" font-size="11" fill="#374151">%d</text>' % (LEFT - 6, BARS_TOP + 4, top)]
    for offset, side in enumerate(("old", "new")):
        for point in metrics.get(side) or []:
            start = epoch(point["at"])
            x, width = axis.x(start), max(1.0, (axis.x(start + point.get("seconds", 60)) - axis.x(start)) / 2 - 1)
            x += offset * (width + 1)
            for field, colour in (("requests", COLOURS[side]), ("errors", COLOURS["errors"])):
                height = BARS_HEIGHT * point[field] / float(top)
                parts.append(
                    '<rect class="bar %s %s" data-version="%s" data-at="%s" data-%s="%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                    % (side, field, side, esc(point["at"]), field, point[field], x, BARS_TOP + BARS_HEIGHT - height, width, height, colour)
                )
    parts.append("</g>")
    return "\n".join(parts)


def _facts(record):
    seen = build.views(record)
    release = record.get("release") or {}
    service = record.get("service") or {}
    change = record.get("change") or {}
    outcome = record.get("outcome") or {}
    rows = [
        ("Service", "%s / %s" % (service.get("cluster"), service.get("service"))),
        ("Deployment", "%s (%s, %s)" % (record.get("deployment_id"), record.get("backend"), release.get("deployment_config_name"))),
        ("Image", "%s%s" % (release.get("image"), (" (%s)" % release["image_digest"]) if release.get("image_digest") else "")),
        ("Task definition", "%s -> %s" % (release.get("task_definition_before"), release.get("task_definition_after"))),
        ("Change", "%s%s" % (change.get("change_ref") or "none given", (": %s" % change["description"]) if change.get("description") else "")),
        ("Started by", "%s at %s" % (seen["started_by"] or "unknown (first seen by an attach)", seen["started_at"] or record.get("created"))),
        ("Approved by", ", ".join("%s at %s" % (item.get("by"), item.get("at")) for item in record.get("approvals") or []) or "no approval step"),
        ("Ended", "%s: %s" % (record.get("ended") or "not yet", outcome.get("message") or record.get("status"))),
    ]
    return '<table class="facts">%s</table>' % "".join("<tr><th>%s</th><td>%s</td></tr>" % (esc(name), esc(value)) for name, value in rows)


def _events(record):
    rows = "".join(
        '<tr class="event %s"><td>%s</td><td>%s</td><td>%s</td></tr>'
        % (esc(event.get("kind")), esc(event.get("at")), esc(event.get("kind")), esc(event.get("message")))
        for event in record.get("timeline") or []
    )
    return '<table class="events"><tr><th>When</th><th>What</th><th>Seen</th></tr>%s</table>' % rows


STYLE = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111827}h1{font-size:20px}"
    "table{border-collapse:collapse;margin:12px 0}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #e5e7eb;vertical-align:top}"
    ".legend span{margin-right:16px}.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}"
)


def render(record):
    """The record's report, one HTML page."""
    service = (record.get("service") or {}).get("service")
    legend = "".join(
        '<span><i class="swatch" style="background:%s"></i>%s</span>' % (colour, esc(label))
        for label, colour in (
            ("share on the new version", COLOURS["new"]),
            ("requests, old version", COLOURS["old"]),
            ("5xx errors", COLOURS["errors"]),
            ("alarm in ALARM", COLOURS["alarm"]),
            ("judge: pass", COLOURS["pass"]),
            ("judge: fail", COLOURS["fail"]),
            ("judge: open", COLOURS["open"]),
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Release %s of %s</title><style>%s</style></head><body>\n'
        '<h1>Release %s of %s: %s</h1>\n%s\n<div class="legend">%s</div>\n%s\n<h2>Timeline</h2>\n%s\n</body></html>\n'
        % (
            esc(record.get("deployment_id")),
            esc(service),
            STYLE,
            esc(record.get("deployment_id")),
            esc(service),
            esc(record.get("status")),
            _facts(record),
            legend,
            _picture(record),
            _events(record),
        )
    )
