"""Regression tests for the edge cases a differential fuzz run against PyTorch found (issue 19).

Each runs the same code on minigrad and PyTorch through :func:`oracle.compare`, which checks values,
dtypes, gradients, and that minigrad raises exactly where PyTorch raises, with an error of its kind.
"""
import warnings

import numpy as np
import pytest

import minigrad as mg
from oracle import Input, Mismatch, compare, load_torch

torch = load_torch()
NAN, INF = float("nan"), float("inf")


def f64(*values, grad=True):
    return Input(np.array(values, dtype=np.float64).reshape(np.shape(values)), grad)


def same(op, fn, *inputs, **kw):
    return compare(op, fn, inputs, **kw)


def raises_like_torch(op, fn, *inputs):
    got, ref = compare(op, fn, inputs)
    assert ref.error is not None and got.error is not None, (ref.error, got.error)
    return got.error


# ----------------------------------------------------------------- silent wrong results
@pytest.mark.parametrize("target", [[1.0, 0.3], [0.0, 1.0]])
def test_bce_with_logits_gradient_at_a_logit_of_zero(target):
    got, _ = same("bce", lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(x, y),
                  f64(0.0, 0.0), f64(*target, grad=False))
    assert got.grads[0] is not None and np.all(got.grads[0] != 0)


def test_bce_with_logits_pos_weight_and_reductions_at_zero():
    for red in ("mean", "sum", "none"):
        same("bce", lambda m, x, y, p: m.nn.functional.binary_cross_entropy_with_logits(x, y, reduction=red, pos_weight=p),
             f64(0.0, -0.0, 2.0), f64(1.0, 0.5, 0.0, grad=False), f64(3.0, 1.0, 0.5, grad=False))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
@pytest.mark.parametrize("op", ["and", "or", "xor"])
def test_bitwise_operators_on_integers_and_bools(op, dtype):
    a = Input(np.array([3, 5, 0, -1, 12]).astype(dtype))
    b = Input(np.array([6, 1, 7, 2, 10]).astype(dtype))
    sym = {"and": lambda x, y: x & y, "or": lambda x, y: x | y, "xor": lambda x, y: x ^ y}[op]
    got, _ = same(op, lambda m, x, y: sym(x, y), a, b)
    same(op, lambda m, x: sym(x, 3), a)
    same(op, lambda m, x: sym(True, x), a)
    same(op, lambda m, x, y: getattr(m, f"bitwise_{op}")(x, y), a, b)
    if dtype != np.bool_:  # bitwise, not logical: 3 & 6 = 2
        assert got.values[0].tolist()[0] == sym(3, 6)


@pytest.mark.parametrize("op", ["and", "or", "xor"])
def test_bitwise_operators_on_floats_are_refused(op):
    sym = {"and": lambda x, y: x & y, "or": lambda x, y: x | y, "xor": lambda x, y: x ^ y}[op]
    e = raises_like_torch(op, lambda m, x, y: sym(x, y), f64(1.0, 2.0, grad=False), f64(1.0, 0.0, grad=False))
    assert f"bitwise_{op}" in str(e) and "float64" in str(e)
    raises_like_torch(op, lambda m, x: sym(x, 1), Input(np.array([1.5], dtype=np.float32)))
    raises_like_torch(op, lambda m, x: sym(x, 1.5), Input(np.array([1, 2])))


def test_invert_is_bitwise_on_integers_logical_on_bools_refused_on_floats():
    got, _ = same("~", lambda m, x: ~x, Input(np.array([3, 0, -4])))
    assert got.values[0].tolist() == [-4, -1, 3]
    same("~", lambda m, x: ~x, Input(np.array([True, False])))
    e = raises_like_torch("~", lambda m, x: ~x, f64(1.0, grad=False))
    assert isinstance(e, TypeError) and "bitwise_not" in str(e)


