# artgan: two commands do everything on a fresh machine.
#   make demo   install, train DCGAN briefly on the built-in landscapes, write images
#   make test   install, run the test suite (what CI runs)
#   make test-fast   the edit loop: every test not marked slow (under 2 minutes)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Busy-waiting OpenMP threads make a shared 2-core machine crawl.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: install browser demo test test-fast lint bench clean

$(BIN)/artgan: pyproject.toml requirements-nodeps.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: the local CPU wheel; an unpinned torch pulls GBs of CUDA.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps -r requirements-nodeps.txt -r requirements-test.txt
	touch $@

install: $(BIN)/artgan

# Headless Chromium + ChromeDriver from Debian for the studio's browser tests
# (tests/test_studio_browser.py); nothing is downloaded by the test tools themselves.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

demo: install
	rm -rf runs/demo
	$(BIN)/artgan train --model dcgan --resolution 32 --steps 600 --precision auto \
		--sample-every 200 --ckpt-every 200 --out runs/demo
	$(BIN)/artgan generate runs/demo --n 64 --seed 0 --out runs/demo/generated
	@echo "demo done: open runs/demo/samples/latest.png and runs/demo/generated/grid_seed0_n64.png"

# every test package is installed here, so a missing one fails the run instead of skipping
test: install browser
	ARTGAN_REQUIRE_TEST_DEPS=1 $(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow" -x

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf runs build *.egg-info .pytest_cache .ruff_cache
