# The two commands: `make demo` runs the product on the embedded default,
# `make test` runs the suite (SQLite; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 5000
DEMO_DB ?= instance/demo.db
PYTEST_ARGS ?=

.PHONY: demo demo-reset test i18n install browser pdf wrk bench

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

i18n: install
	@for dir in */translations; do \
		if ls $$dir/*/LC_MESSAGES/*.po >/dev/null 2>&1; then $(BIN)/pybabel compile -d $$dir >/dev/null || exit 1; fi; \
	done

# Debian's chromium for the browser test; never a downloaded browser build.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is missing: the browser test will be skipped (apt-get install chromium)"; fi; }

# Debian's LibreOffice (no GUI) makes the contract PDFs (edo/pdf.py), with fonts metric-compatible
# with Times New Roman, Arial, Calibri and Cambria so a Word template keeps its layout. Optional:
# without it contracts go out as .docx and the PDF test is skipped.
pdf:
	@command -v soffice >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				libreoffice-writer-nogui fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea >/dev/null; \
		else echo "LibreOffice is missing: contracts stay .docx and the PDF test is skipped (apt-get install libreoffice-writer-nogui)"; fi; }

# The embedded demo: no SECRET_KEY or LiqPay keys to set, it makes its own once and keeps
# them in instance/signing-keys.json (core/signing_keys.py). Production never sets this.
demo: export EMBEDDED_DEMO := 1
demo: install i18n
	@mkdir -p instance
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/$(DEMO_DB)} $(BIN)/flask --app wsgi db-upgrade
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/$(DEMO_DB)} $(BIN)/flask --app wsgi seed-demo --if-empty
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/$(DEMO_DB)} EDO_POLL_SECONDS=$${EDO_POLL_SECONDS:-20} \
		EDO_REGISTRATION_CHECK_SECONDS=$${EDO_REGISTRATION_CHECK_SECONDS:-20} $(BIN)/flask --app wsgi serve-demo --port $(PORT)

demo-reset:
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm

test: install i18n browser pdf
	$(BIN)/pytest -q $(PYTEST_ARGS)

# Debian's wrk for the catalog figure (bench/catalog.py), as `browser` installs chromium.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else echo "wrk is missing: install it (apt-get install wrk) for the catalog figure"; exit 1; fi; }

# Every figure of bench/README.md; BENCH_ARGS=--quick checks them small, `python -m bench catalog` runs one.
BENCH_ARGS ?=
bench: install i18n wrk
	$(BIN)/python -m bench $(BENCH_ARGS)
