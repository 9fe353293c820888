"""Polynomial regression in the style of a first-course example: features x, x^2, x^3, x^4, a single
linear layer, and L-BFGS with a closure; then a smooth-L1 fine-tuning pass with plain SGD."""
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

POLY_DEGREE = 4
W_target = torch.tensor([[0.5], [-1.2], [0.3], [0.8]])
b_target = torch.tensor([0.7])


def make_features(x):
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    result = "y = "
    for i, w in enumerate(W):
        result += f"{w:+.2f} x^{i + 1} "
    return result + f"{b[0]:+.2f}"


xs = torch.tensor(np.linspace(-1, 1, 32))


def build():
    return torch.nn.Linear(W_target.size(0), 1)


def train(fc):
    batch_x = make_features(xs)
    batch_y = f(batch_x)
    optimizer = torch.optim.LBFGS(fc.parameters(), lr=0.5, max_iter=10, history_size=5)
    report = {"losses": []}

    def closure():
        optimizer.zero_grad()
        loss = F.mse_loss(fc(batch_x), batch_y)
        loss.backward()
        return loss

    for step in range(3):
        loss = optimizer.step(closure)
        report["losses"].append(loss.item())
    report["fitted"] = poly_desc(fc.weight.view(-1), fc.bias)
    sgd = torch.optim.SGD(fc.parameters(), lr=0.05)
    for step in range(3):
        sgd.zero_grad()
        loss = F.smooth_l1_loss(fc(batch_x), batch_y, beta=0.05)
        loss.backward()
        sgd.step()
        report["losses"].append(loss.item())
    report["grads"] = {"weight": fc.weight.grad, "bias": fc.bias.grad}
    report["weight"] = fc.weight.data
    return report
