"""A two-moons-like classifier: a Dataset subclass, DataLoader with a sampler, a custom collate_fn,
num_workers/pin_memory/drop_last, an MLP, SGD with momentum and a step schedule, and evaluation
with accuracy counted the usual way."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import BatchSampler, DataLoader, Dataset, SequentialSampler, TensorDataset
from torch.utils.data.dataloader import default_collate

torch.set_default_dtype(torch.float64)

rng = np.random.default_rng(7)
angles = rng.uniform(0, np.pi, size=60)
labels = rng.integers(0, 2, size=60)
points = np.stack([np.cos(angles) + labels, np.sin(angles) * (1 - 2 * labels) + 0.3 * labels], 1) + 0.1 * rng.normal(size=(60, 2))


class Moons(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), int(self.y[i])


def collate(batch):
    xs, ys = default_collate(batch)
    return xs.type(torch.FloatTensor).double(), torch.LongTensor(ys.tolist())


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 2))

    def forward(self, x):
        return self.net(x)


def build():
    return MLP()


def evaluate(model, loader):
    model.eval()
    correct, total, loss = 0, 0, 0.0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss += F.cross_entropy(out, y, reduction="sum").item()
            pred = out.argmax(dim=1)
            correct += (pred == y).sum().item()
            total += y.size(0)
    return loss / total, correct / total


def train(model, epochs=3):
    train_set = Moons(points[:48], labels[:48])
    test_set = TensorDataset(torch.tensor(points[48:]), torch.tensor(labels[48:]))
    train_loader = DataLoader(train_set, batch_size=8, sampler=SequentialSampler(train_set), collate_fn=collate,
                              num_workers=0, pin_memory=False, drop_last=True)
    test_loader = DataLoader(test_set, batch_sampler=BatchSampler(SequentialSampler(test_set), 5, drop_last=False))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    criterion = nn.CrossEntropyLoss()
    report = {"losses": [], "test": [], "sizes": [len(train_loader), len(test_loader)]}
    for epoch in range(epochs):
        model.train()
        for batch_idx, (data, target) in enumerate(train_loader):
            optimizer.zero_grad()
            loss = criterion(model(data), target)
            loss.backward()
            optimizer.step()
            report["losses"].append(loss.item())
        scheduler.step()
        test_loss, acc = evaluate(model, test_loader)
        report["test"].append([test_loss, acc])
        print(f"epoch {epoch} test loss {test_loss:.4f} accuracy {100.0 * acc:.1f}%")
    data, target = next(iter(train_loader))
    model.zero_grad()
    criterion(model(data), target).backward()
    report["grads"] = {n: p.grad for n, p in model.named_parameters()}
    return report
