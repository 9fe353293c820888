"""The ``Optimizer`` base class: parameter groups, per-parameter state, ``zero_grad`` and state dicts."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import backend
from ..autograd import enable_grad
from ..tensor import Tensor


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _array(v: Any) -> Any:
    """The array of a minigrad tensor, a PyTorch tensor (a state saved by PyTorch) or an array."""
    if isinstance(v, Tensor):
        return v._data
    return v.detach().cpu().numpy() if hasattr(v, "detach") else v


def _restore(v: Any, p: Tensor) -> Any:
    """A saved state value on ``p``'s device in ``p``'s dtype: tensors and arrays, also inside lists and tuples
    (LBFGS keeps its history as lists of tensors); anything else as it is."""
    if isinstance(v, Tensor) or hasattr(v, "shape"):
        return Tensor(backend.to_device(_array(v), p.device).astype(p.dtype, copy=True), p.device)
    if isinstance(v, (list, tuple)):
        return type(v)(_restore(x, p) for x in v)
    return v


class Optimizer:
    """Base of every optimizer.

    Args:
        params: an iterable of tensors, or of dicts (parameter groups) each with a ``"params"`` entry and
            optional per-group hyperparameters overriding ``defaults``.
        defaults: the hyperparameters of a group that does not set them.

    Subclasses implement :meth:`step`, updating the parameter arrays (``p._data``) in place from ``p.grad`` (never recorded
    in a graph) and keeping per-parameter tensors in ``self.state[p]``.
    """

    def __init__(self, params: Iterable[Any], defaults: dict) -> None:
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors or dicts, got a single Tensor")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (e.g. a smaller learning rate)."""
        group = dict(param_group)
        ps = group["params"]
        group["params"] = [ps] if isinstance(ps, Tensor) else list(ps)
        name = type(self).__name__
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf tensor (shape {p.shape}); optimize the leaves it came from")
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(f"{name}: parameter group didn't specify a value of required optimization parameter {k}")
            group.setdefault(k, v)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        everyone = [p for g in self.param_groups for p in g["params"]] + group["params"]
        devices = sorted({str(p.device) for p in everyone})
        if len(devices) > 1:
            raise RuntimeError(
                f"{name}: all parameters must be on one device, got parameters on {' and '.join(devices)}; "
                f"move the model with model.to(device) before creating the optimizer"
            )
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (the default, as PyTorch), or to zeros in place
        (the same ``.grad`` tensor, as PyTorch)."""
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.detach_().zero_()

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    def _state_array(self, p: Tensor, key: str, init: Callable[[], Any]) -> Any:
        st = self.state.setdefault(p, {})
        if key not in st:
            st[key] = Tensor(init(), p.device)
        return st[key]._data

    # ------------------------------------------------------------ state dict
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``, as PyTorch."""
        index: dict = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in g["params"]]
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.detach().clone() if isinstance(v, Tensor) else v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and per-parameter state saved by :meth:`state_dict`."""
        name = type(self).__name__
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state has {len(groups)} parameter groups, the optimizer has {len(self.param_groups)}")
        for i, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(f"{name}.load_state_dict: group {i} has {len(saved['params'])} parameters in the state "
                                 f"but {len(own['params'])} in the optimizer")
        by_index = {i: p for saved, own in zip(groups, self.param_groups) for i, p in zip(saved["params"], own["params"])}
        self.state = {}
        for i, st in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[p] = {k: float(_array(v)) if k == "step" and hasattr(v, "shape") else _restore(v, p) for k, v in st.items()}
        for saved, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
