"""``minigrad.onnx``: present so that ``torch.onnx.export(...)`` in course code fails with a clear reason.

minigrad has no graph exporter: its graph is recorded for backward only and holds NumPy/CuPy calls,
not ONNX operators. Train with minigrad, then copy the weights into the same PyTorch model
(``torch_model.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})``)
and export that; see docs/compatibility.md.
"""
from __future__ import annotations

from typing import Any, NoReturn


def export(*args: Any, **kwargs: Any) -> NoReturn:
    """Always raises: exporting to ONNX is not supported."""
    raise NotImplementedError(
        "minigrad.onnx.export: exporting to ONNX is not supported by minigrad. Load the state_dict into the "
        "same model built with PyTorch and export that instead (see docs/compatibility.md)"
    )
