"""PyTorch's import paths under ``torch.nn.modules`` (and ``torch.nn.parameter``), onto minigrad's layers.

``from torch.nn.modules.loss import _Loss`` or ``import torch.nn.modules.rnn`` in course code then work
after ``import minigrad as torch``. Most of PyTorch's files have a minigrad file of the same name, which is
used as it is; the three that differ are namespaces made here: ``activation`` (which in PyTorch also holds
``MultiheadAttention``), ``container`` (``Sequential``, ``ModuleList``, ``ModuleDict``) and ``sparse``
(``Embedding``).
"""
from __future__ import annotations

import sys
import types

from .. import activation as _activation
from .. import attention, dropout, embedding, flatten, linear, loss, module, normalization, rnn, transformer
from ..activation import *  # noqa: F403
from ..attention import MultiheadAttention
from ..dropout import Dropout
from ..embedding import Embedding
from ..flatten import Flatten, Unflatten
from ..linear import Identity, Linear
from ..loss import *  # noqa: F403
from ..module import Module, ModuleDict, ModuleList, Sequential
from ..normalization import BatchNorm1d, LayerNorm
from ..rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from ..transformer import Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer


def _namespace(name: str, doc: str, **members: object) -> types.ModuleType:
    m = types.ModuleType(name, doc)
    m.__dict__.update(members)
    return m


activation = _namespace(__name__ + ".activation", "Activations, and MultiheadAttention as in PyTorch.",
                        **{k: v for k, v in vars(_activation).items() if not k.startswith("__")},
                        MultiheadAttention=MultiheadAttention)
container = _namespace(__name__ + ".container", "Sequential, ModuleList and ModuleDict.",
                       Sequential=Sequential, ModuleList=ModuleList, ModuleDict=ModuleDict, Module=Module)
sparse = _namespace(__name__ + ".sparse", "Embedding.", Embedding=Embedding)
parameter = _namespace("minigrad.nn.parameter", "Parameter, as torch.nn.parameter.", Parameter=module.Parameter)

for _m in (activation, container, dropout, embedding, flatten, linear, loss, module, normalization, rnn, sparse,
           transformer, attention):
    sys.modules[f"{__name__}.{_m.__name__.rsplit('.', 1)[-1]}"] = _m
sys.modules[parameter.__name__] = parameter
del _m
