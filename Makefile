# The two commands a new user needs: `make run` (whole suite with demo data) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | md5sum | cut -c1-8)
PROTOS := $(shell find proto -name '*.proto')
GEN := build/proto
GEN_STAMP := $(GEN)/.stamp

.PHONY: run test unit integration e2e proto bench up down compose-check venv clean check-services

venv: $(STAMP)
$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@# The repository root and the generated stubs are importable from the venv, wherever it runs.
	@echo "$(CURDIR)" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/bss.pth
	@echo "$(CURDIR)/$(GEN)" >> $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/bss.pth
	@rm -f $(VENV)/.installed-* && touch $@

proto: $(GEN_STAMP)
$(GEN_STAMP): $(STAMP) $(PROTOS)
	@rm -rf $(GEN) && mkdir -p $(GEN)
	$(PY) -m grpc_tools.protoc -Iproto --python_out=$(GEN) --pyi_out=$(GEN) --grpc_python_out=$(GEN) $(PROTOS)
	@find $(GEN) -type d -exec touch {}/__init__.py \;
	@touch $@

run: proto
	$(PY) -m deploy.suite run

test: proto
	$(PY) -m pytest

unit: proto
	$(PY) -m pytest tests/unit

integration: proto
	$(PY) -m pytest tests/integration

e2e: proto
	$(PY) -m pytest tests/e2e

bench: proto
	$(PY) -m tests.bench.run

# The suite in containers, with `docker compose` or the older `docker-compose` (deploy/compose picks).
up:
	deploy/compose up --build

down:
	deploy/compose down

# Not part of `make test`: it needs a Docker engine, and says so when there is none.
compose-check: venv
	$(PY) -m deploy.compose_check

clean:
	rm -rf $(VENV) build .pytest_cache
