# carestats: `make demo` and `make test` do everything on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
# The first start of the embedded server on a fresh PREFECT_HOME migrates its database: give it longer than 20 s.
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120
export CARESTATS_LAKE ?= $(CURDIR)/data
# Python keeps the bytecode of what it imports, so each process after the first starts in a second rather than
# compiling pandas, Prefect and Great Expectations again (some machines set PYTHONDONTWRITEBYTECODE).
unexport PYTHONDONTWRITEBYTECODE

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
# The most recent month end: the latest edition the demo publishes.
LAST_MONTH_END := $(shell date -d "$$(date +%Y-%m-01) -1 day" +%F)

# The latest year-end (31 March) not after LAST_MONTH_END: the demo publishes that year's snapshot.
YEAR_END := $(shell d=$(LAST_MONTH_END); y=$${d:0:4}; [ "$${d:5:2}" \< 03 ] && y=$$((y - 1)); echo $$y-03-31)

# The month end after LAST_MONTH_END: the edition `make demo-blocked` tries to publish from a corrupted extract.
NEXT_MONTH_END := $(shell date -d "$$(date -d "$(LAST_MONTH_END) +1 day" +%Y-%m-01) +1 month -1 day" +%F)

.PHONY: help install demo demo-blocked server worker deploy lint format test bench bench-quick clean

help:
	@echo "make demo         install, simulate a year of register extracts and annual returns, ingest the returns,"
	@echo "                  backfill the editions from the year-end snapshot on, publish the last monthly"
	@echo "                  edition, rebuild the catalogue page, deliver the SSSC share, benchmark services"
	@echo "                  for inspectors and publish the staff vacancy statistics"
	@echo "make demo-blocked after make demo: the quality gate blocks an edition built from a corrupted extract"
	@echo "make server       the local Prefect server and its UI on http://127.0.0.1:4200 (leave it running)"
	@echo "make worker       a process worker that runs the deployments' flows (leave it running)"
	@echo "make deploy       register every deployment, schedule, secret and alert with the local server"
	@echo "make test         install, check lint and format (ruff), and run the whole test suite"
	@echo "make format       rewrite the code in the project's format (ruff), then fix what lint reports"
	@echo "make bench        benchmarks at 1x, 10x and 100x Scotland's scale (writes docs/benchmarks.md)"
	@echo "make bench-quick  the 1x benchmark alone"

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --quiet

# The latest return year whose collection window has opened (deployments/annual_return_windows.yaml),
# read once the project is installed.
RETURN_YEAR = $(shell $(RUN) python -c "from carestats.collection import latest_open_year; print(latest_open_year())")
# Every return year whose window has opened, oldest first: the demo simulates and ingests them all, so that
# the statistics have a trend and the benchmarks a change since last year.
RETURN_YEARS = $(shell $(RUN) python -c "from carestats.collection import opened_years; print(*opened_years())")

# The demo's pseudonym key: random, made once on this machine, never in the code (production reads the
# Prefect Secret block sssc-pseudonym-key).
SSSC_DEMO_KEY := $(PREFECT_HOME)/sssc-demo-key

$(SSSC_DEMO_KEY):
	@mkdir -p $(dir $@) && umask 077 && python3 -c "import secrets; print(secrets.token_hex(32))" > $@

