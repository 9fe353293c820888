"""Every public op of minigrad as a fuzz case: ``SPECS[name](data) -> Case``.

A case's ``fn(m, *tensors)`` runs on ``m = minigrad`` and ``m = torch`` alike; its inputs are drawn with
random shapes, dtypes and (edge) values, and its parameters (dims, sizes, flags) at random too, out of
range included, so both the answers and the refusals are compared.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
from hypothesis import strategies as st

import strategies as S
from oracle import Input


@dataclasses.dataclass
class Case:
    fn: Callable
    inputs: list
    amplification: int = 0  # >0: the op sums products of this many inputs (widens the tolerance)
    check_grad: bool = True
    params: dict = dataclasses.field(default_factory=dict)  # what known differences may need to know
    conditioning: float = 1.0  # how much the op magnifies rounding errors besides the inputs' size
    sums_products: bool = False  # with an infinite input, inf or NaN depends on the order of its sums


SPECS: dict = {}


def spec(*names: str) -> Callable:
    def register(f: Callable) -> Callable:
        for n in names:
            SPECS[n] = (lambda name: (lambda data: f(data, name)))(n)
        return f
    return register


# ----------------------------------------------------------------- elementwise, unary
UNARY = {
    "neg": lambda m, x: -x,
    "exp": lambda m, x: m.exp(x),
    "log": lambda m, x: m.log(x),
    "log1p": lambda m, x: m.log1p(x),
    "sqrt": lambda m, x: x.sqrt(),
    "sin": lambda m, x: m.sin(x),
    "cos": lambda m, x: x.cos(),
    "sinh": lambda m, x: m.sinh(x),
    "cosh": lambda m, x: x.cosh(),
    "tanh": lambda m, x: m.tanh(x),
    "sigmoid": lambda m, x: x.sigmoid(),
    "relu": lambda m, x: m.relu(x),
    "abs": lambda m, x: m.abs(x),
    "isnan": lambda m, x: m.isnan(x),
    "isfinite": lambda m, x: m.isfinite(x),
    "logical_not": lambda m, x: m.logical_not(x),
    "bitwise_not": lambda m, x: ~x,
    "clone": lambda m, x: x.clone(),
    "float": lambda m, x: x.float(),
    "double": lambda m, x: x.double(),
    "bool": lambda m, x: x.bool(),
    "gelu": lambda m, x: m.nn.functional.gelu(x),
    "gelu_tanh": lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    "softplus": lambda m, x: m.nn.functional.softplus(x),
    "F.relu": lambda m, x: m.nn.functional.relu(x),
    "F.sigmoid": lambda m, x: m.nn.functional.sigmoid(x),
    "F.tanh": lambda m, x: m.nn.functional.tanh(x),
    "dropout_eval": lambda m, x: m.nn.functional.dropout(x, 0.5, training=False),
    "dropout_p0": lambda m, x: m.nn.functional.dropout(x, 0.0),
}


@spec(*UNARY)
def _unary(data, name):
    return Case(UNARY[name], [S.tensor(data)])


@spec("clamp")
def _clamp(data, name):
    lo = data.draw(st.one_of(st.none(), st.floats(-2, 2)), label="min")
    hi = data.draw(st.one_of(st.none(), st.floats(-2, 2)), label="max")
    return Case(lambda m, x: m.clamp(x, lo, hi), [S.tensor(data, dtypes=S.FLOATS)])


SCALAR_OPS = {
    "add_scalar": lambda m, x, s: x + s,
    "radd_scalar": lambda m, x, s: s + x,
    "sub_scalar": lambda m, x, s: x - s,
    "rsub_scalar": lambda m, x, s: s - x,
    "mul_scalar": lambda m, x, s: x * s,
    "div_scalar": lambda m, x, s: x / s,
    "rdiv_scalar": lambda m, x, s: s / x,
    "pow_scalar": lambda m, x, s: x**s,
    "rpow_scalar": lambda m, x, s: s**x,
    "eq_scalar": lambda m, x, s: x == s,
    "lt_scalar": lambda m, x, s: x < s,
    "ge_scalar": lambda m, x, s: x >= s,
}


@spec(*SCALAR_OPS)
def _scalar(data, name):
    s = S.scalar(data)
    if name == "rpow_scalar" and isinstance(s, float) and s < 0:
        s = -s  # a negative base to a float power is NaN in both; keep the draws informative
    return Case(lambda m, x: SCALAR_OPS[name](m, x, s), [S.tensor(data)], params={"scalar": s})


# ----------------------------------------------------------------- elementwise, binary
BINARY = {
    "add": lambda m, a, b: m.add(a, b),
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: m.mul(a, b),
    "div": lambda m, a, b: a / b,
    "pow": lambda m, a, b: m.pow(a, b),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b),
    "max_binary": lambda m, a, b: m.max(a, b),
    "eq": lambda m, a, b: a == b,
    "ne": lambda m, a, b: m.ne(a, b),
    "lt": lambda m, a, b: a < b,
    "le": lambda m, a, b: m.le(a, b),
    "gt": lambda m, a, b: m.gt(a, b),
    "ge": lambda m, a, b: a >= b,
    "logical_and": lambda m, a, b: m.logical_and(a, b),
    "logical_or": lambda m, a, b: m.logical_or(a, b),
    "logical_xor": lambda m, a, b: m.logical_xor(a, b),
    "bitwise_and": lambda m, a, b: a & b,
    "bitwise_or": lambda m, a, b: a | b,
    "bitwise_xor": lambda m, a, b: m.bitwise_xor(a, b),
}


@spec(*BINARY)
def _binary(data, name):
    sa, sb = S.broadcast_pair(data)
    return Case(BINARY[name], [S.tensor(data, sa), S.tensor(data, sb)])


@spec("add_alpha", "sub_alpha")
def _alpha(data, name):
    sa, sb = S.broadcast_pair(data)
    alpha = data.draw(st.one_of(st.integers(-3, 3), st.floats(-2, 2), st.booleans()), label="alpha")
    f = (lambda m, a, b: m.add(a, b, alpha=alpha)) if name == "add_alpha" else (lambda m, a, b: a.sub(b, alpha=alpha))
    return Case(f, [S.tensor(data, sa), S.tensor(data, sb)])


@spec("where")
def _where(data, name):
    sc, sa = S.broadcast_pair(data)
    return Case(lambda m, c, a, b: m.where(c, a, b), [S.tensor(data, sc, dtypes=("bool",)), S.tensor(data, sa), S.tensor(data, sa)])


@spec("masked_fill")
def _masked_fill(data, name):
    sx, sm = S.broadcast_pair(data)
    value = S.scalar(data)
    return Case(lambda m, x, k: x.masked_fill(k, value), [S.tensor(data, sx, dtypes=S.FLOATS + S.INTS), S.tensor(data, sm, dtypes=("bool",))])


# ----------------------------------------------------------------- reductions
REDUCE_DIMS = {
    "sum": lambda m, x, d, k: x.sum(d, keepdim=k) if d is not None else m.sum(x),
    "mean": lambda m, x, d, k: x.mean(d, keepdim=k) if d is not None else x.mean(),
    "amax": lambda m, x, d, k: m.amax(x, d, keepdim=k) if d is not None else m.amax(x),
    "amin": lambda m, x, d, k: x.amin(d, keepdim=k) if d is not None else x.amin(),
    "logsumexp": lambda m, x, d, k: m.logsumexp(x, d if d is not None else tuple(range(x.ndim)), keepdim=k),
    "all": lambda m, x, d, k: x.all(d, keepdim=k) if d is not None else m.all(x),
    "any": lambda m, x, d, k: x.any(d, keepdim=k) if d is not None else x.any(),
}


@spec(*REDUCE_DIMS)
def _reduce(data, name):
    x = S.tensor(data)
    d, k = S.dims(data, x.array.ndim), data.draw(st.booleans(), label="keepdim")
    return Case(lambda m, t: REDUCE_DIMS[name](m, t, d, k), [x], amplification=1)


@spec("var", "std")
def _var(data, name):
    x = S.tensor(data)
    d, k = S.dims(data, x.array.ndim), data.draw(st.booleans(), label="keepdim")
    c = data.draw(st.sampled_from([None, 0, 1, 2]), label="correction")
    nd = x.array.ndim
    axes = range(nd) if d is None else [a % max(nd, 1) for a in ((d,) if isinstance(d, int) else d) if -max(nd, 1) <= a < max(nd, 1)]
    n = int(np.prod([x.array.shape[a] for a in axes if a < nd]))
    return Case(lambda m, t: getattr(t, name)(d, keepdim=k, correction=c), [x], amplification=2,
                params={"dof": n - (1 if c is None else c)})


REDUCE_DIM = {
    "max_dim": lambda m, x, d, k: x.max(d, keepdim=k),
    "min_dim": lambda m, x, d, k: m.min(x, d, keepdim=k),
    "argmax": lambda m, x, d, k: x.argmax(d, keepdim=k),
    "argmin": lambda m, x, d, k: m.argmin(x, d, keepdim=k),
    "softmax": lambda m, x, d, k: m.softmax(x, d),
    "log_softmax": lambda m, x, d, k: x.log_softmax(d),
    "F.softmax": lambda m, x, d, k: m.nn.functional.softmax(x, dim=d),
}


@spec(*REDUCE_DIM)
def _reduce_dim(data, name):
    x = S.tensor(data)
    d, k = S.dim(data, x.array.ndim), data.draw(st.booleans(), label="keepdim")
    if name.startswith("arg") and data.draw(st.booleans(), label="no dim"):
        d = None
    return Case(lambda m, t: REDUCE_DIM[name](m, t, d, k), [x], amplification=1)


@spec("max_all", "min_all")
def _extreme_all(data, name):
    return Case(lambda m, t: t.max() if name == "max_all" else m.min(t), [S.tensor(data)])


# ----------------------------------------------------------------- shapes
@spec("reshape", "view", "view_transposed", "flatten", "unflatten", "reshape_reversed")
def _reshape(data, name):
    x = S.tensor(data)
    nd = x.array.ndim
    if name == "flatten":
        a, b = S.dim(data, nd), S.dim(data, nd)
        return Case(lambda m, t: t.flatten(a, b), [x])
    if name == "unflatten":
        d = S.dim(data, nd)
        sizes = tuple(data.draw(st.lists(st.integers(-1, 4), max_size=3), label="sizes"))
        return Case(lambda m, t: m.unflatten(t, d, sizes), [x])
    if name == "reshape_reversed":
        return Case(lambda m, t: t.reshape(t.shape[::-1]), [x])
    shape = data.draw(st.lists(st.integers(-1, 4), max_size=4), label="target shape")
    if name == "view_transposed":  # the strides decide: PyTorch's rule, an error where no view exists
        return Case(lambda m, t: t.transpose(0, -1).view(*shape) if t.ndim else t.view(*shape), [x])
    f = (lambda m, t: t.view(*shape)) if name == "view" else (lambda m, t: m.reshape(t, tuple(shape)))
    return Case(f, [x])


@spec("transpose", "permute", "T", "mT", "squeeze", "unsqueeze")
def _dims_ops(data, name):
    x = S.tensor(data)
    nd = x.array.ndim
    if name == "transpose":
        a, b = S.dim(data, nd), S.dim(data, nd)
        return Case(lambda m, t: m.transpose(t, a, b), [x])
    if name == "permute":
        perm = data.draw(st.permutations(range(nd)), label="perm")
        return Case(lambda m, t: t.permute(*perm), [x])
    if name == "T":
        return Case(lambda m, t: t.T if t.ndim <= 2 else t.permute(*range(t.ndim - 1, -1, -1)), [x])
    if name == "mT":  # (PyTorch's mT of a 0-d tensor returns it, of a 1-d one raises: no 0-d here)
        x = S.tensor(data, shape=data.draw(S.shapes(min_dims=1)))
        return Case(lambda m, t: t.mT, [x])
    if name == "squeeze":
        d = data.draw(st.one_of(st.none(), st.integers(-max(nd, 1), max(nd, 1) - 1)), label="dim")
        return Case(lambda m, t: t.squeeze(d) if d is not None else m.squeeze(t), [x])
    d = S.dim(data, nd + 1)
    return Case(lambda m, t: m.unsqueeze(t, d), [x])


@spec("expand", "broadcast_to")
def _expand(data, name):
    sa, sb = S.broadcast_pair(data)
    target = tuple(np.broadcast_shapes(sa, sb)) if data.draw(st.booleans(), label="valid") else sb
    if name == "expand":
        return Case(lambda m, t: t.expand(*target), [S.tensor(data, sa)])
    return Case(lambda m, t: m.broadcast_to(t, target), [S.tensor(data, sa)])


@spec("cat", "stack")
def _join(data, name):
    shape = data.draw(S.shapes(min_dims=1 if name == "cat" else 0), label="shape")
    n = data.draw(st.integers(1, 3), label="count")
    d = S.dim(data, len(shape) + (name == "stack"))
    shapes = []
    for _ in range(n):
        s = list(shape)
        if name == "cat" and -len(s) <= d < len(s) and data.draw(st.booleans(), label="vary"):
            s[d] = data.draw(st.integers(0, 3))
        shapes.append(tuple(s))
    inputs = [S.tensor(data, s) for s in shapes]
    return Case(lambda m, *ts: getattr(m, name)(list(ts), d), inputs)


@spec("split", "split_sections", "chunk")
def _split(data, name):
    x = S.tensor(data, shape=data.draw(S.shapes(min_dims=1)))
    d = S.dim(data, x.array.ndim)
    if name == "chunk":
        c = data.draw(st.integers(1, 5), label="chunks")
        return Case(lambda m, t: t.chunk(c, d), [x])
    if name == "split":
        s = data.draw(st.integers(1, 5), label="split_size")
        return Case(lambda m, t: m.split(t, s, d), [x])
    n = x.array.shape[d] if -x.array.ndim <= d < x.array.ndim else 0
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3), label="cuts"))
    sections = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    if data.draw(st.booleans(), label="wrong sum"):
        sections.append(1)
    return Case(lambda m, t: t.split(sections, d), [x])


@spec("tril", "triu")
def _triangle(data, name):
    k = data.draw(st.integers(-3, 3), label="diagonal")
    return Case(lambda m, t: getattr(m, name)(t, k), [S.tensor(data)])


@spec("getitem")
def _getitem(data, name):
    x = S.tensor(data, shape=data.draw(S.shapes(min_dims=1, min_side=1)))
    parts = []
    for n in x.array.shape[: data.draw(st.integers(1, x.array.ndim))]:
        parts.append(data.draw(st.one_of(
            st.integers(-n - 1, n),
            st.builds(slice, st.one_of(st.none(), st.integers(-n, n)), st.one_of(st.none(), st.integers(-n, n)),
                      st.one_of(st.none(), st.integers(1, 2))),
            st.just(None),
        ), label="index"))
    if data.draw(st.booleans(), label="ellipsis"):
        parts.insert(data.draw(st.integers(0, len(parts))), Ellipsis)
    index = tuple(parts)
    return Case(lambda m, t: t[index], [x])


@spec("index_tensor", "index_mask")
def _advanced_index(data, name):
    x = S.tensor(data, shape=data.draw(S.shapes(min_dims=1, min_side=1)))
    n = x.array.shape[0]
    if name == "index_mask":
        mask = S.tensor(data, shape=x.array.shape[:1], dtypes=("bool",))
        return Case(lambda m, t, k: t[k], [x, mask])
    idx = Input(np.array(data.draw(st.lists(st.integers(-n, n - 1), max_size=5), label="idx"), dtype=np.int64))
    return Case(lambda m, t, i: t[i], [x, idx])


@spec("gather")
def _gather(data, name):
    x = S.tensor(data, shape=data.draw(S.shapes(min_dims=1, min_side=1)))
    d = S.dim(data, x.array.ndim, out_of_range=False)
    shape = list(x.array.shape)
    shape[d] = data.draw(st.integers(0, 4), label="picks")
    n = x.array.shape[d]
    idx = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))),
                             label="idx"), dtype=np.int64).reshape(shape)
    return Case(lambda m, t, i: m.gather(t, d, i), [x, Input(idx)])


@spec("scatter", "scatter_add")
def _scatter(data, name):
    x = S.tensor(data, shape=data.draw(S.shapes(min_dims=1, min_side=1)))
    nd = x.array.ndim
    d = S.dim(data, nd, out_of_range=False) % nd
    n = x.array.shape[d]
    shape = [data.draw(st.integers(0, m), label="index side") for m in x.array.shape]
    shape[d] = data.draw(st.integers(0, n if name == "scatter" else 4), label="picks")
    keys = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed")).random(shape[:d] + [n] + shape[d + 1:])
    if name == "scatter":  # distinct places along dim: which of two writes to one place wins is unspecified
        idx = np.take(np.argsort(keys, axis=d), np.arange(shape[d]), axis=d)
    else:
        idx = (keys * n).astype(np.int64).take(np.arange(shape[d]) % n, axis=d) if shape[d] else np.zeros(shape, np.int64)
    if idx.size and data.draw(st.integers(0, 7), label="out of range") == 0:
        idx.reshape(-1)[0] = data.draw(st.sampled_from([-1, n]), label="bad index")
    src = S.tensor(data, shape=idx.shape, dtypes=(str(x.array.dtype),))
    return Case(lambda m, t, i, v: getattr(m, name)(t, d, i, v), [x, Input(idx.astype(np.int64)), src])


@spec("one_hot")
def _one_hot(data, name):
    shape = data.draw(S.shapes(max_dims=2), label="shape")
    c = data.draw(st.integers(-1, 4), label="num_classes")
    idx = Input(S.array(data, "int64", shape, False, 0, 3))
    if c == 0:
        c = -1
    return Case(lambda m, i: m.nn.functional.one_hot(i, c), [idx])


# ----------------------------------------------------------------- linear algebra and layers
@spec("matmul", "mm", "bmm")
def _matmul(data, name):
    k = data.draw(st.integers(0, 3), label="k")
    if name == "mm":
        sa, sb = (data.draw(st.integers(0, 3)), k), (k, data.draw(st.integers(0, 3)))
    elif name == "bmm":
        b = data.draw(st.integers(0, 2))
        sa, sb = (b, data.draw(st.integers(0, 3)), k), (b, k, data.draw(st.integers(0, 3)))
    else:
        batch = data.draw(S.shapes(max_dims=2, max_side=2))
        sa = data.draw(st.sampled_from([(k,), batch + (2, k)]))
        sb = data.draw(st.sampled_from([(k,), (k, 3), batch[1:] + (k, 1)]))
        if data.draw(st.booleans(), label="mismatch"):
            sb = (k + 1,) + sb[1:]
    f = {"matmul": lambda m, a, b: a @ b, "mm": lambda m, a, b: m.mm(a, b), "bmm": lambda m, a, b: m.bmm(a, b)}[name]
    return Case(f, [S.tensor(data, sa, dtypes=S.FLOATS + S.INTS), S.tensor(data, sb, dtypes=S.FLOATS + S.INTS)], amplification=2)


@spec("linear")
def _linear(data, name):
    n_in, n_out = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    lead = data.draw(S.shapes(max_dims=2, max_side=3))
    dt = data.draw(st.sampled_from(S.FLOATS))
    bias = data.draw(st.booleans(), label="bias")
    inputs = [S.tensor(data, lead + (n_in,), (dt,)), S.tensor(data, (n_out, n_in), (dt,))]
    if bias:
        inputs.append(S.tensor(data, (n_out,), (dt,)))
    return Case(lambda m, *ts: m.nn.functional.linear(*ts), inputs, amplification=2, sums_products=True)


@spec("embedding")
def _embedding(data, name):
    n, e = data.draw(st.integers(1, 4)), data.draw(st.integers(0, 3))
    idx = Input(S.array(data, "int64", data.draw(S.shapes(max_dims=2)), False, 0, n - 1))
    pad = data.draw(st.one_of(st.none(), st.integers(-n, n - 1)), label="padding_idx")
    return Case(lambda m, i, w: m.nn.functional.embedding(i, w, padding_idx=pad), [idx, S.tensor(data, (n, e), S.FLOATS)])


@spec("layer_norm")
def _layer_norm(data, name):
    shape = data.draw(S.shapes(min_dims=1, min_side=1), label="shape")
    k = data.draw(st.integers(1, len(shape)), label="normalized dims")
    norm = shape[-k:]
    dt = data.draw(st.sampled_from(S.FLOATS))
    affine = data.draw(st.booleans(), label="affine")
    inputs = [S.tensor(data, shape, (dt,))]
    if affine:
        inputs += [S.tensor(data, norm, (dt,)), S.tensor(data, norm, (dt,))]
    # 1/sqrt(var + eps) multiplies rounding errors by up to 1/sqrt(eps) ~ 316
    return Case(lambda m, x, *wb: m.nn.functional.layer_norm(x, norm, *wb), inputs, amplification=2, conditioning=316,
                sums_products=True)


@spec("meshgrid")
def _meshgrid(data, name):
    n = data.draw(st.integers(1, 3), label="tensors")
    xs = [S.tensor(data, shape=data.draw(st.sampled_from([(), (0,), (1,), (3,), (2, 2)]), label="shape")) for _ in range(n)]
    indexing = data.draw(st.sampled_from(["ij", "xy"]), label="indexing")
    return Case(lambda m, *ts: m.meshgrid(*ts, indexing=indexing), xs)


@spec("batch_norm")
def _batch_norm(data, name):
    shape = data.draw(st.sampled_from([(3, 2), (2, 2, 3), (1, 2), (2, 1), (1, 3, 1), (0, 2)]), label="shape")
    dt = data.draw(st.sampled_from(S.FLOATS))
    c = shape[1]
    x, w, b = S.tensor(data, shape, (dt,)), S.tensor(data, (c,), (dt,)), S.tensor(data, (c,), (dt,))
    if data.draw(st.booleans(), label="training"):  # batch statistics (an error for one value per channel)
        return Case(lambda m, x, w, b: m.nn.functional.batch_norm(x, None, None, w, b, training=True), [x, w, b],
                    amplification=2, conditioning=316, sums_products=True)
    rm = Input(S.array(data, dt, (c,), False, -2, 2))
    rv = Input(np.abs(S.array(data, dt, (c,), False, -2, 2)) + 0.5)
    return Case(lambda m, x, w, b, rm, rv: m.nn.functional.batch_norm(x, rm, rv, w, b, training=False), [x, w, b, rm, rv],
                amplification=2, conditioning=3)


@spec("cross_entropy", "cross_entropy_probs", "nll_loss")
def _class_losses(data, name):
    n, c = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 4))
    shape = data.draw(st.sampled_from([(c,), (n, c), (n, c, 2)]), label="input shape")
    dt = data.draw(st.sampled_from(S.FLOATS))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]), label="reduction")
    x = S.tensor(data, shape, (dt,))
    if name == "cross_entropy_probs":
        p = Input(np.abs(S.array(data, dt, shape, False)), False)
        ls = data.draw(st.sampled_from([0.0, 0.1]))
        return Case(lambda m, x, p: m.nn.functional.cross_entropy(x, p, reduction=reduction, label_smoothing=ls), [x, p],
                    amplification=1)
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    t = S.array(data, "int64", tshape, False, 0, c - 1)
    if t.size and data.draw(st.booleans(), label="ignore some"):
        t.reshape(-1)[data.draw(st.integers(0, t.size - 1))] = -100
    if name == "nll_loss":
        return Case(lambda m, x, t: m.nn.functional.nll_loss(x, t, reduction=reduction), [x, Input(t)], amplification=1)
    ls = data.draw(st.sampled_from([0.0, 0.2]), label="label_smoothing")
    return Case(lambda m, x, t: m.nn.functional.cross_entropy(x, t, reduction=reduction, label_smoothing=ls), [x, Input(t)],
                amplification=1)


@spec("mse_loss", "l1_loss", "bce_with_logits")
def _pointwise_losses(data, name):
    shape = data.draw(S.shapes(), label="shape")
    dt = data.draw(st.sampled_from(S.FLOATS))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]), label="reduction")
    x = S.tensor(data, shape, (dt,))
    if name == "bce_with_logits":
        y = Input(S.array(data, dt, shape, False, 0, 1), data.draw(st.booleans()))
        return Case(lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(x, y, reduction=reduction), [x, y],
                    amplification=1)
    return Case(lambda m, a, b: getattr(m.nn.functional, name)(a, b, reduction=reduction), [x, S.tensor(data, shape, (dt,))],
                amplification=2)


@spec("scaled_dot_product_attention")
def _attention(data, name):
    L, Sk, E = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    batch = data.draw(S.shapes(max_dims=1, min_side=1, max_side=2))
    dt = data.draw(st.sampled_from(S.FLOATS))
    causal = data.draw(st.booleans(), label="is_causal")
    q, k, v = (S.tensor(data, batch + s, (dt,), edgy=False) for s in ((L, E), (Sk, E), (Sk, E)))
    return Case(lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal), [q, k, v],
                amplification=2)


# ----------------------------------------------------------------- in place
INPLACE = {
    "add_": lambda m, x, y: x.add_(y),
    "sub_": lambda m, x, y: x.sub_(y, alpha=2),
    "mul_": lambda m, x, y: x.mul_(y),
    "div_": lambda m, x, y: x.div_(y),
    "copy_": lambda m, x, y: x.copy_(y),
    "iadd": lambda m, x, y: x.__iadd__(y),
    "setitem": lambda m, x, y: x.__setitem__(0, y) or x,
}


@spec(*INPLACE)
def _inplace(data, name):
    sx, sy = S.broadcast_pair(data)
    if name == "setitem":
        sx = (data.draw(st.integers(1, 3)),) + sx
    x = S.tensor(data, sx, grad=False)
    y = S.tensor(data, sy, grad=False)
    return Case(lambda m, a, b: (INPLACE[name](m, a, b), a)[1], [x, y], check_grad=False)


@spec("fill_", "zero_", "clamp_")
def _inplace_scalar(data, name):
    x = S.tensor(data, grad=False, dtypes=S.FLOATS + S.INTS)
    v = data.draw(st.floats(-2, 2) if x.array.dtype.kind == "f" else st.integers(-2, 2), label="value")
    f = {"fill_": lambda m, t: t.fill_(v), "zero_": lambda m, t: t.zero_(), "clamp_": lambda m, t: t.clamp_(min=v)}[name]
    return Case(f, [x], check_grad=False)


# ----------------------------------------------------------------- tensor methods and conversions
METHODS = {
    "t": lambda m, x: x.t(),
    "long": lambda m, x: x.long(),
    "int": lambda m, x: x.int(),
    "item": lambda m, x: x.item(),
    "tolist": lambda m, x: x.tolist(),
    "numel": lambda m, x: x.numel(),
    "size": lambda m, x: x.size(),
    "dim": lambda m, x: x.dim(),
    "is_floating_point": lambda m, x: x.is_floating_point(),
    "bool_of_tensor": lambda m, x: bool(x),
    "float_of_tensor": lambda m, x: float(x),
    "zeros_like": lambda m, x: m.zeros_like(x),
    "ones_like": lambda m, x: m.ones_like(x),
    "full_like": lambda m, x: m.full_like(x, 2),
    "detach": lambda m, x: x.detach() * 1,
}


@spec(*METHODS)
def _methods(data, name):
    if name in ("long", "int"):  # float to integer: NaN, inf and overflow are undefined behaviour in C
        return Case(METHODS[name], [S.tensor(data, edgy=False)])
    return Case(METHODS[name], [S.tensor(data)])


@spec("type_as", "view_as", "expand_as", "where_method")
def _pairs(data, name):
    sa, sb = S.broadcast_pair(data)
    if name == "view_as":
        sb = data.draw(st.sampled_from([sb, sa[::-1], (int(np.prod(sa)),)]), label="view shape")
    f = {"type_as": lambda m, a, b: a.type_as(b), "view_as": lambda m, a, b: a.view_as(b),
         "expand_as": lambda m, a, b: a.expand_as(b), "where_method": lambda m, a, b: a.where(b > 0, 0.5)}[name]
    return Case(f, [S.tensor(data, sa), S.tensor(data, sb)])


# ----------------------------------------------------------------- factories
@spec("tensor_from_list")
def _from_list(data, name):
    leaves = st.one_of(st.booleans(), st.integers(-3, 3), st.floats(-3, 3), st.sampled_from([S.INF, S.NAN, -0.0]))
    row = data.draw(st.integers(0, 3), label="row length")
    values = data.draw(st.lists(st.lists(leaves, min_size=row, max_size=row), max_size=3), label="values")
    if data.draw(st.booleans(), label="flat"):
        values = [v for r in values for v in r]
    dtype = data.draw(st.sampled_from([None, "float64", "int64", "bool"]), label="dtype")
    return Case(lambda m: m.tensor(values, dtype=getattr(m, dtype) if dtype else None), [])


@spec("arange", "linspace", "full", "eye", "zeros", "ones")
def _factories(data, name):
    num = st.one_of(st.integers(-4, 4), st.floats(-4, 4, allow_nan=False, allow_infinity=False))
    if name == "arange":
        a, b = data.draw(num, label="start"), data.draw(num, label="end")
        step = data.draw(st.one_of(st.integers(-2, 2), st.sampled_from([0.5, -0.5, 0.3])), label="step")
        return Case(lambda m: m.arange(a, b, step), [])
    if name == "linspace":
        a, b, n = data.draw(num), data.draw(num), data.draw(st.integers(0, 5), label="steps")
        return Case(lambda m: m.linspace(a, b, n), [])
    shape = data.draw(S.shapes(max_dims=2), label="shape")
    if name == "full":
        v = data.draw(st.one_of(st.booleans(), st.integers(-3, 3), st.floats(-3, 3)), label="value")
        return Case(lambda m: m.full(shape, v), [])
    if name == "eye":
        n, k = data.draw(st.integers(0, 3)), data.draw(st.one_of(st.none(), st.integers(0, 3)))
        return Case(lambda m: m.eye(n, k) if k is not None else m.eye(n), [])
    dtype = data.draw(st.sampled_from([None, "float64", "int64", "bool"]), label="dtype")
    return Case(lambda m: getattr(m, name)(*shape, dtype=getattr(m, dtype) if dtype else None), [])


# ----------------------------------------------------------------- the course APIs (issue 13)
@spec("remainder", "floor_divide", "allclose", "equal")
def _binary_more(data, name):
    sa, sb = S.broadcast_pair(data)
    f = {"remainder": lambda m, a, b: a % b, "floor_divide": lambda m, a, b: m.floor_divide(a, b),
         "allclose": lambda m, a, b: m.allclose(a, b), "equal": lambda m, a, b: m.equal(a, b)}[name]
    if name in ("allclose", "equal"):
        sb = sa if data.draw(st.booleans(), label="same shape") else sb
    return Case(f, [S.tensor(data, sa), S.tensor(data, sb)])


@spec("cumsum", "flip", "narrow", "topk", "index_select", "repeat_interleave", "sort", "argsort")
def _dim_more(data, name):
    # (PyTorch's repeat_interleave of a 0-d tensor checks dim against 1-d: no 0-d there)
    x = S.tensor(data, shape=data.draw(S.shapes(min_dims=1 if name == "repeat_interleave" else 0)))
    nd = x.array.ndim
    d = S.dim(data, nd)
    n = x.array.shape[d] if -nd <= d < nd else 1
    if name == "cumsum":
        return Case(lambda m, t: t.cumsum(d), [x], amplification=1)
    if name == "flip":
        return Case(lambda m, t: m.flip(t, (d,)), [x])
    if name == "narrow":
        start, length = data.draw(st.integers(-n, n), label="start"), data.draw(st.integers(0, n), label="length")
        return Case(lambda m, t: m.narrow(t, d, start, length), [x])
    if name == "topk":
        k = data.draw(st.integers(0 if nd else 1, n + 1), label="k")  # (PyTorch's topk(0) of a 0-d tensor is 0-d)
        largest = data.draw(st.booleans(), label="largest")
        return Case(lambda m, t: m.topk(t, k, d, largest=largest), [x])
    if name in ("sort", "argsort"):
        descending = data.draw(st.booleans(), label="descending")
        return Case(lambda m, t: getattr(m, name)(t, dim=d, descending=descending, stable=True), [x])
    if name == "index_select":
        idx = Input(np.array(data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=4), label="idx"), dtype=np.int64))
        return Case(lambda m, t, i: m.index_select(t, d, i), [x, idx])
    r = data.draw(st.integers(0, 3), label="repeats")
    return Case(lambda m, t: m.repeat_interleave(t, r, dim=d), [x])


@spec("repeat", "masked_select", "nonzero", "pad")
def _shape_more(data, name):
    x = S.tensor(data)
    nd = x.array.ndim
    if name == "repeat":
        reps = data.draw(st.lists(st.integers(0, 3), min_size=nd, max_size=nd + 1), label="repeats")
        return Case(lambda m, t: t.repeat(*reps) if reps else t.repeat(()), [x])
    if name == "masked_select":
        mask = S.tensor(data, x.array.shape, dtypes=("bool",))
        return Case(lambda m, t, k: m.masked_select(t, k), [x, mask])
    if name == "nonzero":
        return Case(lambda m, t: m.nonzero(t), [x])
    pads = data.draw(st.lists(st.integers(0, 2), max_size=2 * min(nd, 2)).filter(lambda p: len(p) % 2 == 0), label="pad")
    value = data.draw(st.floats(-2, 2), label="value")
    return Case(lambda m, t: m.nn.functional.pad(t, tuple(pads), value=value), [x])


@spec("kl_div", "smooth_l1_loss", "huber_loss")
def _more_losses(data, name):
    shape = data.draw(S.shapes(), label="shape")
    dt = data.draw(st.sampled_from(S.FLOATS))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"] + (["batchmean"] if name == "kl_div" else [])))
    x, y = S.tensor(data, shape, (dt,)), S.tensor(data, shape, (dt,))
    if name == "kl_div":
        log_target = data.draw(st.booleans(), label="log_target")
        return Case(lambda m, a, b: m.nn.functional.kl_div(a, b, reduction=reduction, log_target=log_target), [x, y],
                    amplification=2)
    return Case(lambda m, a, b: getattr(m.nn.functional, name)(a, b, reduction=reduction), [x, y], amplification=2)
