# lago.pyz — build, test, demo. Run 'make help' for the targets.
PYTHON  ?= python3
PYZ     ?= lago.pyz
LAB     ?= lagolab-$(shell echo $$$$)
DEMO_NS ?= lago-demo
SHARDS  ?= 2
SOURCES := build.py $(shell find src vendor -type f -not -path '*/__pycache__/*' 2>/dev/null)

.PHONY: all help pytest check test stress lab-test demo demo-clean bench bench-quick vendor host-deps template debian-template clean

all: $(PYZ)  ## build lago.pyz

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(PYZ): $(SOURCES)
	$(PYTHON) build.py -o $(PYZ)

check: pytest  ## fast tier: unit tests, no root, no VMs (seconds)
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/unit

pytest:  # test-only dependencies (the product itself stays stdlib + vendored)
	@$(PYTHON) -c 'import pytest' 2>/dev/null || $(PYTHON) -m pip install -q pytest || \
	  { echo "pytest is missing for $(PYTHON): pip install pytest (Debian: apt-get install python3-pytest)" >&2; exit 1; }
	@$(PYTHON) -c 'import hypothesis' 2>/dev/null || $(PYTHON) -m pip install -q hypothesis || \
	  { echo "hypothesis is missing for $(PYTHON): pip install hypothesis (Debian: apt-get install python3-hypothesis)" >&2; exit 1; }

host-deps:  ## install the host packages (Debian, as root; no-op when present)
	bash tests/lab/host-deps.sh

template: host-deps  ## build (or reuse) the tiny test template, print its directory
	@bash tests/lab/build-tiny-template.sh

debian-template: host-deps  ## build (or reuse) the Debian test template (debootstrap), print its directory
	@bash tests/lab/build-debian-template.sh

test: host-deps pytest $(PYZ)  ## everything: unit + lab tests on real libvirt, in SHARDS labs side by side
	tmpl=$$(bash tests/lab/build-tiny-template.sh) && \
	deb=$$(bash tests/lab/build-debian-template.sh) && \
	env LAGO_LAB_TEMPLATE="$$tmpl" LAGO_LAB_DEBIAN="$$deb" \
	  LAGO_PYZ="$(CURDIR)/$(PYZ)" LAGO_FUZZ_EXAMPLES=300 LAGO_CHAOS_RUNS=6 \
	  $(PYTHON) tests/lab/shards.py --shards $(SHARDS) --lab $(LAB) --logs $(CURDIR)/test-logs

stress: host-deps pytest $(PYZ)  ## the kill -9 chaos test, 60 runs (about 9 min)
	tmpl=$$(bash tests/lab/build-tiny-template.sh) && \
	bash tests/lab/lab.sh run $(LAB) -- env LAGO_LAB_TEMPLATE="$$tmpl" LAGO_PYZ="$(CURDIR)/$(PYZ)" \
	  LAGO_CHAOS_RUNS=60 $(PYTHON) -m pytest -q -s -p no:cacheprovider tests/lab/test_reliability.py -k chaos

demo: host-deps $(PYZ)  ## a real 2-VM env up in a private lab; 'make demo-clean' removes it
	TINY=$$(bash tests/lab/build-tiny-template.sh) DEMO_NS=$(DEMO_NS) PYTHON=$(PYTHON) \
	  bash demo/demo.sh up

demo-clean:  ## destroy the demo env and stop its lab
	DEMO_NS=$(DEMO_NS) PYTHON=$(PYTHON) bash demo/demo.sh down

bench: host-deps $(PYZ)  ## benchmarks against a raw qemu-img + virsh + ssh baseline, in the lab; every target MET or NOT
	tmpl=$$(bash tests/lab/build-tiny-template.sh) && \
	deb=$$(bash tests/lab/build-debian-template.sh) && \
	bash tests/lab/lab.sh run $(LAB) -- env LAGO_LAB_TEMPLATE="$$tmpl" LAGO_LAB_DEBIAN="$$deb" \
	  LAGO_PYZ="$(CURDIR)/$(PYZ)" $(PYTHON) bench/bench.py $(BENCH_ARGS)

bench-quick: host-deps $(PYZ)  ## the bench figures that need no Debian template (~3 min)
	tmpl=$$(bash tests/lab/build-tiny-template.sh) && \
	bash tests/lab/lab.sh run $(LAB) -- env LAGO_LAB_TEMPLATE="$$tmpl" \
	  LAGO_PYZ="$(CURDIR)/$(PYZ)" $(PYTHON) bench/bench.py --quick $(BENCH_ARGS)

vendor:  ## refresh vendor/ from the package index (pinned versions, sha256 checked)
	$(PYTHON) tools/vendor.py

clean:  ## remove build output
	rm -f $(PYZ)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
