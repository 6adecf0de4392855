# Undersigned: every entry point. `make run` and `make test` work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Stamps name the content of what they installed, so a changed pin reinstalls.
PY_STAMP := $(VENV)/.deps-$(shell cat requirements.txt requirements-dev.txt 2>/dev/null | sha1sum | cut -c1-12)
NODE_STAMP := node_modules/.deps-$(shell sha1sum package-lock.json 2>/dev/null | cut -c1-12)

.PHONY: help deps browser run snapshot cli lint unit test check bench bench-scale clean
help:
	@echo "make run   - serve the site and API on http://127.0.0.1:8000 (state in .local/)"
	@echo "make test  - run every test tier"
	@echo "make unit  - the unit tier alone (no Java, seconds)"

$(PY_STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.deps-* && touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# DynamoDB Local needs Java 17, the PDF tests poppler's pdftotext/pdftoppm: installed from
# Debian's packages if the machine lacks them.
deps: $(PY_STAMP) $(NODE_STAMP)
	@command -v pdftotext >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; } || { echo "The PDF tests read the letter with poppler (apt-get install poppler-utils)"; exit 1; }
	@command -v java >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; } || { echo "DynamoDB Local needs Java 17 (apt-get install openjdk-17-jre-headless)"; exit 1; }

run: deps
	$(PY) -m tools.run

# The nightly snapshot once, against the local stack (the running one, or started for it).
snapshot: deps
	$(PY) -m tools.run snapshot

# Organiser CLI against the local site: make cli ARGS="queue eu-hrc43-dprk"
cli: deps
	$(PY) -m tools.cli $(ARGS)

# Browser tests drive Debian's chromium; never a downloaded browser. Debian's Noto CJK fonts
# too, so the Korean pages' screenshots show Hangul, not boxes.
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }

# Lint (ruff: unused or undefined names, syntax; ruff.toml), then every test tier.
lint: deps
	$(PY) -m ruff check app.py chalicelib tools bench tests

# The unit tier alone: no Java, no services; the use cases run against the in-memory store.
unit: $(PY_STAMP) lint
	$(PY) -m pytest tests/unit tests/usecases -m "not dynamodb"

# The browser tier beside every other tier, and those in TEST_WORKERS processes (pytest-xdist,
# a test module to a process, the slowest modules first: tests/conftest.py). Each process starts
# its own DynamoDB Local and moto on free ports. The tiers' output follows the browser tier's.
# Most of a test's time is a round trip to a local server, so three processes beside the
# browser keep CI's two cores busy.
TEST_WORKERS ?= 3
test: deps browser lint
	@mkdir -p .local
	@$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --ignore=tests/browser > .local/test-tiers.log 2>&1 & tiers=$$!; \
	$(PY) -m pytest tests/browser; browser=$$?; \
	wait $$tiers; others=$$?; cat .local/test-tiers.log; \
	echo "browser tier exit $$browser, other tiers exit $$others"; \
	exit $$(( browser != 0 || others != 0 ))

check: test

# AWS: package, infra-check, deploy, destroy (docs/DEPLOY.md).
include infra/infra.mk

clean:
	rm -rf $(VENV) node_modules build

# Benchmarks: every one under bench/, against a local stack each starts (bench/results/latest.json).
bench: deps browser
	$(PY) bench/run.py

# Every job at scale (issue 14): 100,000 signatures, 1/4/16 workers, projected to 10 million.
# Not part of `make test` or `make bench` (minutes). SIZES=100000,1000000 adds a million.
SIZES ?= 100000
bench-scale: deps
	$(PY) bench/scale.py --sizes $(SIZES)
