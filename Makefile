# layerwise: `make demo` trains the main job, `make test` runs the tests (each sets up .venv first).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EXTRAS := cli,dask,graph,torch,test,web,onnxruntime

.PHONY: venv demo test bench clean

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

clean:
	rm -rf $(VENV) runs .pytest_cache
