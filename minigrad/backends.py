"""``minigrad.backends``: the switches course code sets on ``torch.backends``, accepted and without effect.

``torch.backends.cudnn.deterministic = True``, ``torch.backends.cudnn.benchmark = False`` and
``torch.backends.cuda.matmul.allow_tf32 = True`` tune NVIDIA libraries that minigrad does not use
(its GPU path is CuPy's, and its results are deterministic), so setting them changes nothing.
``torch.backends.mps.is_available()`` is ``False``: minigrad has no Apple-GPU device.
"""
from __future__ import annotations

import types

cudnn = types.SimpleNamespace(enabled=True, deterministic=False, benchmark=False, allow_tf32=True,
                              is_available=lambda: False)
cuda = types.SimpleNamespace(matmul=types.SimpleNamespace(allow_tf32=False),
                             allow_bf16_reduced_precision_reduction=True, allow_fp16_reduced_precision_reduction=True)
mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
