# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep Ansible's module payloads (AnsiballZ) from one playbook run to the next, for the test suite.

Ansible builds each module's payload once per run (it walks and parses every module_util the
module imports) and keeps it in a directory of that run only: about 0.2 s of CPU for each
distinct module of every ansible-playbook run, 16% of an idempotent provision.yml. The tests
run hundreds of playbooks with the same modules. This callback, enabled by the Makefile (never
shipped in the collection), points the run's payload directory at one kept in
$CANARY_ANSIBALLZ_CACHE, named by a fingerprint of everything a payload is built from: the
ansible-core version and the path, size and modification time of every module and module_util
of ansible, of the collections in use, of the configured module paths and of the library/ and
module_utils/ directories beside the playbooks run and in their roles. An edited module or module_util (make tree) changes
the fingerprint, so a stale payload is never sent.
"""

import hashlib
import os

from ansible import constants as C
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ansible_version
from ansible.utils.collection_loader._collection_config import AnsibleCollectionConfig

DOCUMENTATION = r"""
name: ansiballz_cache
type: aggregate
short_description: keep module payloads between playbook runs (canary.ecs tests only)
description:
  - Points the run's AnsiballZ payload directory at a directory kept between runs, named by a fingerprint of the
    module sources in use. Enabled by the canary.ecs Makefile for its tests; not part of the collection.
requirements:
  - CANARY_ANSIBALLZ_CACHE set to a directory
"""

VARIABLE = "CANARY_ANSIBALLZ_CACHE"
PAYLOADS = "ansiballz_cache"  # the directory name Ansible looks in, under its local temporary directory
UNUSED_HOURS = 12  # a fingerprint's directory no run has used for this long is removed (no run lasts that long)


def _sources(root):
    """(path, size, mtime) of every module and module_util under root."""
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(name for name in subdirectories if name not in ("__pycache__", "tests"))
        for name in sorted(files):
            if name.endswith((".py", ".ps1", ".psm1", ".cs")):
                path = os.path.join(directory, name)
                status = os.stat(path)
                yield "%s %d %d" % (path, status.st_size, status.st_mtime_ns)


def _roots():
    import glob

    import ansible
    from ansible import context

    core = os.path.dirname(ansible.__file__)
    yield os.path.join(core, "module_utils")
    yield os.path.join(core, "modules")
    for configured in (C.DEFAULT_MODULE_PATH or []) + (C.DEFAULT_MODULE_UTILS_PATH or []):
        yield configured
    # modules beside the playbooks run, and in their roles
    for playbook in (context.CLIARGS.get("args") or ()) if context.CLIARGS else ():
        base = os.path.dirname(os.path.abspath(playbook))
        for pattern in ("library", "module_utils", "roles/*/library", "roles/*/module_utils"):
            for found in sorted(glob.glob(os.path.join(base, pattern))):
                yield found
    for base in AnsibleCollectionConfig.collection_paths:
        collections = os.path.join(base, "ansible_collections")
        if not os.path.isdir(collections):
            continue
        for namespace in sorted(os.listdir(collections)):
            for name in sorted(os.listdir(os.path.join(collections, namespace)) if os.path.isdir(os.path.join(collections, namespace)) else []):
                plugins = os.path.join(collections, namespace, name, "plugins")
                yield os.path.join(plugins, "modules")
                yield os.path.join(plugins, "module_utils")


def fingerprint():
    digest = hashlib.sha256(ansible_version.encode())
    for root in _roots():
        digest.update(root.encode())
        for line in _sources(root):
            digest.update(line.encode())
    return digest.hexdigest()[:24]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "ansiballz_cache"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        base = os.environ.get(VARIABLE)
        if not base:
            return
        kept = os.path.join(base, fingerprint())
        here = os.path.join(C.DEFAULT_LOCAL_TMP, PAYLOADS)
        try:
            os.makedirs(kept, exist_ok=True)
            os.utime(kept)  # in use: not pruned
            if not os.path.lexists(here):
                os.symlink(kept, here)
            _prune(base, keep=kept)
        except OSError as error:  # the run goes on building its payloads itself
            self._display.warning("%s: payloads not kept between runs: %s" % (VARIABLE, error))


def _prune(base, keep):
    """Remove the payloads of fingerprints no run has used for UNUSED_HOURS (sources edited since)."""
    import shutil
    import time

    for name in os.listdir(base):
        path = os.path.join(base, name)
        if path != keep and time.time() - os.stat(path).st_mtime > UNUSED_HOURS * 3600:
            shutil.rmtree(path, ignore_errors=True)
