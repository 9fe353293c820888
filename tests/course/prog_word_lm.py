"""A word-level language model: embedding, a recurrent layer, tied decoder; truncated BPTT with
hidden states carried across batches and detached, gradient clipping and a hand-written SGD step."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

TEXT = ("the cat sat on the mat . the dog sat on the log . a cat saw a dog . the dog saw the cat on the mat . "
        "a log is not a mat . the cat is on the log .").split()


class Corpus:
    def __init__(self, words):
        self.vocab = sorted(set(words))
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.ids = torch.tensor([self.index[w] for w in words], dtype=torch.long)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.0):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity="tanh", dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.decoder.weight = self.encoder.weight  # weight tying (ninp == nhid)
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        self.encoder.weight.data.uniform_(-initrange, initrange)
        self.decoder.bias.data.zero_()

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.decoder.out_features)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


corpus = Corpus(TEXT)


def build():
    return nn.ModuleDict({kind: RNNModel(kind, len(corpus.vocab), 8, 8, 2) for kind in ("LSTM", "GRU", "RNN_TANH")})


def train(models, lr=2.0, bptt=5, clip=0.25, epochs=2):
    data = batchify(corpus.ids, 3)
    criterion = nn.NLLLoss()
    report = {"losses": [], "grads": {}, "ppl": []}
    for kind, model in models.items():
        model.train()
        for epoch in range(epochs):
            hidden = model.init_hidden(3)
            total = 0.0
            for batch, i in enumerate(range(0, data.size(0) - 1, bptt)):
                x, y = get_batch(data, i, bptt)
                model.zero_grad()
                hidden = repackage_hidden(hidden)
                output, hidden = model(x, hidden)
                loss = criterion(output, y)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                for p in model.parameters():
                    p.data.add_(p.grad, alpha=-lr)
                total += loss.item()
                report["losses"].append(loss.item())
            line = f"| {kind} | epoch {epoch:3d} | loss {total / (batch + 1):5.2f} | ppl {math.exp(total / (batch + 1)):8.2f}"
            report["ppl"].append(float(line.split("ppl")[1]))
        report["grads"][kind] = {n: p.grad for n, p in model.named_parameters()}
        model.eval()
        with torch.no_grad():
            model.rnn.flatten_parameters()
            output, _ = model(data[:4], model.init_hidden(3))
            report[f"{kind}_eval"] = output
        report[f"{kind}_params"] = [p.detach().clone() for p in model.parameters()]
    return report
