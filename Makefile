# Two commands set everything up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check sysdeps venv proto clean bench

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory sysdeps
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[train,ray,data,dev]"
	$(BIN)/python -m optsolve.service.codegen
	touch $(STAMP)

venv: $(STAMP)

# Debian packages: bubblewrap sandboxes LLM-written code (formalize --mode code).
sysdeps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap >/dev/null; fi; }

proto: $(STAMP)
	$(BIN)/python -m optsolve.service.codegen

run: $(STAMP)
	$(BIN)/optsolve --file optsolve/examples/bakery.txt

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check optsolve tests benchmarks
	$(BIN)/mypy

check: lint test

clean:
	rm -rf $(VENV) optsolve/service/_gen
