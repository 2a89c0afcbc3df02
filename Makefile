# canary.ecs developer commands. On a fresh clone: `make demo` and `make test`.
# Both build .venv when it is missing; nothing else needs installing by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
COLLECTIONS := $(ROOT)/build/collections
TREE := $(COLLECTIONS)/ansible_collections/canary/ecs
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export ANSIBLE_NOCOLOR := $(if $(CI),1,)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Arms the venv's loopback guard (canary_sandbox.guard): in every make target, botocore refuses non-loopback endpoints.
export CANARY_SANDBOX_GUARD := 1

.PHONY: help venv guard tree test unit sandbox-tests sanity lint integration molecule e2e demo build benchmark clean

help:
	@echo "make demo         the seed's story against a local sandbox: provision, canary v2, failing v3 rolled back, cleanup"
	@echo "make test         every test layer (unit, sandbox, sanity, lint, integration, molecule, end to end)"
	@echo "make unit | sandbox-tests | sanity | lint | integration | molecule | e2e   one layer"
	@echo "make build        the Galaxy artifact in build/"
	@echo "make benchmark    release overhead, API calls and rollback reaction time, with figures"

venv: $(STAMP)
$(STAMP): requirements-dev.txt constraints-dev.txt sandbox/pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e sandbox
	@$(MAKE) --no-print-directory guard
	@touch $(STAMP)

# The loopback guard (canary_sandbox.guard.arm_if_asked), run by every interpreter of the venv.
SITE = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' 2>/dev/null)
guard:
	@rm -f $(SITE)/canary_loopback_guard.py
	@echo "import canary_sandbox.guard; canary_sandbox.guard.arm_if_asked()" > $(SITE)/canary_loopback_guard.pth

# The collection as Ansible and ansible-test want it: build/collections/ansible_collections/canary/ecs,
# with amazon.aws and community.aws from the venv beside it.
tree: $(STAMP)
	@$(PY) tools/build-tree.py $(TREE)

test: $(STAMP)
	@tools/test-all.sh

unit: tree
	cd $(TREE) && PYTHONPATH=$(COLLECTIONS) $(PY) -m pytest -q -p no:cacheprovider tests/unit

sandbox-tests: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup sandbox/tests

sanity: tree
	tools/sanity.sh $(TREE)

lint: tree
	ruff check --no-cache .
	ruff format --check --no-cache .
	antsibull-changelog lint
	cd $(TREE) && ansible-lint --offline -q
	cd $(TREE) && antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all --skip-rstcheck .

integration: tree
	tools/with-sandbox.sh tools/integration.sh $(TREE) $(TARGETS)

molecule: tree
	tools/with-sandbox.sh tools/molecule.sh $(TREE) $(ROLES)

e2e: tree
	$(PY) -m pytest -q -p no:cacheprovider --durations=30 tests/e2e

demo: tree
	tools/with-sandbox.sh $(PY) tools/demo.py

build: tree
	cd $(TREE) && ansible-galaxy collection build --force --output-path $(ROOT)/build

benchmark: tree
	tools/with-sandbox.sh $(PY) tests/benchmark/release.py

clean:
	rm -rf build tests/output