@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_in_place_op_on_a_zero_dim_view_from_integer_indexing_writes_back(dtype):
    def fn(m, x):
        x[0].add_(1)
        x[1].mul_(3)
        x[-1].fill_(7)
        x[0, ...].sub_(5)
        return x
    got, _ = same("index view", fn, Input(np.array([1, 2, 3]).astype(dtype)))
    assert got.values[0].tolist() == [-3, 6, 7]
    same("index view", lambda m, x: (x[1, 0].add_(10), x)[1], Input(np.arange(6).reshape(2, 3)))


def test_std_gradient_at_zero_variance_is_zero():
    got, _ = same("std", lambda m, x: x.std(), f64(2.0, 2.0, 2.0))
    assert got.grads[0].tolist() == [0, 0, 0]
    same("std", lambda m, x: x.std(1), f64([1.0, 1.0], [1.0, 2.0]))
    same("std", lambda m, x: x.std(0, correction=0, keepdim=True), f64([3.0], [3.0]))


@pytest.mark.parametrize("correction", [2, 3, 5])
def test_var_and_std_with_correction_at_least_n(correction):
    # values: +inf, or NaN for equal elements, as PyTorch (the var gradient's sign is a listed difference)
    same("var", lambda m, x: x.var(correction=correction), f64(1.0, 3.0), check_grad=False)
    same("var", lambda m, x: x.var(correction=correction), f64(1.0, 1.0))
    same("std", lambda m, x: x.std(correction=correction), f64(1.0, 3.0))
    got, _ = same("var", lambda m, x: x.var(correction=correction), f64(1.0, 3.0), check_grad=False)
    assert got.values[0] == np.inf


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_where_every_target_is_ignored(reduction):
    x = f64([1.0, 2.0], [3.0, 4.0])
    t = Input(np.array([-100, -100]))
    got, _ = same("cross_entropy", lambda m, x, t: m.nn.functional.cross_entropy(x, t, reduction=reduction), x, t)
    assert np.all(got.grads[0] == 0)  # NaN loss for "mean", but a zero gradient, not NaN
    same("cross_entropy", lambda m, x, t: m.nn.functional.cross_entropy(x, t, reduction=reduction, label_smoothing=0.1), x, t)
    same("nll_loss", lambda m, x, t: m.nn.functional.nll_loss(x, t, ignore_index=1, reduction=reduction),
         x, Input(np.array([1, 1])))


def test_nan_gradients_route_through_relu_max_and_maximum_as_in_pytorch():
    same("relu", lambda m, x: m.relu(x), f64(NAN, 1.0, -1.0, 0.0))
    same("max", lambda m, x: x.max(), f64(NAN, 1.0, 3.0))
    same("min", lambda m, x: x.min(), f64(2.0, NAN, NAN))
    same("amax", lambda m, x: x.amax(1), f64([NAN, 1.0, 3.0]))
    same("max(dim)", lambda m, x: x.max(1), f64([NAN, 1.0, 3.0], [1.0, 2.0, 2.0]))
    same("maximum", lambda m, a, b: m.maximum(a, b), f64(NAN, 1.0, 2.0, NAN), f64(1.0, NAN, 2.0, NAN))
    same("minimum", lambda m, a, b: m.minimum(a, b), f64(NAN, 1.0, 2.0, 5.0), f64(1.0, NAN, 2.0, 4.0))


@pytest.mark.parametrize("exponent", [0.5, -1.0, 2.0, 0.0, 3.0, -0.5, -2.0, -3.0])
@pytest.mark.parametrize("base", [-0.0, 0.0])
def test_pow_at_signed_zero(base, exponent):
    same("pow", lambda m, a, b: a**b, f64(base), f64(exponent))
    same("pow", lambda m, a: a**exponent, f64(base))


def test_gradient_of_x_to_the_zero_at_zero():
    got, _ = same("pow", lambda m, x: x**0, f64(0.0, -0.0, 2.0))
    assert got.grads[0].tolist() == [0, 0, 0]
    same("pow", lambda m, x, y: x**y, f64(0.0, 1.0), f64(0.0, 0.0))


