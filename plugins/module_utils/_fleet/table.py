# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a person reads of a fleet release: the heartbeat table and the closing summary. Pure text."""

from ansible_collections.canary.ecs.plugins.module_utils._release.observe import duration
from ansible_collections.canary.ecs.plugins.module_utils._release.progress import alarm_states

COLUMNS = ("service", "phase", "share", "alarms", "time left")


def row(name, state, progress=None, label=None):
    """One service's row: (service, phase, share, alarms, time left); progress is Tracker.progress of its last look."""
    if not progress:
        return (name, state, "", "", "")
    share = progress.get("traffic_share")
    return (
        name,
        progress.get("phase") or state,
        "" if share is None else "%g%%%s" % (share, " on %s" % label if label else ""),
        alarm_states(progress["alarms"]) if progress.get("alarms") else "",
        "" if progress.get("remaining_seconds") is None else "~" + duration(progress["remaining_seconds"]),
    )


def render(rows):
    """The rows under a header, columns padded: a list of lines."""
    table = [COLUMNS] + [tuple(str(cell) for cell in item) for item in rows]
    widths = [max(len(item[column]) for item in table) for column in range(len(COLUMNS))]
    return ["  ".join(cell.ljust(widths[column]) for column, cell in enumerate(item)).rstrip() for item in table]


def summary_message(summary, total):
    """'3 of 5 releases succeeded, 1 rolled back (cart: ...), 1 not started (halted: ...)'."""
    parts = []
    for key, words in (
        ("succeeded", "succeeded"),
        ("already_live", "already live"),
        ("rolled_back", "rolled back"),
        ("failed", "failed"),
        ("not_started", "not started"),
    ):
        names = summary.get(key) or []
        if not names:
            continue
        if key in ("succeeded", "already_live"):
            parts.append("%d %s (%s)" % (len(names), words, ", ".join(names)))
        else:
            parts.append("%d %s (%s)" % (len(names), words, "; ".join("%s: %s" % (name, summary["reasons"].get(name, words)) for name in names)))
    return "Fleet of %d: %s." % (total, ", ".join(parts) if parts else "nothing released")
