"""Shared fixtures: the devices to test on (CPU always; CUDA when CuPy sees a GPU, or simulated).

``pytest --simulated-cuda`` runs the suite on :func:`minigrad.testing.simulated_cuda`: the default
device is ``cuda`` (a stand-in for CuPy on NumPy) and the ``gpu`` tests run on it.

``pytest --fuzz-seed N`` (default 0, what CI runs) or ``--fuzz-seed random`` seeds the seeded fuzz
generators of ``tests/fuzz`` (the ``fuzz_seed`` fixture); the header prints the seed used.
"""
import random

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import simulated_cuda

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def pytest_addoption(parser):
    parser.addoption("--simulated-cuda", action="store_true",
                     help="run every test with the default device on a simulated CUDA device (minigrad.simcupy)")
    parser.addoption("--fuzz-seed", default="0",
                     help="seed of the seeded fuzz generators (tests/fuzz): an integer (default 0, as CI runs them), "
                          "or 'random' for a new seed each run, printed in the header to replay a failure")


def pytest_configure(config):
    if config.getoption("--simulated-cuda"):
        config._simulated_cuda = simulated_cuda()
        config._simulated_cuda.__enter__()  # for the whole session: test modules see CUDA at import
        mg.set_default_device("cuda")


def pytest_unconfigure(config):
    sim = getattr(config, "_simulated_cuda", None)
    if sim is not None:
        sim.__exit__(None, None, None)


def _fuzz_seed(config) -> int:
    """``--fuzz-seed`` as an int, drawn once per run when it is 'random'."""
    if not hasattr(config, "_fuzz_seed"):
        value = config.getoption("--fuzz-seed")
        if value == "random":
            config._fuzz_seed = random.SystemRandom().randrange(2**32)
        else:
            try:
                config._fuzz_seed = int(value)
            except ValueError:
                raise pytest.UsageError(f"--fuzz-seed: expected an integer or 'random', got {value!r}") from None
    return config._fuzz_seed


def pytest_report_header(config):
    lines = [f"fuzz seed: {_fuzz_seed(config)} (replay with --fuzz-seed {_fuzz_seed(config)})"]
    if config.getoption("--simulated-cuda"):
        lines.append("minigrad: default device cuda, simulated on NumPy (minigrad.simcupy)")
    return lines


@pytest.fixture
def fuzz_seed(request) -> int:
    """The seed of this run's fuzz generators (``--fuzz-seed``)."""
    return _fuzz_seed(request.config)


def pytest_collection_modifyitems(config, items):
    if mg.cuda_is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU with CuPy on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


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