# The backfill builds every edition from the year-end snapshot on, several at once. Run again, it skips them all;
# publish-datastore then reruns the latest edition as the monthly deployment does (unchanged: nothing rewritten).
# The snapshot is kept for good: when changed code rebuilds it differently, the backfill fails that month alone
# (exit code 4) and the demo publishes the change as the snapshot's next revision, as an engineer would.
demo: install $(SSSC_DEMO_KEY)
	$(RUN) carestats simulate --until $(LAST_MONTH_END) --months 12 $(addprefix --return-year ,$(RETURN_YEARS))
	for year in $(RETURN_YEARS); do $(RUN) carestats ingest-returns --year $$year || exit $$?; done
	$(RUN) carestats backfill --from $(YEAR_END) --to $(LAST_MONTH_END) || { test $$? -eq 4 && \
	  $(RUN) carestats publish-datastore --as-at $(YEAR_END) --revise --reason "Rebuilt by make demo with changed code"; }
	$(RUN) carestats publish-datastore --as-at $(LAST_MONTH_END)
	@echo
	@$(RUN) carestats returns-status --year $(RETURN_YEAR)
	@echo
	@echo "Annual returns $(RETURN_YEAR): the curated store is under $(CARESTATS_LAKE)/curated/annual-returns/$(RETURN_YEAR)/store/,"
	@echo "  quarantined rows and files under $(CARESTATS_LAKE)/quarantine/annual-returns/$(RETURN_YEAR)/,"
	@echo "  compliance reports and reminders under $(CARESTATS_LAKE)/reports/annual-returns/$(RETURN_YEAR)/."
	@echo "Datastore editions are under $(CARESTATS_LAKE)/publish/datastore/ (one folder per edition; NumberStaff from the returns);"
	@echo "  the year-end snapshot is $(CARESTATS_LAKE)/publish/datastore/$(YEAR_END)/, the latest monthly edition holds:"
	@ls -1 $(CARESTATS_LAKE)/publish/datastore/$(LAST_MONTH_END)
	@echo "The catalogue page (open it in a browser): $(CARESTATS_LAKE)/publish/index.html"
	@echo
	CARESTATS_SSSC_PSEUDONYM_KEY=$$(cat $(SSSC_DEMO_KEY)) $(RUN) carestats share-sssc --year $(RETURN_YEAR) --as-at $(LAST_MONTH_END)
	@echo "The SSSC delivery is under $${CARESTATS_SSSC_TARGET:-$(CARESTATS_LAKE)/deliveries/sssc}/$(RETURN_YEAR)/; its disclosure report:"
	@cat $${CARESTATS_SSSC_TARGET:-$(CARESTATS_LAKE)/deliveries/sssc}/$(RETURN_YEAR)/delivery-*/disclosure_report_$(RETURN_YEAR).json | tail -n 60
	@echo
	$(RUN) carestats benchmark-services --year $(RETURN_YEAR) --profiles 25
	@echo "Inspection benchmarks (internal, never published): the table for inspectors is under"
	@echo "  $(CARESTATS_LAKE)/reports/inspection-benchmarks/$(RETURN_YEAR)/ (CSV and Excel); the profiles of the 25 services"
	@echo "  that stand out most, and the page that finds any service by CS number, are under"
	@echo "  $(CARESTATS_LAKE)/reports/inspection-benchmarks/profiles/$(RETURN_YEAR)/index.html"
	@echo "  (any other service: carestats service-profile CS... --year $(RETURN_YEAR))."
	@echo
	$(RUN) carestats publish-statistics --year $(RETURN_YEAR)
	@echo "Published statistics $(RETURN_YEAR) (tables in CSV and Excel, and the bulletin):"
	@ls -1 $(CARESTATS_LAKE)/publish/statistics/$(RETURN_YEAR)
	@echo "The bulletin (open it in a browser): $(CARESTATS_LAKE)/publish/statistics/$(RETURN_YEAR)/staff_vacancies_$(RETURN_YEAR).html"

# Demo only: a corrupted copy of the latest extract, the gate stopping its edition, the copy removed again.
demo-blocked: install
	$(RUN) python -m simulation.blocked_demo --as-at $(NEXT_MONTH_END)
	@echo
	@echo "Blocked as intended: nothing under $(CARESTATS_LAKE)/publish/datastore/$(NEXT_MONTH_END); latest.json still says:"
	@cat $(CARESTATS_LAKE)/publish/datastore/latest.json
	@echo "Report: $(CARESTATS_LAKE)/quality/datastore/$(NEXT_MONTH_END)/quality_$(NEXT_MONTH_END).html"

# The local system, in three terminals: make server, make worker, make deploy. Each reads
# deployments/local.env and nothing else (telemetry off there too).
LOCAL_ENV := set -a && . deployments/local.env && set +a &&

server: install
	$(LOCAL_ENV) $(RUN) prefect server start

worker: install
	$(LOCAL_ENV) $(RUN) prefect worker start --pool carestats-process --type process

# The SSSC share's deployment reads its pseudonym key from a Secret block: deploy writes the demo's key there.
deploy: install $(SSSC_DEMO_KEY)
	$(LOCAL_ENV) CARESTATS_SSSC_PSEUDONYM_KEY=$$(cat $(SSSC_DEMO_KEY)) $(RUN) carestats deploy

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

# Two workers, one per core, sharing one Prefect test harness (tests/conftest.py); a test file stays on one worker.
test: lint
	$(RUN) pytest -n 2 --dist loadfile

# Benchmarks (not part of make test): data is simulated once per scale and cached outside the repository.
bench: install
	$(RUN) python -m benchmarks.run --out docs

bench-quick: install
	$(RUN) python -m benchmarks.run --quick --out docs

clean:
	rm -rf .prefect data .pytest_cache
