# Developer tasks. `make setup` once, then `make test lint`.
PYTHON ?= python3

.PHONY: setup test lint examples

setup:
	$(PYTHON) -m pip install -e ".[test]"

test:
	$(PYTHON) -m pytest

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy
	lint-imports

# Regenerate examples/street from its script, then convert it into out/street.
examples:
	$(PYTHON) examples/make_examples.py
	seg-convert labelme2voc examples/street out/street --labels labels.txt
