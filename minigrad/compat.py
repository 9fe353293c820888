"""PyTorch names that minigrad leaves out on purpose, and the error that says so.

``import minigrad as torch`` then ``torch.compile(model)`` (or ``nn.Conv2d``, ``x.sort()``...) raises
:class:`UnsupportedError` naming the API, saying why it is missing and what to write instead, and pointing
to ``docs/compatibility.md``, rather than a bare ``AttributeError``. The error is also an
``AttributeError``, so feature tests such as ``hasattr(torch, "compile")`` still answer ``False``.
Every name here appears in the table of ``docs/compatibility.md`` (a test checks it).
"""
from __future__ import annotations

DOC = "docs/compatibility.md"

_CONV = "convolutions and pooling are outside minigrad's scope (sequence models); use PyTorch for CNNs"
_BN = "2-d batch normalisation is for images, outside minigrad's scope; nn.BatchNorm1d covers (N, C) and (N, C, L)"
_MATH = "not implemented; compose it from the supported ops or compute it on .numpy()"

# namespace -> {PyTorch name: why it is missing / what to write instead}
UNSUPPORTED: dict[str, dict[str, str]] = {
    "minigrad": {
        "compile": "there is no compiler; call the model directly (remove torch.compile)",
        "jit": "there is no TorchScript; run the Python module as it is",
        "distributions": "no probability distributions module; use minigrad.multinomial or write the log-density",
        "fft": "no FFT; use numpy.fft on .numpy()",
        "linalg": "no linear-algebra module; use matmul, or numpy.linalg on .numpy() outside the graph",
        "sparse": "no sparse tensors; use dense tensors",
        "hub": "no model hub; build the model in code and load a state_dict",
        "einsum": "write the contraction with matmul/bmm, transpose and sum",
        "cumprod": _MATH, "prod": _MATH, "norm": "use x.pow(2).sum().sqrt() (or abs().sum())",
        "sign": _MATH, "floor": _MATH, "round": _MATH, "unique": _MATH, "bernoulli": "use (torch.rand(shape) < p)",
        "outer": "use a[:, None] * b[None, :]",
        "dot": "use (a * b).sum()", "mv": "use matmul", "addmm": "use c + a @ b", "baddbmm": "use c + bmm(a, b)",
        "cdist": _MATH, "isclose": "use (a - b).abs() <= atol + rtol * b.abs()", "inference_mode": "use torch.no_grad()", "set_printoptions": "repr uses 4 decimals; format with .tolist() or numpy",
        "bfloat16": "NumPy has no bfloat16; use float32", "complex64": "no complex tensors", "complex128": "no complex tensors",
        "conv1d": _CONV, "conv2d": _CONV,
    },
    "minigrad.nn": {
        "Conv1d": _CONV, "Conv2d": _CONV, "ConvTranspose2d": _CONV, "MaxPool1d": _CONV, "MaxPool2d": _CONV,
        "AvgPool2d": _CONV, "AdaptiveAvgPool2d": _CONV, "BatchNorm2d": _BN,
        "Dropout2d": _CONV, "Upsample": _CONV, "BCELoss": "use nn.BCEWithLogitsLoss on logits (stable)",
        "LeakyReLU": "use torch.where(x > 0, x, slope * x)", "ELU": "compose it with torch.where and exp",
        "SiLU": "use x * torch.sigmoid(x)", "Softplus": "use F.softplus(x)",
        "ParameterList": "register each nn.Parameter as an attribute, or keep them in a ModuleList of modules",
        "ParameterDict": "register each nn.Parameter as an attribute",
"DataParallel": "no multi-device training; use one device",
        "parallel": "no multi-device training; use one device",
    },
    "minigrad.nn.functional": {
        "conv1d": _CONV, "conv2d": _CONV, "max_pool2d": _CONV, "avg_pool2d": _CONV, "interpolate": _CONV,
        "binary_cross_entropy": "use binary_cross_entropy_with_logits on logits (stable)",
        "silu": "use x * torch.sigmoid(x)", "leaky_relu": "use torch.where(x > 0, x, slope * x)",
        "elu": "compose it with torch.where and exp",
        "normalize": "use x / x.pow(2).sum(dim, keepdim=True).sqrt().clamp(min=eps)",
        "cosine_similarity": "use (a * b).sum(-1) / (norms), with norms from pow(2).sum().sqrt()",
        "logsigmoid": "use -F.softplus(-x)",
    },
    "minigrad.optim": {
        "RMSprop": "use Adam (or SGD with momentum)", "Adagrad": "use Adam", "Adadelta": "use Adam",
        "SparseAdam": "no sparse gradients; use Adam",
    },
    "minigrad.utils.data": {
        "IterableDataset": "index a Dataset (__getitem__/__len__), or iterate your generator directly",
        "random_split": "split indices from torch.randperm(n) and index a TensorDataset with them",
        "Subset": "index a TensorDataset with a tensor of indices, or write a two-line Dataset",
        "ConcatDataset": "write a Dataset whose __getitem__ picks the part",
    },
    "Tensor": {
        "cumprod": _MATH, "prod": _MATH, "norm": "use x.pow(2).sum().sqrt() (or abs().sum())",
        "sign": _MATH, "floor": _MATH, "ceil": _MATH, "round": _MATH,
        "index_add_": "use scatter_add_ with the index expanded along the other dimensions",
        "roll": "use torch.cat of two narrow() slices", "unfold": "use narrow() in a loop, or view() for strided windows",
        "bernoulli_": "use (torch.rand(shape) < p)", "exponential_": _MATH, "random_": "use torch.randint",
        "fill_diagonal_": "write x[range(n), range(n)] = v", "stride": "minigrad does not expose memory layout",
        "data_ptr": "minigrad does not expose memory addresses", "storage": "minigrad does not expose storages",
        "pin_memory": "no pinned memory; the tensor is already where it is", "share_memory_": "no worker processes",
        "half": "use float() (float32) or double()", "bfloat16": "NumPy has no bfloat16; use float32",
        "addmm": "use c + a @ b", "baddbmm": "use c + a.bmm(b)", "lerp_": "write x += w * (y - x) under no_grad",
        "addcmul_": "write x += v * a * b under no_grad", "addcdiv_": "write x += v * a / b under no_grad",
    },
}


class UnsupportedError(NotImplementedError, AttributeError):
    """A PyTorch API that minigrad leaves out on purpose (also an ``AttributeError``, for ``hasattr``)."""


def unsupported(namespace: str, name: str) -> AttributeError:
    """The error for ``namespace.name``: :class:`UnsupportedError` for a known PyTorch name, else a plain AttributeError."""
    why = UNSUPPORTED.get(namespace, {}).get(name)
    torch_name = "torch" + namespace[len("minigrad"):] if namespace.startswith("minigrad") else f"torch.{namespace}"
    if why is None:
        return AttributeError(f"{namespace!r} {'object' if namespace == 'Tensor' else 'module'} has no attribute {name!r}")
    return UnsupportedError(
        f"{namespace}.{name} (PyTorch's {torch_name}.{name}) is not supported by minigrad: {why}. "
        f"See {DOC} for what course code can use instead."
    )
