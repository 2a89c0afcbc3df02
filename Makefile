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
# Compiled module_utils of Ansible's module zips kept between tasks (canary_sandbox.zipcache): a
# third of a task's CPU, thousands of tasks in make test. make benchmark measures without it.
export CANARY_ZIPIMPORT_CACHE := $(ROOT)/build/zipimport-cache
# Module payloads (AnsiballZ) kept from one playbook run to the next, under a fingerprint of the module
# sources (tools/ansible/callback/ansiballz_cache.py): 0.2 s of CPU per module per run otherwise.
comma := ,
export CANARY_ANSIBALLZ_CACHE := $(ROOT)/build/ansiballz-cache
export ANSIBLE_CALLBACK_PLUGINS := $(ROOT)/tools/ansible/callback$(if $(ANSIBLE_CALLBACK_PLUGINS),:$(ANSIBLE_CALLBACK_PLUGINS))
export ANSIBLE_CALLBACKS_ENABLED := ansiballz_cache$(if $(ANSIBLE_CALLBACKS_ENABLED),$(comma)$(ANSIBLE_CALLBACKS_ENABLED))

# make demo BACKEND=ecs: the demo on ECS's own deployments (codedeploy, the seed's way, by default)
BACKEND ?= codedeploy

.PHONY: help venv guard tree test unit sandbox-tests sanity lint integration molecule e2e demo build benchmark judge-matrix clean

help:
	@echo "make demo         the seed's story against a local sandbox: provision, canary v2, failing v3 rolled back, cleanup"
	@echo "make demo BACKEND=ecs   the same story with ECS's own canary deployments instead of CodeDeploy"
	@echo "make test         every test layer (unit, sandbox, sanity, lint, integration, molecule, end to end)"
	@echo "make unit | sandbox-tests | sanity | lint | integration | molecule | e2e   one layer"
	@echo "make build        the Galaxy artifact in build/"
	@echo "make benchmark    release overhead, API calls and rollback reaction time, with figures"
	@echo "make judge-matrix the judge's detection matrix over traffic rates (a simulation, docs/judging.md)"

venv: $(STAMP)
$(STAMP): requirements-dev.txt constraints-dev.txt sandbox/pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e sandbox
	@$(MAKE) --no-print-directory guard
	@touch $(STAMP)

# The loopback guard (canary_sandbox.guard.arm_if_asked) and the zip bytecode cache
# (canary_sandbox.zipcache.install_if_asked), run by every interpreter of the venv.
SITE = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' 2>/dev/null)
guard:
	@rm -f $(SITE)/canary_loopback_guard.py
	@echo "import canary_sandbox.guard; canary_sandbox.guard.arm_if_asked()" > $(SITE)/canary_loopback_guard.pth
	@echo "import canary_sandbox.zipcache; canary_sandbox.zipcache.install_if_asked()" > $(SITE)/canary_zipimport_cache.pth

# The collection as Ansible and ansible-test want it: build/collections/ansible_collections/canary/ecs,
# with amazon.aws and community.aws from the venv beside it.
# tools/test-all.sh builds the tree once and sets CANARY_TREE_READY, so that layers running
# side by side do not mirror it again under each other's feet.
tree: $(STAMP)
	@$(if $(CANARY_TREE_READY),:,$(PY) tools/build-tree.py $(TREE))

test: $(STAMP)
	@tools/test-all.sh

unit: tree
	cd $(TREE) && PYTHONPATH=$(COLLECTIONS) $(PY) -m pytest -q -p no:cacheprovider tests/unit

sandbox-tests: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup sandbox/tests tools/tests

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

# End-to-end files in lanes run side by side, each its own pytest session with its own
# sandbox (and shared stack); a file's tests stay in order in one lane. A new file joins the
# release lane unless it is listed below. `make e2e-release` (etc.) runs one lane.
# Three lanes beside molecule and integration keep two cores busy to the end; more lanes only
# slow molecule, and the detection lane that waits for it, by as much as they gain (measured).
E2E_LANE_provision := tests/e2e/test_provision.py tests/e2e/test_release_ecs.py
E2E_LANE_stacks := tests/e2e/test_provision_stacks.py tests/e2e/test_provision_interrupted.py tests/e2e/test_release_image_gate.py
# the detection matrix: its own sandbox on a slower clock, its cells' releases side by side
# (and the fleet: its own sandbox too, five stacks built in it)
E2E_LANE_detection := tests/e2e/test_release_detection.py tests/e2e/test_fleet.py
E2E_LANE_release := $(filter-out $(E2E_LANE_provision) $(E2E_LANE_stacks) $(E2E_LANE_detection),$(sort $(wildcard tests/e2e/test_*.py)))
# `make e2e` runs every lane; tools/test-all.sh runs the detection lane on its own, after molecule (E2E_LANES).
E2E_ALL_LANES := provision stacks release detection
E2E_LANES ?= $(E2E_ALL_LANES)
E2E_LANE_TARGETS := $(addprefix e2e-,$(E2E_LANES))
.PHONY: $(addprefix e2e-,$(E2E_ALL_LANES))

e2e: tree
	@CANARY_TREE_READY=1 $(MAKE) --no-print-directory -j$(words $(E2E_LANE_TARGETS)) --output-sync=target $(E2E_LANE_TARGETS)

$(addprefix e2e-,$(E2E_ALL_LANES)): e2e-%: tree
	@echo "=== e2e lane $*: $(E2E_LANE_$*)"
	@mkdir -p $(ROOT)/build/pytest
	$(PY) -m pytest -q -p no:cacheprovider --durations=12 --basetemp=$(ROOT)/build/pytest/e2e-$* $(E2E_LANE_$*)

demo: tree
	BACKEND=$(BACKEND) tools/with-sandbox.sh $(PY) tools/demo.py

build: tree
	cd $(TREE) && ansible-galaxy collection build --force --output-path $(ROOT)/build

# figures a user would see: module payloads built and compiled anew, as without the tests' caches
benchmark: export CANARY_ZIPIMPORT_CACHE :=
benchmark: export CANARY_ANSIBALLZ_CACHE :=
benchmark: tree
	tools/with-sandbox.sh $(PY) tests/benchmark/release.py
	$(PY) tests/benchmark/pacing.py
	tools/with-sandbox.sh $(PY) tests/benchmark/fleet.py
	tools/with-sandbox.sh $(PY) tests/benchmark/backends.py

# The judge's detection matrix: a simulation of its own code over traffic rates (no AWS), docs/judging.md.
judge-matrix: tree
	$(PY) tests/benchmark/judge_matrix.py

clean:
	rm -rf build tests/output
