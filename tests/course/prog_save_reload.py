"""Checkpointing as courses do it: train a little, save the whole model and a checkpoint dict (model and
optimizer state, epoch) to files and to memory, load them back, and go on training from there."""
import io
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)

rng = np.random.default_rng(11)
X = torch.tensor(rng.normal(size=(16, 5)))
Y = torch.tensor(rng.integers(0, 3, size=16))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(5, 6)
        self.gru = nn.GRU(6, 6, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        h = torch.tanh(self.embed(x)).unsqueeze(1).expand(-1, 3, -1)
        out, _ = self.gru(h)
        return self.head(out[:, -1])


def build():
    return Net()


def steps(model, optimizer, n, report):
    criterion = nn.CrossEntropyLoss()
    for _ in range(n):
        optimizer.zero_grad()
        loss = criterion(model(X), Y)
        loss.backward()
        optimizer.step()
        report["losses"].append(loss.item())


def train(model):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    report = {"losses": []}
    steps(model, optimizer, 3, report)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.pt")
        with open(path, "wb") as f:
            torch.save(model, f)
        with open(path, "rb") as f:
            model = torch.load(f, weights_only=False)
        buffer = io.BytesIO()
        torch.save({"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict()}, buffer)
        buffer.seek(0)
        checkpoint = torch.load(buffer)  # tensors and plain containers only: fine with weights_only
    fresh = Net()
    fresh.load_state_dict(checkpoint["model_state_dict"])
    optimizer = torch.optim.Adam(fresh.parameters(), lr=0.05)
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    report["epoch"] = checkpoint["epoch"]
    report["reloaded_same"] = (model(X) == fresh(X)).all().item()
    steps(fresh, optimizer, 3, report)
    report["grads"] = {n: p.grad for n, p in fresh.named_parameters()}
    return report
