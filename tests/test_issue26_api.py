"""The PyTorch APIs issue 26 found missing, against PyTorch 2.13: torch.autograd.grad (first order),
backward(inputs=), dtype= of sum/mean/softmax, where() of two numbers, scheduler.step(epoch), tensor lr,
Embedding.from_pretrained and max_norm, MultiStepLR/ExponentialLR/CosineAnnealingLR/OneCycleLR; and the
UnsupportedError of what is left out."""
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.compat import UnsupportedError
from minigrad.testing import assert_close, gradcheck

RNG = np.random.default_rng(11)


def _both(fn):
    torch = pytest.importorskip("torch")
    return fn(mg), fn(torch)


# ------------------------------------------------------------------ autograd.grad and backward(inputs=)
def _grads(L, x0, w0):
    x, w = L.tensor(x0, requires_grad=True), L.tensor(w0, requires_grad=True)
    x.grad = L.tensor(np.full(3, 10.0))
    h = x * w
    y = (h.sum() ** 2) + (x * x).sum()
    gx, gw = L.autograd.grad(y, [x, w], retain_graph=True)
    (gh,) = L.autograd.grad(y, h, retain_graph=True)
    gm = L.autograd.grad([y, h], x, grad_outputs=[L.tensor(2.0), L.tensor([1.0, -1.0, 0.5])], retain_graph=True)[0]
    unused = L.autograd.grad(y, [x, L.tensor([1.0], requires_grad=True)], allow_unused=True, retain_graph=True)[1]
    zeros = L.autograd.grad(y, [L.tensor([1.0], requires_grad=True)], allow_unused=True, materialize_grads=True)[0]
    return [gx, gw, gh, gm, zeros], unused, x.grad, w.grad


def test_autograd_grad_matches_pytorch_and_leaves_every_grad_alone():
    x0, w0 = RNG.standard_normal(3), RNG.standard_normal(3)
    (m, mu, mxg, mwg), (t, tu, txg, twg) = _both(lambda L: _grads(L, x0, w0))
    for a, b in zip(m, t):
        assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert mu is None and tu is None
    assert mxg.tolist() == txg.tolist() == [10.0] * 3 and mwg is None and twg is None


def test_autograd_grad_errors_like_pytorch():
    torch = pytest.importorskip("torch")
    for L in (mg, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError):  # an input the output does not use
            L.autograd.grad((x * 2).sum(), [x, L.tensor([1.0], requires_grad=True)])
        with pytest.raises(RuntimeError):  # a non-scalar output needs grad_outputs
            L.autograd.grad(x * 2, x)
        with pytest.raises(RuntimeError):  # an input that does not require grad
            L.autograd.grad((x * 2).sum(), [L.tensor([1.0])])
    with pytest.raises(UnsupportedError, match="create_graph"):
        mg.autograd.grad((mg.tensor([1.0], requires_grad=True) * 2).sum(), [mg.tensor([1.0], requires_grad=True)], create_graph=True)


def test_autograd_grad_is_the_hand_derivative_and_the_function_passes_gradcheck():
    a = mg.tensor(RNG.standard_normal(4), requires_grad=True)
    (g,) = mg.autograd.grad((a.sin() * a).sum(), a)
    assert_close(g, np.sin(a.detach().cpu().numpy()) + a.detach().cpu().numpy() * np.cos(a.detach().cpu().numpy()), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda b: (b.sin() * b).sum(), [mg.tensor(RNG.standard_normal(4), requires_grad=True)])


def _backward_inputs(L, x0, w0):
    x, w = L.tensor(x0, requires_grad=True), L.tensor(w0, requires_grad=True)
    w.grad = L.tensor(np.ones(3))
    m = x * 2
    y = (m * w).sum() + (x**3).sum()
    y.backward(inputs=[w, m], retain_graph=True)
    first = (x.grad, w.grad.clone(), m.grad.clone())
    y.backward(inputs=w)
    return first, w.grad


