"""Optimizers, schedulers and gradient clipping: the same model trained 20 steps in minigrad and
PyTorch (float64, identical weights and data) must agree at every step."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.backend import Device
from minigrad.testing import assert_close

STEPS = 20


def build(L):
    return L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 3))


def pair():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = build(torch).double()
    m = build(mg).double()
    m.load_state_dict({k: v.cpu().numpy() for k, v in t.state_dict().items()})
    return torch, t, m


def groups(L, model, spec):
    if spec == "groups":  # per-group hyperparameters
        return [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.05}]
    return model.parameters()


OPTIMIZERS = {
    "SGD": (lambda L, p: L.optim.SGD(p, lr=0.1), "all"),
    "SGD_momentum_dampening": (lambda L, p: L.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.3), "all"),
    "SGD_nesterov_wd": (lambda L, p: L.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01), "all"),
    "SGD_maximize_groups": (lambda L, p: L.optim.SGD(p, lr=0.02, momentum=0.5, maximize=True), "groups"),
    "Adam": (lambda L, p: L.optim.Adam(p, lr=0.01), "all"),
    "Adam_wd_amsgrad": (lambda L, p: L.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True), "all"),
    "Adam_groups": (lambda L, p: L.optim.Adam(p, lr=0.01), "groups"),
    "AdamW": (lambda L, p: L.optim.AdamW(p, lr=0.01), "all"),
    "AdamW_amsgrad_groups": (lambda L, p: L.optim.AdamW(p, lr=0.03, weight_decay=0.1, amsgrad=True), "groups"),
}

SCHEDULERS = {
    "none": None,
    "StepLR": lambda L, o: L.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "LambdaLR": lambda L, o: L.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)),
}


def data():
    rng = np.random.default_rng(1)
    return rng.standard_normal((16, 4)), rng.integers(0, 3, 16)


def run(L, model, make_opt, spec, make_sched, steps=STEPS, opt=None, sched=None):
    x, y = data()
    x, y = L.tensor(x), L.tensor(y)
    opt = opt or make_opt(L, groups(L, model, spec))
    sched = sched or (make_sched(L, opt) if make_sched else None)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = L.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if sched:
            sched.step()
        history.append((loss.item(), [p.detach().cpu().numpy().copy() for p in model.parameters()], [g["lr"] for g in opt.param_groups]))
    return history, opt, sched


@pytest.mark.parametrize("sched_name", sorted(SCHEDULERS))
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_trajectory_matches_pytorch(opt_name, sched_name):
    torch, t, m = pair()
    make_opt, spec = OPTIMIZERS[opt_name]
    make_sched = SCHEDULERS[sched_name]
    th, _, _ = run(torch, t, make_opt, spec, make_sched)
    mh, _, _ = run(mg, m, make_opt, spec, make_sched)
    for step, ((tl, tp, tlr), (ml, mp, mlr)) in enumerate(zip(th, mh)):
        assert ml == pytest.approx(tl, rel=1e-12, abs=1e-13), f"loss at step {step}"
        assert mlr == pytest.approx(tlr, rel=1e-15), f"learning rates at step {step}"
        for i, (a, b) in enumerate(zip(mp, tp)):
            assert_close(a, b, rtol=1e-11, atol=1e-13, msg=f"parameter {i} after step {step}")


def test_noam_schedule_matches_the_paper_and_a_pytorch_lambda():
    torch, t, m = pair()
    d, warm = 16, 5
    paper = lambda e: d**-0.5 * min((e + 1) ** -0.5, (e + 1) * warm**-1.5)  # noqa: E731
    th, _, _ = run(torch, t, lambda L, p: L.optim.Adam(p, lr=1.0), "all", lambda L, o: L.optim.lr_scheduler.LambdaLR(o, paper))
    mh, _, sched = run(mg, m, lambda L, p: L.optim.Adam(p, lr=1.0), "all", lambda L, o: L.optim.lr_scheduler.NoamLR(o, d_model=d, warmup_steps=warm))
    for (tl, tp, tlr), (ml, mp, mlr) in zip(th, mh):
        assert mlr == pytest.approx(tlr, rel=1e-14)
        assert ml == pytest.approx(tl, rel=1e-12)
    lrs = [sched.factor(s) for s in range(1, 30)]
    assert max(range(len(lrs)), key=lrs.__getitem__) == warm - 1  # peak at the end of warm-up


def test_optimizer_state_dict_round_trip_through_a_file(tmp_path):
    mg.manual_seed(0)
    ref, half = build(mg).double(), build(mg).double()
    half.load_state_dict(ref.state_dict())
    make = lambda L, p: L.optim.Adam(p, lr=0.01, amsgrad=True)  # noqa: E731
    full, _, _ = run(mg, ref, make, "all", None, steps=10)
    _, opt, _ = run(mg, half, make, "all", None, steps=5)
    mg.save({"model": half.state_dict(), "optim": opt.state_dict()}, tmp_path / "ckpt.mgz")
    resumed = build(mg).double()
    ck = mg.load(tmp_path / "ckpt.mgz")
    resumed.load_state_dict(ck["model"])
    opt2 = make(mg, resumed.parameters())
    opt2.load_state_dict(ck["optim"])
    rest, _, _ = run(mg, resumed, make, "all", None, steps=5, opt=opt2)
    for a, b in zip(rest[-1][1], full[-1][1]):
        assert_close(a, b, rtol=0, atol=0)


def test_scheduler_state_dict():
    p = [nn.Parameter(mg.ones(1))]
    o = optim.SGD(p, lr=1.0)
    s = optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.1)
    for _ in range(3):
        s.step()
    assert s.get_last_lr() == pytest.approx([0.1])
    o2 = optim.SGD([nn.Parameter(mg.ones(1))], lr=1.0)
    s2 = optim.lr_scheduler.StepLR(o2, step_size=2, gamma=0.1)
    s2.load_state_dict(s.state_dict())
    assert s2.last_epoch == 3


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_matches_pytorch(norm_type):
    torch, t, m = pair()
    x, y = data()
    for L, model in ((torch, t), (mg, m)):
        L.nn.functional.cross_entropy(model(L.tensor(x)), L.tensor(y)).backward()
    tn = torch.nn.utils.clip_grad_norm_(t.parameters(), 0.05, norm_type=norm_type)
    mn = nn.utils.clip_grad_norm_(m.parameters(), 0.05, norm_type=norm_type)
    assert mn.item() == pytest.approx(tn.item(), rel=1e-12)
    for a, b in zip(m.parameters(), t.parameters()):
        assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-15)


def test_clip_grad_value_and_nonfinite_norm():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    p.grad = mg.tensor([-3.0, 0.5])
    nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [-1.0, 0.5]
    p.grad = mg.tensor([np.inf, 0.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_zero_grad_set_to_none_or_zeros():
    p = nn.Parameter(mg.ones(2))
    o = optim.SGD([p], lr=0.1)
    p.grad = mg.ones(2)
    o.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0, 0]
    o.zero_grad()
    assert p.grad is None


def test_optimizer_bad_input():
    a = nn.Parameter(mg.ones(2, device="cpu"))
    b = nn.Parameter(mg.ones(2, device="cpu"))
    b.device = Device("cuda:0")  # the check reads devices only
    with pytest.raises(RuntimeError, match="Adam: all parameters must be on one device, got parameters on cpu and cuda:0"):
        optim.Adam([a, b])
    with pytest.raises(ValueError, match="SGD: invalid learning rate -1"):
        optim.SGD([a], lr=-1)
    with pytest.raises(ValueError, match="got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        optim.SGD([a], lr=0.1, nesterov=True)


def test_step_with_closure():
    p = nn.Parameter(mg.tensor([3.0]))
    o = optim.SGD([p], lr=0.25)

    def closure():
        o.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert o.step(closure).item() == 9.0
    assert p.item() == pytest.approx(3.0 - 0.25 * 6.0)


@pytest.mark.parametrize("kw", [{}, {"lr": 0.8, "history_size": 3, "max_iter": 7}, {"max_iter": 3, "max_eval": 2}],
                         ids=["defaults", "short-history", "eval-budget"])
def test_lbfgs_trajectory_matches_pytorch(kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X, Y, W, B = rng.normal(size=(20, 5)), rng.normal(size=(20, 2)), rng.normal(size=(5, 2)), rng.normal(size=2)

    def run(lib):
        w = lib.tensor(W, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(B, dtype=lib.float64, requires_grad=True)
        opt = lib.optim.LBFGS([w, b], **kw)
        x, y = lib.tensor(X), lib.tensor(Y)
        calls = []

        def closure():
            opt.zero_grad()
            loss = ((lib.tanh(x @ w + b) - y) ** 2).mean() + 0.01 * (w ** 4).sum()
            loss.backward()
            calls.append(loss.item())
            return loss

        first = [opt.step(closure).item() for _ in range(4)]
        return first, calls, w.detach().cpu().numpy().copy(), b.detach().cpu().numpy().copy()

    (mf, mc, mw, mb), (tf, tc, tw, tb) = run(mg), run(torch)
    assert len(mc) == len(tc)  # the same number of loss evaluations
    assert_close(np.array(mc), np.array(tc), rtol=1e-10, atol=1e-12)
    assert_close(mw, tw, rtol=1e-9, atol=1e-12)
    assert_close(mb, tb, rtol=1e-9, atol=1e-12)
    assert mf[-1] < mf[0]


def test_lbfgs_bad_input():
    w = nn.Parameter(mg.ones(2))
    with pytest.raises(NotImplementedError, match="strong_wolfe.*compatibility.md"):
        optim.LBFGS([w], line_search_fn="strong_wolfe")
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [w]}, {"params": [nn.Parameter(mg.ones(1))]}])
    with pytest.raises(RuntimeError, match="needs a closure"):
        optim.LBFGS([w]).step()


@pytest.mark.parametrize("make", [
    lambda p: optim.Adam(p, lr=0.01),
    lambda p: optim.Adam(p, lr=0.02, weight_decay=0.1, amsgrad=True, maximize=True),
    lambda p: optim.AdamW(p, lr=0.03, weight_decay=0.1),
], ids=["Adam", "Adam_wd_amsgrad_maximize", "AdamW"])
def test_adam_packed_state_gives_the_per_parameter_step(make, monkeypatch):
    """Small parameters share flat state arrays (adam._Pack); the result must be the step each parameter
    gets alone, bit for bit, also when a parameter has no gradient at some steps (its step count then
    lags), beside a large parameter, and across a state-dict round trip in the middle."""
    from minigrad.optim import adam

    def train(packed_max):
        monkeypatch.setattr(adam, "_PACKED_MAX_SIZE", packed_max)
        rng = np.random.default_rng(5)
        ps = [mg.tensor(rng.standard_normal(s), dtype=mg.float64, requires_grad=True) for s in [(3, 4), (4,), (200, 100), (2,)]]
        opt = make(ps)
        for k in range(8):
            for i, p in enumerate(ps):
                p.grad = None if (i == 3 and k in (2, 3)) else mg.tensor(rng.standard_normal(p.shape))
            opt.step()
            if k == 4:
                saved = opt.state_dict()
                opt = make(ps)
                opt.load_state_dict(saved)
        return [p.detach().cpu().numpy() for p in ps], opt

    packed, opt = train(adam._PACKED_MAX_SIZE)
    alone, _ = train(0)
    for a, b in zip(packed, alone):
        assert_close(a, b, rtol=0, atol=0)
    assert opt.state[next(iter(opt.state))]["step"] == 8
