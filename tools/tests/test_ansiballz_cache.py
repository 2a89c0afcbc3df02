"""The test suite's payload cache (tools/ansible/callback/ansiballz_cache.py): kept between runs, never stale."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
MODULE = textwrap.dedent(
    """\
    #!/usr/bin/python
    from ansible.module_utils.basic import AnsibleModule
    from ansible_collections.probe.kept.plugins.module_utils.answer import ANSWER


    def main():
        AnsibleModule(argument_spec={}).exit_json(changed=False, answer=ANSWER)


    if __name__ == "__main__":
        main()
    """
)
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - probe.kept.answer:
      register: probed
    - ansible.builtin.debug:
        msg: "ANSWER={{ probed.answer }}"
"""


def collection(root, answer):
    plugins = root / "ansible_collections" / "probe" / "kept" / "plugins"
    (plugins / "modules").mkdir(parents=True, exist_ok=True)
    (plugins / "module_utils").mkdir(parents=True, exist_ok=True)
    (root / "ansible_collections" / "probe" / "kept" / "galaxy.yml").write_text("namespace: probe\nname: kept\nversion: 1.0.0\n")
    (plugins / "modules" / "answer.py").write_text(MODULE)
    (plugins / "module_utils" / "answer.py").write_text("ANSWER = %s\n" % json.dumps(answer))


def run(tmp_path, cache):
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"),
        ANSIBLE_CALLBACK_PLUGINS=str(TOOLS / "ansible" / "callback"),
        ANSIBLE_CALLBACKS_ENABLED="ansiballz_cache",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        CANARY_ANSIBALLZ_CACHE=str(cache),
        ANSIBLE_NOCOLOR="1",
    )
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    playbook = Path(sys.executable).parent / "ansible-playbook"
    out = subprocess.run([str(playbook), str(tmp_path / "play.yml")], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return [line.split("ANSWER=")[1].strip('"') for line in out.stdout.splitlines() if "ANSWER=" in line]


def payloads(cache):
    return sorted(path.name for path in cache.glob("*/*") if not path.name.endswith(".lock"))


def test_payloads_are_kept_between_runs_and_an_edited_module_util_is_never_served_stale(tmp_path):
    cache = tmp_path / "cache"
    collection(tmp_path / "collections", "one")
    assert run(tmp_path, cache) == ["one"]
    kept = payloads(cache)
    assert "ansible_collections.probe.kept.plugins.modules.answer-ZIP_DEFLATED-none" in kept
    assert len(list(cache.iterdir())) == 1

    # the second run uses the kept payload: nothing new is built, the answer is the same
    before = {path: path.stat().st_mtime_ns for path in cache.glob("*/*")}
    assert run(tmp_path, cache) == ["one"]
    assert {path: path.stat().st_mtime_ns for path in cache.glob("*/*")} == before

    # an edited module_util makes another fingerprint: its payload is built anew, with the new code
    util = tmp_path / "collections" / "ansible_collections" / "probe" / "kept" / "plugins" / "module_utils" / "answer.py"
    util.write_text('ANSWER = "two"\n')  # the same size: only its time tells
    assert run(tmp_path, cache) == ["two"]
    assert len(list(cache.iterdir())) == 2


def test_set_empty_nothing_is_kept(tmp_path):
    collection(tmp_path / "collections", "one")
    assert run(tmp_path, "") == ["one"]
    assert not (tmp_path / "cache").exists() and not Path("").joinpath("ansiballz_cache").exists()
