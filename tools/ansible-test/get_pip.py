"""Stand-in for the get-pip.py that ansible-test would download from the internet.

ansible-test bootstraps pip in each sanity venv by running a cached get-pip script
(~/.ansible/test/cache/get_pip_<version>.py). This machine has no internet, so
tools/sanity.sh puts this file there first: it installs pip with ensurepip and then
asks that pip for what get-pip was asked for, from the configured package index.
"""

import os
import subprocess
import sys

# get-pip's own switches, which pip install does not know
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    env = dict(os.environ)
    env.pop("GET_PIP", None)
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], env=env)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + args, env=env)


if __name__ == "__main__":
    main()
