r"""L-BFGS: a quasi-Newton method that re-evaluates the loss through a closure, as ``torch.optim.LBFGS``.

Each step runs up to ``max_iter`` iterations. An iteration takes the direction
:math:`d = -H g`, where :math:`H` approximates the inverse Hessian from the last ``history_size`` pairs
:math:`s_k = \theta_{k+1} - \theta_k`, :math:`y_k = g_{k+1} - g_k` (the two-loop recursion, scaled by
:math:`\gamma = s^\top y / y^\top y` of the newest pair; pairs with :math:`s^\top y \le 10^{-10}` are skipped),
and moves :math:`\theta \leftarrow \theta + t\,d` with :math:`t = \mathrm{lr}` (the very first iteration uses
:math:`t = \min(1, 1/\lVert g\rVert_1)\cdot\mathrm{lr}`). The loop stops early when the gradient's largest
entry is at most ``tolerance_grad``, or the step, the loss change or the directional derivative falls
below ``tolerance_change``, or ``max_eval`` loss evaluations are spent.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer


class LBFGS(Optimizer):
    """``LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
    history_size=100, line_search_fn=None)``; :meth:`step` needs a closure that recomputes the loss
    (zero the gradients, forward, ``backward()``, return the loss).

    Only one parameter group, and no line search (``line_search_fn="strong_wolfe"`` is not supported;
    a fixed ``lr`` is what course programs use).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if lr <= 0:
            raise ValueError(f"LBFGS: invalid learning rate {lr} (must be > 0)")
        if max_iter < 1 or history_size < 1:
            raise ValueError(f"LBFGS: max_iter and history_size must be at least 1, got {max_iter} and {history_size}")
        if line_search_fn is not None:
            raise NotImplementedError(
                f"LBFGS: line_search_fn={line_search_fn!r} is not supported by minigrad; use line_search_fn=None "
                f"with a suitable lr (see docs/compatibility.md)"
            )
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval if max_eval is not None else max_iter * 5 // 4,
                                      tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self) -> Any:
        xp = self._params[0].device.xp
        return xp.concatenate([
            (p.grad._data if p.grad is not None else xp.zeros(p.shape, dtype=p.dtype)).reshape(-1) for p in self._params
        ])

    def _move(self, t: float, d: Any) -> None:
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += (t * d[offset : offset + n]).reshape(p.shape).astype(p.dtype, copy=False)
            p._bump_version()
            offset += n

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` iterations; returns the loss of the first closure call."""
        if closure is None:
            raise RuntimeError("LBFGS.step: needs a closure that recomputes the loss (it evaluates the loss several times)")
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tol_grad, tol_change, history = group["tolerance_grad"], group["tolerance_change"], group["history_size"]
        dev = self._params[0].device
        xp = dev.xp
        state = self.state.setdefault(self._params[0], {"func_evals": 0, "n_iter": 0})

        first_loss = self._closure_loss(closure)
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if float(xp.abs(g).max()) <= tol_grad:
            return first_loss

        arr = lambda key: state[key]._data if key in state else None  # noqa: E731
        d, prev_g = arr("d"), arr("prev_flat_grad")
        # numbers may come back as 0-d tensors from a state PyTorch saved (its LBFGS keeps them as tensors)
        t, h_diag = state.get("t"), float(state.get("H_diag", 1.0))
        t = None if t is None else float(t)
        dirs = [y._data for y in state.get("old_dirs", [])]  # y_k
        steps = [s._data for s in state.get("old_stps", [])]  # s_k
        rho = [float(r) for r in state.get("ro", [])]

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, dirs, steps, rho, h_diag = -g, [], [], [], 1.0
            else:
                y, s = g - prev_g, d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep only pairs that keep H positive definite
                    if len(dirs) == history:
                        dirs.pop(0), steps.pop(0), rho.pop(0)
                    dirs.append(y), steps.append(s), rho.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                # two-loop recursion: d = -H g
                q = -g
                alpha = [0.0] * len(dirs)
                for i in range(len(dirs) - 1, -1, -1):
                    alpha[i] = float(steps[i] @ q) * rho[i]
                    q = q - alpha[i] * dirs[i]
                d = q * h_diag
                for i in range(len(dirs)):
                    beta = float(dirs[i] @ d) * rho[i]
                    d = d + (alpha[i] - beta) * steps[i]
            prev_g, prev_loss = g.copy(), loss
            t = min(1.0, 1.0 / float(xp.abs(g).sum())) * lr if state["n_iter"] == 1 else lr
            if float(g @ d) > -tol_change:  # not a descent direction any more
                break
            self._move(t, d)
            done = False
            if n_iter != max_iter:
                loss = float(self._closure_loss(closure))
                g = self._flat_grad()
                done = float(xp.abs(g).max()) <= tol_grad
                evals += 1
                state["func_evals"] += 1
            if n_iter == max_iter or evals >= max_eval or done:
                break
            if float(xp.abs(d * t).max()) <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        wrap = lambda a: Tensor(a, dev)  # noqa: E731
        state.update(d=wrap(d), t=t, H_diag=h_diag, prev_flat_grad=wrap(prev_g), prev_loss=prev_loss,
                     old_dirs=[wrap(y) for y in dirs], old_stps=[wrap(s) for s in steps], ro=rho)
        return first_loss
