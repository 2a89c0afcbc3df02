#!/usr/bin/env python3
"""Mirror the collection into DEST (.../ansible_collections/canary/ecs) for Ansible and ansible-test.

ansible-test only works inside such a path, and users keep their clone where it is. The
mirror is updated in place (changed files copied, removed ones deleted) rather than
rebuilt, so a test already running in the tree is not pulled from under its feet.
Development tooling (the sandbox, e2e tests, benchmarks, tools/) stays out of it.
The venv's amazon.aws, community.aws and ansible.posix are linked beside it.
"""

import filecmp
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXCLUDED = ("sandbox/", "tests/e2e/", "tests/benchmark/", "tools/", ".ci/", "build/")
# Written into the tree by the runners; never mirrored, never deleted by the mirror.
KEEP = (".git/", "tests/output/", "tests/integration/cloud-config-aws.ini", "tests/integration/inventory")
DEPENDENCIES = ("amazon/aws", "community/aws", "ansible/posix")


def source_files():
    listing = (
        subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True)
        .stdout.decode()
        .split("\0")
    )
    return sorted(path for path in listing if path and not path.startswith(EXCLUDED) and os.path.isfile(os.path.join(ROOT, path)))


def mirror(dest):
    wanted = set(source_files())
    for path in wanted:
        src, dst = os.path.join(ROOT, path), os.path.join(dest, path)
        if os.path.exists(dst) and filecmp.cmp(src, dst, shallow=False):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    for directory, _subdirs, files in os.walk(dest, topdown=False):
        for name in files:
            path = os.path.relpath(os.path.join(directory, name), dest)
            if path not in wanted and not path.startswith(KEEP) and "__pycache__" not in path:
                os.unlink(os.path.join(directory, name))
        if directory != dest and not os.listdir(directory) and not os.path.relpath(directory, dest).startswith(".git"):
            os.rmdir(directory)


def link_dependencies(collections):
    import ansible

    site = os.path.join(os.path.dirname(os.path.dirname(ansible.__file__)), "ansible_collections")
    for dependency in DEPENDENCIES:
        link = os.path.join(collections, dependency)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.islink(link) and os.readlink(link) == os.path.join(site, dependency):
            continue
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.path.join(site, dependency), link)


def main():
    dest = os.path.abspath(sys.argv[1])
    if not dest.endswith(os.path.join("ansible_collections", "canary", "ecs")):
        sys.exit("DEST must end in ansible_collections/canary/ecs")
    os.makedirs(dest, exist_ok=True)
    # A repository of its own: otherwise ansible-test finds the clone's .git above it, where
    # build/ is ignored, and sees no files at all.
    if not os.path.isdir(os.path.join(dest, ".git")):
        subprocess.run(["git", "init", "-q", dest], check=True)
    mirror(dest)
    link_dependencies(os.path.dirname(os.path.dirname(dest)))


if __name__ == "__main__":
    main()
