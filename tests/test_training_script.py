"""A PyTorch-style training script runs unchanged on both libraries with the import swapped."""
import numpy as np
import pytest

SCRIPT = '''
import {lib} as torch
import {lib}.nn as nn
from {lib}.utils.data import DataLoader, TensorDataset

torch.set_default_dtype(torch.float64)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.0), nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 3))

    def forward(self, x):
        return self.net(x)


model = MLP()
model.load_state_dict({{k: torch.tensor(v) for k, v in init_state.items()}})
data = TensorDataset(torch.tensor(X), torch.tensor(Y))
loader = DataLoader(data, batch_size=32)
criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.7)
losses = []
for epoch in range(5):
    model.train()
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item() * len(xb)
    scheduler.step()
    losses.append(total / len(data))
model.eval()
with torch.no_grad():
    accuracy = (model(torch.tensor(X)).argmax(dim=1) == torch.tensor(Y)).float().mean().item()
'''


def test_script_gives_matching_losses_on_both_libraries():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 6))
    Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)
    torch.manual_seed(0)
    init = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Dropout(0.0), torch.nn.Linear(16, 16), torch.nn.GELU(), torch.nn.Linear(16, 3)).double()
    init_state = {f"net.{k}": v.numpy() for k, v in init.state_dict().items()}
    results = {}
    for lib in ("torch", "minigrad"):
        env = {"init_state": init_state, "X": X, "Y": Y}
        try:
            exec(SCRIPT.format(lib=lib), env)
        finally:
            torch.set_default_dtype(torch.float32)
        results[lib] = env
    import minigrad

    minigrad.set_default_dtype(minigrad.float32)
    assert results["minigrad"]["losses"] == pytest.approx(results["torch"]["losses"], rel=1e-10)
    assert results["minigrad"]["accuracy"] == results["torch"]["accuracy"]
    assert results["minigrad"]["losses"][-1] < results["minigrad"]["losses"][0]
