"""Grades attention_backward: forward, then the gradient three ways.

Grades ``student.py`` beside this file; a teacher grades another file with
``ASSIGNMENT_MODULE=lessons.assignments.attention_backward.solution python -m pytest ...``.
"""
import importlib
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import assert_close, gradcheck

MODULE = os.environ.get("ASSIGNMENT_MODULE", "lessons.assignments.attention_backward.student")
student = importlib.import_module(MODULE)
RNG = np.random.default_rng(0)


def _inputs(*shapes):
    return [mg.tensor(RNG.standard_normal(s), dtype=mg.float64, requires_grad=True) for s in shapes]


def test_forward_is_attention():
    q, k, v = _inputs((2, 3, 4), (2, 5, 4), (2, 5, 6))
    assert_close(student.attention(q, k, v), mg.nn.functional.scaled_dot_product_attention(q, k, v), rtol=1e-12, atol=1e-12,
                 msg="the forward pass was given to you: it should not have changed")


def _backward_or_explain(q, k, v):
    out = student.attention(q, k, v)
    try:
        (out * mg.tensor(RNG.standard_normal(out.shape))).sum().backward()
    except NotImplementedError as e:
        pytest.fail(f"backward is not written yet ({e}). Start from dL/dV = P^T dL/dO.")


def test_gradient_shapes():
    q, k, v = _inputs((3, 4), (5, 4), (5, 2))
    _backward_or_explain(q, k, v)
    for name, t in (("Q", q), ("K", k), ("V", v)):
        assert t.grad is not None, f"backward returned no gradient for {name}"
        assert t.grad.shape == t.shape, f"dL/d{name} has shape {t.grad.shape}, but {name} has shape {t.shape}"


@pytest.mark.parametrize("which", ["V", "Q", "K"])
def test_gradient_against_finite_differences(which):
    q, k, v = _inputs((2, 3, 4), (2, 5, 4), (2, 5, 3))
    for t, name in ((q, "Q"), (k, "K"), (v, "V")):
        t.requires_grad = name == which
    try:
        gradcheck(student.attention, [q, k, v])
    except NotImplementedError as e:
        pytest.fail(f"backward is not written yet ({e})")
    except AssertionError as e:
        hint = {"V": "dL/dV = P^T dL/dO", "Q": "dL/dQ = scale * dS K, with dS = P * (dP - rowsum(dP * P))",
                "K": "dL/dK = scale * dS^T Q (mind the transpose)"}[which]
        pytest.fail(f"dL/d{which} is wrong. Hint: {hint}\n{e}")


def test_gradient_matches_minigrad_on_a_batch_of_heads():
    arrays = [RNG.standard_normal(s) for s in ((2, 2, 4, 8), (2, 2, 6, 8), (2, 2, 6, 8))]
    g = mg.tensor(RNG.standard_normal((2, 2, 4, 8)))
    grads = {}
    for label, fn in (("yours", student.attention), ("minigrad", mg.nn.functional.scaled_dot_product_attention)):
        leaves = [mg.tensor(a, requires_grad=True) for a in arrays]
        try:
            (fn(*leaves) * g).sum().backward()
        except NotImplementedError as e:
            pytest.fail(f"backward is not written yet ({e})")
        grads[label] = [t.grad for t in leaves]
    for name, a, b in zip("QKV", grads["yours"], grads["minigrad"]):
        assert_close(a, b, rtol=1e-10, atol=1e-12, msg=f"dL/d{name} differs from minigrad's attention")