@pytest.mark.parametrize("logits", [[INF, 1.0], [INF, INF], [-INF, -INF], [-INF, 1.0], [INF, -INF]])
def test_log_softmax_softmax_and_cross_entropy_with_infinite_logits(logits):
    same("log_softmax", lambda m, x: m.log_softmax(x, 0), f64(*logits))
    same("softmax", lambda m, x: m.softmax(x, 0), f64(*logits))
    same("logsumexp", lambda m, x: m.logsumexp(x, 0), f64(*logits))
    for target in (0, 1):
        same("cross_entropy", lambda m, x, t: m.nn.functional.cross_entropy(x, t), f64(logits), Input(np.array([target])))


@pytest.mark.parametrize("shape, dim", [((0, 3), 0), ((2, 0), 1), ((0,), 0)])
def test_chunk_and_split_along_a_size_zero_dimension(shape, dim):
    x = Input(np.zeros(shape))
    for chunks in (1, 2, 3):
        got, _ = same("chunk", lambda m, x: x.chunk(chunks, dim), x)
        assert len(got.values) == chunks
    got, _ = same("split", lambda m, x: x.split(2, dim), x)
    assert len(got.values) == 1
    same("split", lambda m, x: x.split([0, 0], dim), x)


@pytest.mark.parametrize("op", ["exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_bool_inputs_of_float_functions_promote_to_float(op, dtype):
    x = Input(np.array([0, 1, 2, 3]).astype(dtype))
    got, _ = same(op, lambda m, x: getattr(m, op)(x), x)
    assert got.dtypes == ["float32"]
    same(op, lambda m, x: getattr(x, op)(), x)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_integer_inputs_of_logsumexp_promote_to_float(dtype):
    same("logsumexp", lambda m, x: m.logsumexp(x, 0), Input(np.array([0, 1, 1]).astype(dtype)))


def test_bool_arithmetic_that_pytorch_refuses():
    b, i = Input(np.array([True, False])), Input(np.array([1, 2]))
    e = raises_like_torch("sub", lambda m, x, y: x - y, b, b)
    assert "sub" in str(e) and "logical_xor" in str(e)
    raises_like_torch("sub", lambda m, x: 1 - x, b)
    raises_like_torch("sub", lambda m, x: x - 1, b)
    raises_like_torch("sub", lambda m, x, y: x - y, b, i)
    raises_like_torch("sub", lambda m, x: x - True, i)
    raises_like_torch("neg", lambda m, x: -x, b)
    raises_like_torch("relu", lambda m, x: m.relu(x), b)
    raises_like_torch("abs", lambda m, x: m.abs(x), b)
    raises_like_torch("abs", lambda m, x: x.abs(), b)
    same("relu", lambda m, x: m.relu(x), Input(np.array([-1, 2])))
    same("abs", lambda m, x: m.abs(x), Input(np.array([-1, 2])))


def test_bool_to_a_bool_power_is_refused_and_integer_powers_stay_integer():
    b = Input(np.array([True, False]))
    raises_like_torch("pow", lambda m, x, y: x**y, b, b)
    same("pow", lambda m, x: x**2, b)
    same("pow", lambda m, x, y: x**y, Input(np.array([2, 3])), b)
    raises_like_torch("pow", lambda m, x: x**-1, Input(np.array([2, 3])))


def test_argmax_with_dim_on_one_and_zero_dimensional_tensors():
    for dim, keep in [(0, False), (-1, True), (0, True)]:
        got, _ = same("argmax", lambda m, x: x.argmax(dim, keepdim=keep), f64(1.0, 3.0, 2.0))
        same("argmin", lambda m, x: x.argmin(dim, keepdim=keep), f64(1.0, 3.0, 2.0))
        same("argmax", lambda m, x: x.argmax(dim, keepdim=keep), f64(1.5))
    assert repr(mg.tensor([1.0, 3.0], device="cpu").argmax(0)) == "tensor(1)"


def test_argmax_and_max_when_another_dimension_has_size_zero():
    x = Input(np.zeros((0, 3)))
    same("argmax", lambda m, x: x.argmax(1), x)
    same("max(dim)", lambda m, x: x.max(1), x)
    same("amax", lambda m, x: x.amax(1), x)
    raises_like_torch("argmax", lambda m, x: x.argmax(0), x)
    raises_like_torch("argmax", lambda m, x: x.argmax(), x)
    raises_like_torch("amax", lambda m, x: x.amax(0), x)


def test_zero_dimensional_softmax_family_and_max_with_dim():
    same("log_softmax", lambda m, x: m.log_softmax(x, 0), f64(1.5))
    same("softmax", lambda m, x: m.softmax(x, -1), f64(1.5))
    same("logsumexp", lambda m, x: m.logsumexp(x, 0), f64(1.5))
    for keep in (False, True):
        same("max(dim)", lambda m, x: x.max(dim=0, keepdim=keep), f64(1.5))
        same("min(dim)", lambda m, x: m.min(x, 0, keepdim=keep), f64(1.5))


def test_gelu_of_a_zero_dimensional_cpu_tensor():
    for approximate in ("none", "tanh"):
        same("gelu", lambda m, x: m.nn.functional.gelu(x, approximate=approximate), f64(0.7))


@pytest.mark.parametrize("shape, dim", [((3, 0), 1), ((0, 3), 1), ((0,), 0), ((2, 0, 2), 1)])
def test_softmax_and_logsumexp_over_a_size_zero_dimension(shape, dim):
    x = Input(np.zeros(shape), True)
    same("softmax", lambda m, x: m.softmax(x, dim), x)
    same("log_softmax", lambda m, x: m.log_softmax(x, dim), x)
    same("logsumexp", lambda m, x: m.logsumexp(x, dim), x)
    same("logsumexp", lambda m, x: m.logsumexp(x, dim, keepdim=True), x)


def test_embedding_with_embedding_dim_zero_backward():
    w = Input(np.zeros((3, 0)), True)
    same("embedding", lambda m, w, i: m.nn.functional.embedding(i, w), w, Input(np.array([0, 2, 2])))
    emb = mg.nn.Embedding(3, 0)
    emb(mg.tensor([[0, 1]])).sum().backward()
    assert emb.weight.grad.shape == (3, 0)


def test_masked_fill_with_a_mask_that_broadcasts():
    x = f64(1.0, 2.0, 3.0)
    same("masked_fill", lambda m, x, k: x.masked_fill(k, -1.0), x, Input(np.array([[True, False, True], [False, False, True]])))
    same("masked_fill", lambda m, x, k: m.masked_fill(x, k, 0.5), x, Input(np.array([[True], [False]])))
    raises_like_torch("masked_fill", lambda m, x, k: x.masked_fill(k, 0.0), x, Input(np.array([True, False])))


# ----------------------------------------------------------------- missing API
def test_add_and_sub_with_alpha():
    a, b = f64(1.0, 2.0), f64(3.0, -1.0)
    for alpha in (3, 0.5, -2):
        same("add", lambda m, x, y: m.add(x, y, alpha=alpha), a, b)
        same("sub", lambda m, x, y: m.sub(x, y, alpha=alpha), a, b)
        same("add", lambda m, x, y: x.add(y, alpha=alpha), a, b)
        same("sub", lambda m, x: x.sub(2, alpha=alpha), a)
    ints = Input(np.array([1, 2]))
    same("add", lambda m, x, y: m.add(x, y, alpha=2), ints, ints)
    raises_like_torch("add", lambda m, x, y: m.add(x, y, alpha=0.5), ints, ints)
    same("add", lambda m, x, y: m.add(x, y, alpha=True), Input(np.array([True, False])), Input(np.array([True, True])))


def test_register_hook_on_leaves_and_intermediates_as_pytorch():
    def fn(m, x):
        seen = []
        x.register_hook(lambda g: seen.append(g.sum().item()))
        y = x * 3
        y.register_hook(lambda g: g + 1)
        y.retain_grad()
        z = y.sin()
        handle = z.register_hook(lambda g: g * 100)
        handle.remove()
        x.register_hook(lambda g: g * 2)
        return z, y
    same("register_hook", fn, f64(1.0, -2.0, 0.5))
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: g + 1)
    y.retain_grad()
    y.sum().backward()
    assert y.grad.tolist() == [2.0, 2.0]  # retain_grad sees the hooked gradient, as PyTorch
    with pytest.raises(RuntimeError, match="register_hook: cannot register a hook on a tensor that does not require grad"):
        mg.ones(2).register_hook(lambda g: g)


def test_requires_grad_on_a_non_leaf_as_pytorch():
    for lib in (mg, torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        assert y.requires_grad_() is y and y.requires_grad_(True).requires_grad
        with pytest.raises(RuntimeError, match="only change requires_grad flags? of leaf"):
            y.requires_grad_(False)
        with pytest.raises(RuntimeError):
            y.requires_grad = False


def test_reading_grad_of_a_non_leaf_warns_as_pytorch():
    for lib in (mg, torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.sum().backward()
        with pytest.warns(UserWarning, match="not a leaf"):
            assert y.grad is None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            z = x * 3
            z.retain_grad()
            z.sum().backward()
            assert z.grad is not None and x.grad is not None  # no warning: retained, and a leaf


def test_the_oracle_itself_notices_a_wrong_value():
    with pytest.raises(Mismatch, match="value"):
        compare("exp", lambda m, x: m.exp(x) if m is mg else torch.exp(x) + 1, [f64(1.0)])


def test_the_oracle_notices_numpy_messages_and_foreign_exception_kinds():
    from oracle import check_error_message

    check_error_message("add", RuntimeError("add: shapes (2,) and (3,) cannot be broadcast together"))
    for bad in (ValueError("operands could not be broadcast together with shapes (2,) (3,)"),
                IndexError("index 5 is out of bounds for axis 0 with size 3"),
                RuntimeError("sub_: Cannot cast ufunc 'subtract' output from dtype('float64')"),
                ZeroDivisionError("float division by zero"), AttributeError("'NoneType' object has no attribute 'x'"),
                np.exceptions.AxisError(2, 1)):
        with pytest.raises(AssertionError):
            check_error_message("op", bad)


def test_zero_dim_tensors_promote_like_numbers_also_in_place():
    f32, tiny64 = Input(np.array([0.0, 1.0], dtype=np.float32)), Input(np.array(2e-171))
    got, _ = same("mul", lambda m, a, b: a * b, f32, tiny64)
    assert got.dtypes == ["float32"]  # a float64 0-d tensor does not widen a float32 tensor
    same("div_", lambda m, a, b: a.div_(b), Input(np.array([0.0, 1.0], dtype=np.float32)), tiny64, check_grad=False)
    same("add", lambda m, a, b: a + b, Input(np.array([1, 2], dtype=np.int32)), Input(np.array(3)))
    same("add", lambda m, a, b: a + b, Input(np.array([1, 2], dtype=np.int32)), Input(np.array(0.5)))
    raises_like_torch("add_", lambda m, a, b: a.add_(b), Input(np.array([1, 2])), Input(np.array(0.5)))
    raises_like_torch("add_", lambda m, a, b: a.add_(b), Input(np.zeros((4, 1))), Input(np.zeros((1, 4, 1))))


def test_zero_dim_results_of_mask_functions_are_tensors():
    for fn in (lambda m, x: m.isnan(x), lambda m, x: m.isfinite(x), lambda m, x: m.logical_not(x), lambda m, x: ~(x > 0)):
        same("mask", fn, f64(NAN))
    assert repr(mg.isnan(mg.tensor(1.0, device="cpu"))) == "tensor(False)"


def test_remainder_gradient_of_the_divisor_at_infinite_and_zero_operands():
    """Found by ``--fuzz-seed random``: d(inf % 1)/db was -inf (``-floor(a / b)``); PyTorch's is NaN, from
    ``floor_divide`` (``(a - fmod(a, b)) / b``). Also x % 0, 0 % 0, x % inf and the signs of a finite case."""
    for a, b in [(INF, 1.0), (-INF, -2.0), (NAN, 1.0), (1.0, 0.0), (0.0, 0.0), (1.0, INF), (-7.0, 2.0), (7.0, -2.0)]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # and without NumPy's RuntimeWarning, as PyTorch says nothing
            same("remainder", lambda m, x, y: m.remainder(x, y), f64(a), f64(b))
