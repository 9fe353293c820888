"""Shared fixtures: the devices to test on (CPU always; CUDA when CuPy sees a GPU)."""
import numpy as np
import pytest

import minigrad as mg

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def pytest_collection_modifyitems(config, items):
    if mg.cuda_is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU with CuPy on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _restore_defaults():
    """Tests that change global settings must not leak them into other tests."""
    yield
    mg.set_default_dtype(mg.float32)
    mg.set_default_device("cpu")
    mg.set_grad_enabled(True)
