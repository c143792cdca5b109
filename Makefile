# carestats: `make demo` and `make test` do everything on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
# The first start of the embedded server on a fresh PREFECT_HOME migrates its database: give it longer than 20 s.
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120
export CARESTATS_LAKE ?= $(CURDIR)/data

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
# The two most recent month ends: the demo publishes both, so the second edition's changes file has something to say.
LAST_MONTH_END := $(shell date -d "$$(date +%Y-%m-01) -1 day" +%F)
PREVIOUS_MONTH_END := $(shell date -d "$$(date -d "$(LAST_MONTH_END)" +%Y-%m-01) -1 day" +%F)

# The month end after LAST_MONTH_END: the edition `make demo-blocked` tries to publish from a corrupted extract.
NEXT_MONTH_END := $(shell date -d "$$(date -d "$(LAST_MONTH_END) +1 day" +%Y-%m-01) +1 month -1 day" +%F)

.PHONY: help install demo demo-blocked test bench bench-quick clean

help:
	@echo "make demo         install, simulate the register, publish the last two monthly Datastore editions"
	@echo "make demo-blocked after make demo: the quality gate blocks an edition built from a corrupted extract"
	@echo "make test         install and run the whole test suite"
	@echo "make bench        benchmarks at 1x, 10x and 100x Scotland's scale (writes docs/benchmarks.md)"
	@echo "make bench-quick  the 1x benchmark alone"

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --quiet

demo: install
	$(RUN) carestats simulate --until $(LAST_MONTH_END) --months 2
	$(RUN) carestats publish-datastore --as-at $(PREVIOUS_MONTH_END)
	$(RUN) carestats publish-datastore --as-at $(LAST_MONTH_END)
	@echo
	@echo "Outputs are under $(CARESTATS_LAKE)/publish/datastore/ (one folder per edition):"
	@ls -1 $(CARESTATS_LAKE)/publish/datastore/$(LAST_MONTH_END)

# Demo only: copy the latest extract with deliberate defects (carestats corrupt-extract) and watch the gate stop it.
demo-blocked: install
	$(RUN) carestats corrupt-extract --as-at $(NEXT_MONTH_END)
	@if $(RUN) carestats publish-datastore --as-at $(NEXT_MONTH_END); then echo "expected the quality gate to block"; exit 1; fi
	@echo
	@echo "Blocked as intended: nothing under $(CARESTATS_LAKE)/publish/datastore/$(NEXT_MONTH_END); latest.json still says:"
	@cat $(CARESTATS_LAKE)/publish/datastore/latest.json
	@echo "Report: $(CARESTATS_LAKE)/quality/datastore/$(NEXT_MONTH_END)/quality_$(NEXT_MONTH_END).html"
	@rm -rf $(CARESTATS_LAKE)/landing/register/$$(date -d "$(NEXT_MONTH_END) +1 day" +%F)

test: install
	$(RUN) pytest

# Benchmarks (not part of make test): data is simulated once per scale and cached outside the repository.
bench: install
	$(RUN) python -m benchmarks.run --out docs

bench-quick: install
	$(RUN) python -m benchmarks.run --quick --out docs

clean:
	rm -rf .prefect data .pytest_cache
