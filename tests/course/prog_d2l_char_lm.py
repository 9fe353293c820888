"""d2l-zh chapters 8-9 style: a character-level language model written from scratch (one-hot inputs,
hand-made parameters from ``torch.randn(size=...)``, gradient clipping, a hand-written SGD step and
perplexity), beside the concise version (``nn.GRU`` and d2l's ``RNNModel``) trained with ``torch.optim.SGD``;
greedy prediction from a prefix. Our own text and code, written the way the book writes it."""
import collections
import math

import torch
from torch import nn
from torch.nn import functional as F

torch.set_default_dtype(torch.float64)

TEXT = ("the keeper of the lighthouse climbed the stairs every evening and lit the lamp for the ships "
        "that passed the rocks in the dark and every morning he wrote the weather in his book "
        "the wind came from the sea and the gulls sat on the rail while the keeper made his tea")


def try_gpu(i=0):
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


class Vocab:
    def __init__(self, tokens):
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: (-x[1], x[0]))
        self.idx_to_token = ["<unk>"] + [t for t, _ in self.token_freqs]
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, 0)
        return [self.__getitem__(t) for t in tokens]

    def to_tokens(self, indices):
        return [self.idx_to_token[i] for i in indices]


vocab = Vocab(list(TEXT))
corpus = vocab[list(TEXT)]


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    num_tokens = ((len(corpus) - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[0:num_tokens])
    Ys = torch.tensor(corpus[1:1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i:i + num_steps], Ys[:, i:i + num_steps]


class RNNModelScratch(nn.Module):
    """d2l's from-scratch RNN (a module here, so that both libraries can start from the same weights)."""

    def __init__(self, vocab_size, num_hiddens, device):
        super().__init__()
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens

        def normal(shape):
            return torch.randn(size=shape, device=device) * 0.01

        self.W_xh = nn.Parameter(normal((vocab_size, num_hiddens)))
        self.W_hh = nn.Parameter(normal((num_hiddens, num_hiddens)))
        self.b_h = nn.Parameter(torch.zeros(num_hiddens, device=device))
        self.W_hq = nn.Parameter(normal((num_hiddens, vocab_size)))
        self.b_q = nn.Parameter(torch.zeros(vocab_size, device=device))

    def begin_state(self, batch_size, device):
        return (torch.zeros((batch_size, self.num_hiddens), device=device),)

    def forward(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).type(torch.float64)
        H, = state
        outputs = []
        for x in X:
            H = torch.tanh(torch.mm(x, self.W_xh) + torch.mm(H, self.W_hh) + self.b_h)
            Y = torch.mm(H, self.W_hq) + self.b_q
            outputs.append(Y)
        return torch.cat(outputs, dim=0), (H,)


class RNNModel(nn.Module):
    def __init__(self, rnn_layer, vocab_size, **kwargs):
        super(RNNModel, self).__init__(**kwargs)
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = self.rnn.hidden_size
        self.num_directions = 2 if self.rnn.bidirectional else 1
        self.linear = nn.Linear(self.num_hiddens * self.num_directions, self.vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size)
        X = X.to(torch.float64)
        Y, state = self.rnn(X, state)
        output = self.linear(Y.reshape((-1, Y.shape[-1])))
        return output, state

    def begin_state(self, device, batch_size=1):
        shape = (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens)
        if not isinstance(self.rnn, nn.LSTM):
            return torch.zeros(shape, device=device)
        return (torch.zeros(shape, device=device), torch.zeros(shape, device=device))


def grad_clipping(net, theta):
    params = [p for p in net.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def predict_ch8(prefix, num_preds, net, vocab, device):
    state = net.begin_state(batch_size=1, device=device)
    outputs = [vocab[prefix[0]]]

    def get_input():
        return torch.tensor([outputs[-1]], device=device).reshape((1, 1))

    for y in prefix[1:]:
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return "".join([vocab.idx_to_token[i] for i in outputs])


def train_steps(net, updater, device, batch_size=4, num_steps=8, max_steps=20):
    loss = nn.CrossEntropyLoss()
    losses, first_grads, ppl = [], None, []
    while len(losses) < max_steps:
        state, total, n = None, 0.0, 0
        for X, Y in seq_data_iter_sequential(corpus, batch_size, num_steps):
            if state is None:
                state = net.begin_state(batch_size=X.shape[0], device=device)
            elif isinstance(net, nn.Module) and not isinstance(state, tuple):
                state.detach_()
            else:
                for s in state:
                    s.detach_()
            y = Y.T.reshape(-1)
            X, y = X.to(device), y.to(device)
            y_hat, state = net(X, state)
            l = loss(y_hat, y.long()).mean()
            if isinstance(updater, torch.optim.Optimizer):
                updater.zero_grad()
                l.backward()
                grad_clipping(net, 1)
                if first_grads is None:
                    first_grads = {k: p.grad.clone() for k, p in net.named_parameters()}
                updater.step()
            else:
                l.backward()
                grad_clipping(net, 1)
                if first_grads is None:
                    first_grads = {k: p.grad.clone() for k, p in net.named_parameters()}
                updater(batch_size=1)
            total += l.item() * y.numel()
            n += y.numel()
            losses.append(l.item())
            if len(losses) == max_steps:
                break
        ppl.append(math.exp(total / n))
    return losses, first_grads, ppl


def build():
    device = try_gpu()
    return nn.ModuleDict({
        "scratch": RNNModelScratch(len(vocab), 16, device),
        "gru": RNNModel(nn.GRU(len(vocab), 16), len(vocab)),
    })


def train(models):
    device = try_gpu()
    report = {"losses": [], "grads": {}}
    scratch = models["scratch"]
    losses, grads, ppl = train_steps(scratch, lambda batch_size: sgd(scratch.parameters(), 1.0, batch_size), device)
    report["losses"] += losses
    report["grads"]["scratch"] = grads
    report["scratch_ppl"] = ppl
    report["scratch_prediction"] = predict_ch8("the keeper ", 10, scratch, vocab, device)
    gru = models["gru"].to(device)
    losses, grads, ppl = train_steps(gru, torch.optim.SGD(gru.parameters(), 1.0), device)
    report["losses"] += losses
    report["grads"]["gru"] = grads
    report["gru_ppl"] = ppl
    report["gru_prediction"] = predict_ch8("the sea", 10, gru, vocab, device)
    report["params"] = {k: v.detach().clone() for k, v in models.state_dict().items()}
    return report
