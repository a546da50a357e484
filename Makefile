# layerwise: `make demo` trains the main job, `make test` runs the tests (each sets up .venv first).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EXTRAS := cli,dask,graph,torch,test,web

.PHONY: venv demo test bench clean mutation

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/layerwise train

test: venv
	$(PY) -m pytest -q

bench: venv
	$(PY) -m benchmarks

# Mutation testing of the engine (not part of CI): mutmut over the modules in pyproject's
# [tool.mutmut], then mutation/report.py writes mutants/summary.md. See DEVELOPERS.md.
mutation: venv
	$(PY) -m pip install -q -e ".[mutation]"
	rm -rf mutants
	nice $(VENV)/bin/mutmut run
	$(PY) mutation/report.py

clean:
	rm -rf $(VENV) runs .pytest_cache mutants
