"""Shared fixtures: the devices to test on (CPU always; CUDA when CuPy sees a GPU, or simulated).

``pytest --simulated-cuda`` runs the suite on :func:`minigrad.testing.simulated_cuda`: the default
device is ``cuda`` (a stand-in for CuPy on NumPy) and the ``gpu`` tests run on it.
``pytest --fuzz-seed random`` (or an int) reseeds the randomized generators that take ``fuzz_seed``.
"""
import re
import secrets
from collections import Counter

import os

import numpy as np
import pytest
from hypothesis import settings

# CI replays the same examples on every run (a landing never hangs on a new draw); local runs explore new
# ones and keep what fails in .hypothesis/, and `pytest --hypothesis-seed N` replays a run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

import minigrad as mg
from minigrad.testing import simulated_cuda

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def pytest_addoption(parser):
    parser.addoption("--simulated-cuda", action="store_true",
                     help="run every test with the default device on a simulated CUDA device (minigrad.simcupy)")
    parser.addoption("--fuzz-seed", default="0",
                     help="seed of the randomized fuzz generators (the fuzz_seed fixture): an int (default 0, as in CI), "
                          "or 'random' for a fresh one, shown in the report header to rerun a failure")


def pytest_configure(config):
    seed = config.getoption("--fuzz-seed")
    if seed == "random":
        config._fuzz_seed = secrets.randbelow(2**32)
    else:
        try:
            config._fuzz_seed = int(seed)
        except ValueError:
            raise pytest.UsageError(f"--fuzz-seed: expected an int or 'random', got {seed!r}") from None
    if config.getoption("--simulated-cuda"):
        config._simulated_cuda = simulated_cuda()
        config._simulated_cuda.__enter__()  # for the whole session: test modules see CUDA at import
        mg.set_default_device("cuda")


def pytest_unconfigure(config):
    sim = getattr(config, "_simulated_cuda", None)
    if sim is not None:
        sim.__exit__(None, None, None)


def pytest_report_header(config):
    lines = [f"minigrad: --fuzz-seed {config._fuzz_seed} (replay a failure with this seed)"]
    if config.getoption("--simulated-cuda"):
        lines.append("minigrad: default device cuda, simulated on NumPy (minigrad.simcupy)")
    return lines


@pytest.fixture
def fuzz_seed(request):
    """The seed of a randomized generator (``--fuzz-seed``; fixed unless 'random', so CI is reproducible)."""
    return request.config._fuzz_seed


def pytest_collection_modifyitems(config, items):
    if mg.cuda_is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU with CuPy on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


INSTALL = {"torch": "PyTorch not installed (pip install torch==2.13.0)"}  # what to say for a missing module


def _why_skipped(report) -> str:
    """A skipped test's reason, with "could not import 'x'" said as what to install."""
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    missing = re.match(r"could not import '([\w.]+)'", reason)
    if missing:
        module = missing.group(1).split(".")[0]
        return INSTALL.get(module, f"{module} not installed (pip install {module})")
    return reason


def pytest_terminal_summary(terminalreporter):
    """One line saying why tests were skipped, most common reason first
    ("1,109 skipped: PyTorch not installed (pip install torch==2.13.0); ...")."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if r.skipped]
    if skipped:
        reasons = Counter(_why_skipped(r) for r in skipped).most_common()
        terminalreporter.write_line("skipped: " + "; ".join(f"{n:,} {why}" for why, n in reasons))


@pytest.fixture(params=DEVICES)
def device(request):
    """The device a test runs on; it is also the default device of the tensors the test makes."""
    mg.set_default_device(request.param)
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _restore_defaults(request):
    """Tests that change global settings must not leak them into other tests."""
    yield
    mg.backend.raise_failed_checks()  # a device-side error no transfer reported fails this test, not a later one
    mg.set_default_dtype(mg.float32)
    mg.set_default_device("cuda" if request.config.getoption("--simulated-cuda") else "cpu")
    mg.set_grad_enabled(True)
