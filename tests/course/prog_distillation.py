"""Knowledge distillation on bags of tokens: a teacher and a smaller student, soft targets with a
temperature and KLDivLoss(batchmean), one-hot targets built with scatter_, features padded with F.pad,
a column dropped with index_fill_, sequences reversed with flip and the mistakes found with nonzero."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

rng = np.random.default_rng(5)
tokens = torch.tensor(rng.integers(0, 6, size=(24, 5)))
labels = (tokens.sum(1) % 3).long()


def features(tok):
    counts = torch.zeros(tok.size(0), 6).scatter_(1, tok, 1.0, reduce="add")
    counts.index_fill_(1, torch.tensor([5]), 0.0)  # token 5 is a stop word
    first_last = torch.cat([tok[:, :1], tok.flip(1)[:, :1]], 1).double() / 6
    return F.pad(torch.cat([counts, first_last], 1), (0, 2), value=1.0)  # two constant features


class Distill(nn.Module):
    def __init__(self):
        super().__init__()
        self.teacher = nn.Sequential(nn.Linear(10, 24), nn.ReLU(), nn.Linear(24, 3))
        self.student = nn.Sequential(nn.Linear(10, 6), nn.Tanh(), nn.Linear(6, 3))


def build():
    return Distill()


def train(model, T=2.0, alpha=0.7):
    x = features(tokens)
    one_hot = torch.zeros(len(labels), 3).scatter_(1, labels.unsqueeze(1), 1)
    report = {"losses": []}
    opt_t = torch.optim.Adam(model.teacher.parameters(), lr=0.05)
    for _ in range(4):
        opt_t.zero_grad()
        loss = F.cross_entropy(model.teacher(x), labels)
        loss.backward()
        opt_t.step()
        report["losses"].append(loss.item())
    kl = nn.KLDivLoss(reduction="batchmean")
    opt_s = torch.optim.Adam(model.student.parameters(), lr=0.05)
    for _ in range(4):
        with torch.no_grad():
            soft = F.softmax(model.teacher(x) / T, dim=1)
        logits = model.student(x)
        loss = alpha * kl(F.log_softmax(logits / T, dim=1), soft) * T * T + (1 - alpha) * -(one_hot * F.log_softmax(logits, 1)).sum(1).mean()
        opt_s.zero_grad()
        loss.backward()
        opt_s.step()
        report["losses"].append(loss.item())
    report["grads"] = {n: p.grad for n, p in model.student.named_parameters()}
    wrong = (model.student(x).argmax(1) != labels).nonzero().squeeze(1)
    report["wrong"] = wrong
    report["topk"] = model.student(x[:3]).topk(2, dim=1).indices
    return report
