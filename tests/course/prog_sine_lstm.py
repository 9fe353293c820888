"""Predicting sine waves with two stacked LSTM cells, trained with L-BFGS (lr=0.8) on whole sequences,
then predicting the future by feeding outputs back in."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

T, L, N = 20, 40, 6
x = np.empty((N, L), np.int64)
x[:] = np.array(range(L)) + np.random.default_rng(2).integers(-4 * T, 4 * T, N).reshape(N, 1)
wave = np.sin(x / 1.0 / T).astype("float64")


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 12)
        self.lstm2 = nn.LSTMCell(12, 12)
        self.linear = nn.Linear(12, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 12, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 12, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 12, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 12, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


def build():
    return Sequence().double()


def train(seq, steps=2):
    input = torch.from_numpy(wave[2:, :-1])
    target = torch.from_numpy(wave[2:, 1:])
    test_input = torch.from_numpy(wave[:2, :-1])
    test_target = torch.from_numpy(wave[:2, 1:])
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=4)
    report = {"losses": [], "test": []}
    for i in range(steps):
        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            report["losses"].append(loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = 5
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            report["test"].append(loss.item())
            y = pred.detach().numpy()
    report["prediction"] = y
    report["grads"] = {n: p.grad for n, p in seq.named_parameters()}
    return report