def test_backward_inputs_accumulates_only_into_the_inputs_like_pytorch():
    x0, w0 = RNG.standard_normal(3), RNG.standard_normal(3)
    ((mx, mw, mm), mw2), ((tx, tw, tm), tw2) = _both(lambda L: _backward_inputs(L, x0, w0))
    assert mx is None and tx is None
    for a, b in ((mw, tw), (mm, tm), (mw2, tw2)):
        assert_close(a, b, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ dtype=, where of numbers
@pytest.mark.parametrize("code", [
    "L.tensor([[1, 2], [3, 4]]).sum(dtype=L.float32)", "L.sum(L.tensor([[1, 2], [3, 4]]), 0, dtype=L.float64)",
    "L.tensor([[1, 2], [3, 4]]).mean(dtype=L.float64)", "L.mean(L.tensor([1., 2.]), dtype=L.float64)",
    "L.softmax(L.tensor([1, 2, 3]), 0, dtype=L.float64)", "L.tensor([1., 2.]).softmax(0, dtype=L.float64)",
    "L.nn.functional.log_softmax(L.tensor([1., 2.]), dim=0, dtype=L.float64)", "L.tensor([1, 2]).cumsum(0, dtype=L.float32)",
    "L.where(L.tensor([True, False]), 1, 1.5)", "L.where(L.tensor([True, False]), 1, 2)",
])
def test_dtype_arguments_and_where_of_numbers_like_pytorch(code):
    m, t = _both(lambda L: eval(code, {"L": L}))  # noqa: S307
    assert str(m.dtype) == str(t.dtype)
    assert_close(m, t, rtol=1e-7, atol=1e-7)


def test_sum_with_dtype_is_differentiable():
    x = mg.tensor(RNG.standard_normal(3).astype(np.float32), requires_grad=True)
    y = x.sum(dtype=mg.float64)
    y.backward()
    assert y.dtype == mg.float64 and x.grad.dtype == mg.float32 and x.grad.tolist() == [1.0] * 3


# ------------------------------------------------------------------ schedulers
def _schedule(L, make_opt, make_sched, epochs=None, n=14):
    p = L.nn.Parameter(L.zeros(2))
    opt = make_opt(L, [p])
    sched = make_sched(L.optim.lr_scheduler, opt)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch deprecates step(epoch) with a warning
        for i in range(n):
            p.grad = L.ones(2)
            opt.step()
            sched.step() if epochs is None else sched.step(epochs[i])
            g = opt.param_groups[0]
            out.append((g["lr"], g["momentum"] if "momentum" in g else g["betas"][0]))
    return out, [float(v) for v in p.detach().cpu().numpy()]


SGD = lambda L, ps: L.optim.SGD(ps, lr=0.1, momentum=0.9)  # noqa: E731
ADAM = lambda L, ps: L.optim.Adam(ps, lr=0.1)  # noqa: E731
JUMPS = [5, 1, 7, 7, 9, 2, 3, 4, 5, 6, 7, 8, 0, 13]
SCHEDULES = {
    "multistep": (SGD, lambda S, o: S.MultiStepLR(o, [2, 5, 5, 9], 0.5), None),
    "exponential": (SGD, lambda S, o: S.ExponentialLR(o, 0.9), None),
    "cosine": (SGD, lambda S, o: S.CosineAnnealingLR(o, 4, 0.01), None),
    "onecycle_sgd": (SGD, lambda S, o: S.OneCycleLR(o, 1.0, total_steps=14), None),
    "onecycle_adam_3phase_linear": (ADAM, lambda S, o: S.OneCycleLR(o, [1.0], epochs=2, steps_per_epoch=7, three_phase=True,
                                                                     anneal_strategy="linear"), None),
    "step_epochs": (SGD, lambda S, o: S.StepLR(o, 3, 0.5), JUMPS),
    "cosine_epochs": (SGD, lambda S, o: S.CosineAnnealingLR(o, 4), JUMPS),
    "multistep_epochs": (SGD, lambda S, o: S.MultiStepLR(o, [2, 5]), JUMPS),
    "exponential_epochs": (SGD, lambda S, o: S.ExponentialLR(o, 0.5), JUMPS),
    "lambda_epochs": (SGD, lambda S, o: S.LambdaLR(o, lambda e: 1 / (e + 1)), JUMPS),
    "tensor_lr_sgd": (lambda L, ps: L.optim.SGD(ps, lr=L.tensor(0.5)), lambda S, o: S.StepLR(o, 100), None),
    "tensor_lr_adam": (lambda L, ps: L.optim.Adam(ps, lr=L.tensor(0.5)), lambda S, o: S.StepLR(o, 100), None),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_match_pytorch(name):
    make_opt, make_sched, epochs = SCHEDULES[name]
    (m, mp), (t, tp) = _both(lambda L: _schedule(L, make_opt, make_sched, epochs))
    assert_close([[float(a), float(b)] for a, b in m], [[float(a), float(b)] for a, b in t], rtol=1e-12, atol=1e-15)
    assert_close(mp, tp, rtol=1e-6, atol=1e-7)


def test_onecycle_refuses_what_pytorch_refuses():
    torch = pytest.importorskip("torch")
    for L in (mg, torch):
        p = L.nn.Parameter(L.zeros(1))
        with pytest.raises(ValueError):
            L.optim.lr_scheduler.OneCycleLR(L.optim.SGD([p], lr=0.1), 1.0)  # no total_steps
        s = L.optim.lr_scheduler.OneCycleLR(L.optim.SGD([p], lr=0.1, momentum=0.9), 1.0, total_steps=2)
        s.step(), s.step()
        with pytest.raises(ValueError):
            s.step()


# ------------------------------------------------------------------ Embedding
def _embedding(L):
    w = L.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    frozen = L.nn.Embedding.from_pretrained(w)
    e = L.nn.Embedding.from_pretrained(w.clone(), freeze=False, padding_idx=1, max_norm=1.0)
    out = e(L.tensor([0, 0, 1]))
    out.sum().backward()
    inf = L.nn.Embedding.from_pretrained(L.tensor([[1.0, -5.0], [2.0, 2.0]]), max_norm=2.0, norm_type=float("inf"))
    return (repr(frozen), frozen.weight.requires_grad, repr(e), out, e.weight, e.weight.grad, inf(L.tensor([[0], [1]])),
            repr(L.nn.Embedding(3, 2, max_norm=2.0, norm_type=1.0)))


def test_embedding_from_pretrained_and_max_norm_like_pytorch():
    m, t = _both(_embedding)
    assert m[0] == t[0] and m[1] is t[1] is False and m[2] == t[2] and m[7] == t[7]
    for a, b in zip(m[3:7], t[3:7]):
        assert_close(a, b)


def test_embedding_options_left_out_raise_unsupported_error():
    with pytest.raises(UnsupportedError, match="scale_grad_by_freq"):
        mg.nn.Embedding(3, 2, scale_grad_by_freq=True)
    with pytest.raises(UnsupportedError, match="sparse"):
        mg.nn.Embedding(3, 2, sparse=True)
