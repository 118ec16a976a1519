# Two commands on a fresh machine: `make run` (chat in the terminal) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch first, so sentence-transformers does not pull a CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev,st,voice]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/kynangso db upgrade
	$(BIN)/kynangso ingest
	$(BIN)/kynangso run

lint: install
	$(BIN)/ruff check bot rag storage tests bench
	$(BIN)/mypy bot rag storage

test: install
	$(BIN)/kynangso lessons check > /dev/null
	$(BIN)/ruff check bot rag storage tests bench
	$(BIN)/mypy bot rag storage
	$(BIN)/python -m pytest -q

eval: install
	$(BIN)/kynangso eval --questions eval/questions/tune.jsonl --questions eval/questions/test.jsonl \
		--questions ../shared/eval/dev_questions.jsonl --retriever all --breakdown \
		--verdicts eval/verdicts/test.jsonl --verdicts eval/verdicts/tune.jsonl

bench: install
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) var .pytest_cache
