# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A fleet release as written by a person, checked whole before anything starts.

parse(services, defaults, first_wave, max_in_flight, halt) -> Fleet, or FleetError naming the
entry and the option. Each entry becomes the arguments of one canary.ecs.ecs_deployment run
(the defaults under the entry's own settings). Pure: no AWS calls here.
"""

from ansible.module_utils.six import string_types

# What an entry (or the defaults) may set: ecs_deployment's options for what a release starts with
ENTRY_OPTIONS = (
    "cluster",
    "service",
    "application_name",
    "deployment_group_name",
    "container",
    "image",
    "image_tag",
    "task_definition",
    "environment",
    "secret_environment",
    "deployment_config_name",
    "description",
)
# ... and what only the defaults may set: how every release of the fleet is followed
DEFAULT_ONLY = ("fail_on_rollback", "poll_interval", "fast_fail_minutes", "pin_digest", "image_scan", "record", "wait_timeout")
WHAT = ("image", "image_tag", "task_definition", "environment", "secret_environment")
HALT_POLICIES = ("stop", "roll_back", "carry_on")


class FleetError(Exception):
    """A fleet description that cannot work; its message names the entry and option."""


class Entry(object):
    """One service of the fleet: its name in lines and results, and its release's ecs_deployment arguments."""

    def __init__(self, index, name, args):
        self.index = index
        self.name = name
        self.args = args

    @property
    def key(self):
        return (self.args["cluster"], self.args["service"])

    def __repr__(self):
        return "Entry(%r)" % self.name


class Fleet(object):
    def __init__(self, entries, first_wave, max_in_flight, halt):
        self.entries = entries
        self.first_wave = first_wave
        self.max_in_flight = max_in_flight
        self.halt = halt


def _short(value):
    return str(value).rsplit("/", 1)[-1]


def _label(index, item):
    name = (item.get("name") or (_short(item["service"]) if isinstance(item.get("service"), string_types) else None)) if isinstance(item, dict) else None
    return "services[%d]%s" % (index, " (%s)" % name if name else "")


def _check_defaults(defaults):
    if not isinstance(defaults, dict):
        raise FleetError("defaults must be a dictionary of ecs_deployment options, got %r." % (defaults,))
    unknown = sorted(set(defaults) - set(ENTRY_OPTIONS) - set(DEFAULT_ONLY))
    if unknown:
        raise FleetError(
            "defaults: unknown option(s) %s; the defaults may set %s."
            % (", ".join(unknown), ", ".join(sorted(set(ENTRY_OPTIONS + DEFAULT_ONLY) - set(["service"]))))
        )
    if "service" in defaults:
        raise FleetError("defaults: service names one service; give it in each entry of services.")


def _entry(index, item, defaults):
    label = _label(index, item)
    if not isinstance(item, dict):
        raise FleetError("%s must be a dictionary (name, cluster, service and what to release), got %r." % (label, item))
    unknown = sorted(set(item) - set(ENTRY_OPTIONS) - set(["name"]))
    if unknown:
        hint = (
            " (%s apply to the whole fleet: set them in defaults)" % ", ".join(sorted(set(unknown) & set(DEFAULT_ONLY)))
            if set(unknown) & set(DEFAULT_ONLY)
            else ""
        )
        raise FleetError("%s: unknown option(s) %s%s; an entry may set name, %s." % (label, ", ".join(unknown), hint, ", ".join(ENTRY_OPTIONS)))
    args = dict((key, value) for key, value in defaults.items() if value is not None)
    # what to release is the entry's own when it names any: an image in the entry replaces the defaults' tag
    if any(item.get(key) not in (None, "", {}) for key in ("image", "image_tag", "task_definition")):
        for key in ("image", "image_tag", "task_definition"):
            args.pop(key, None)
    args.update((key, value) for key, value in item.items() if key != "name" and value is not None)
    for option in ("cluster", "service"):
        if not args.get(option) or not isinstance(args[option], string_types):
            raise FleetError("%s: %s is required (a name or ARN), in the entry or in defaults." % (label, option))
    if not any(args.get(key) not in (None, "", {}) for key in WHAT):
        raise FleetError("%s: nothing to release: set image_tag, image, task_definition or environment (in the entry or in defaults)." % label)
    chosen = [key for key in ("image", "image_tag", "task_definition") if args.get(key) not in (None, "", {})]
    if len(chosen) > 1:
        raise FleetError("%s: %s are mutually exclusive; give one." % (label, " and ".join(chosen)))
    if args.get("deployment_group_name") and not args.get("application_name"):
        raise FleetError("%s: deployment_group_name needs application_name too." % label)
    if "image_tag" in args:
        args["image_tag"] = str(args["image_tag"])
    name = item.get("name") or _short(args["service"])
    if not isinstance(name, string_types):
        raise FleetError("%s: name must be a string, got %r." % (label, name))
    return Entry(index, str(name), args)


def _wave(first_wave, entries):
    """The first wave's entry names: a count (the first N entries) or a list of names."""
    if first_wave in (None, 0, [], ""):
        return []
    names = [entry.name for entry in entries]
    if isinstance(first_wave, bool):
        raise FleetError("first_wave must be a number of services or a list of their names, got %r." % (first_wave,))
    if isinstance(first_wave, int):
        if first_wave < 0 or first_wave >= len(entries):
            raise FleetError(
                "first_wave must be between 0 and %d (fewer than the %d services, or there is nothing after it), got %d."
                % (len(entries) - 1, len(entries), first_wave)
            )
        return names[:first_wave]
    if isinstance(first_wave, string_types):
        first_wave = [first_wave]
    unknown = [name for name in first_wave if name not in names]
    if unknown:
        raise FleetError("first_wave names %s, not in services (their names: %s)." % (", ".join(map(str, unknown)), ", ".join(names)))
    if len(set(first_wave)) >= len(entries):
        raise FleetError("first_wave names every service; leave some for after it, or leave first_wave out.")
    return [name for name in names if name in first_wave]


def parse(services, defaults=None, first_wave=None, max_in_flight=None, halt="stop"):
    """The Fleet, or FleetError naming what is wrong; nothing is started before this passes."""
    defaults = {} if defaults is None else defaults
    _check_defaults(defaults)
    if not isinstance(services, list) or not services:
        raise FleetError("services must list at least one service to release.")
    entries = [_entry(index, item, defaults) for index, item in enumerate(services)]
    seen_names, seen_services = {}, {}
    for entry in entries:
        if entry.name in seen_names:
            raise FleetError(
                "services[%d] and services[%d] are both named %s; names must be unique (they label the lines and results)."
                % (seen_names[entry.name].index, entry.index, entry.name)
            )
        seen_names[entry.name] = entry
        key = (_short(entry.args["cluster"]), _short(entry.args["service"]))
        if key in seen_services:
            raise FleetError(
                "services[%d] (%s) and services[%d] (%s) release the same ECS service %s in cluster %s; a service takes one release at a time."
                % (seen_services[key].index, seen_services[key].name, entry.index, entry.name, key[1], key[0])
            )
        seen_services[key] = entry
    if max_in_flight is None:
        max_in_flight = len(entries)
    if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int) or max_in_flight < 1:
        raise FleetError("max_in_flight must be 1 or more (how many releases may run at once), got %r." % (max_in_flight,))
    if halt not in HALT_POLICIES:
        raise FleetError("halt must be one of %s, got %r." % (", ".join(HALT_POLICIES), halt))
    return Fleet(entries, _wave(first_wave, entries), min(max_in_flight, len(entries)), halt)
