"""``minigrad.nn``: modules, layers, losses, initialisation and utilities, with PyTorch's names and layouts."""
from . import functional, init, utils
from .activation import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .attention import MultiheadAttention
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .normalization import BatchNorm1d, LayerNorm
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from .transformer import (
    PositionalEncoding, Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
from . import modules  # noqa: E402  (PyTorch's import paths: minigrad.nn.modules.linear, ...)
from .modules import parameter  # noqa: E402  (minigrad.nn.parameter.Parameter)

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
    "Identity", "Linear", "Embedding", "LayerNorm", "BatchNorm1d", "Dropout", "Flatten", "Unflatten", "ReLU", "Tanh", "Sigmoid", "GELU",
    "Softmax", "LogSoftmax", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNN", "LSTM", "GRU", "MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer",
    "TransformerEncoder", "TransformerDecoder", "Transformer", "PositionalEncoding", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCEWithLogitsLoss",
    "SmoothL1Loss", "HuberLoss", "KLDivLoss", "modules",
]


def __getattr__(name: str) -> object:
    # PyTorch names left out on purpose get an error that says why (see minigrad.compat)
    from .. import compat as _compat

    raise _compat.unsupported(__name__, name)
