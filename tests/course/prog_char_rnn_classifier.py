"""Classifying names by language from their letters: one-hot letter tensors, a recurrent cell written by
hand (concatenate input and hidden), LogSoftmax with NLLLoss, a hand-written SGD step through .data,
and the top category from topk."""
import string

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
category_lines = {
    "English": ["Smith", "Brown", "Taylor", "Wilson"],
    "French": ["Dubois", "Lefevre", "Moreau", "Laurent"],
    "Italian": ["Rossi", "Russo", "Ferrari", "Esposito"],
}
all_categories = list(category_lines)
n_categories = len(all_categories)


def letterToIndex(letter):
    return all_letters.find(letter)


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = torch.tanh(self.i2h(combined))
        output = self.softmax(self.i2o(combined))
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


def build():
    return RNN(n_letters, 12, n_categories)


def train(rnn, learning_rate=0.05):
    criterion = nn.NLLLoss()
    report = {"losses": [], "guesses": []}
    examples = [(c, line) for c in all_categories for line in category_lines[c]]
    for epoch in range(2):
        for category, line in examples:
            category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
            line_tensor = lineToTensor(line)
            hidden = rnn.initHidden()
            rnn.zero_grad()
            for i in range(line_tensor.size()[0]):
                output, hidden = rnn(line_tensor[i], hidden)
            loss = criterion(output, category_tensor)
            loss.backward()
            for p in rnn.parameters():
                p.data.add_(p.grad.data, alpha=-learning_rate)
            report["losses"].append(loss.item())
            guess, _ = categoryFromOutput(output)
            report["guesses"].append(guess)
    report["grads"] = {n: p.grad for n, p in rnn.named_parameters()}
    return report
