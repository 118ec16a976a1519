# Two commands on a fresh machine: `make run` (chat in the terminal) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: install run test lint bench eval clean

# Every install takes its versions from constraints.txt (the set the tests passed with).
# `make test` needs the whole set (torch, transformers and playwright for the comparison model and the
# browser tests); `make run` only what the tutor runs on: the bundled model and the voice extra.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch first, so sentence-transformers does not pull a CUDA build.
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e ".[dev,st,voice]"
	touch $(STAMP) $(RUN_STAMP)

$(RUN_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e ".[voice]"
	touch $(RUN_STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
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
