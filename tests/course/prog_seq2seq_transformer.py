"""A toy translation with nn.Transformer: source sentences of digits, target the same digits reversed in
another vocabulary; padding masks, a causal target mask, label smoothing, Adam with a warm-up schedule,
and greedy decoding."""
import math

import numpy as np
import torch
from torch import nn

torch.set_default_dtype(torch.float64)

PAD, BOS, EOS = 0, 1, 2
SRC_VOCAB, TGT_VOCAB = 13, 13
pairs = []
rng = np.random.default_rng(3)
for _ in range(12):
    n = int(rng.integers(2, 6))
    src = [int(d) + 3 for d in rng.integers(0, 10, size=n)]
    pairs.append((src, [BOS] + [s for s in reversed(src)] + [EOS]))


def pad_batch(seqs):
    width = max(len(s) for s in seqs)
    return torch.tensor([s + [PAD] * (width - len(s)) for s in seqs], dtype=torch.long)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=50):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]


class Seq2SeqTransformer(nn.Module):
    def __init__(self, d_model=16, nhead=2, layers=1):
        super().__init__()
        self.src_emb = nn.Embedding(SRC_VOCAB, d_model, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(TGT_VOCAB, d_model, padding_idx=PAD)
        self.pos = PositionalEncoding(d_model)
        self.transformer = nn.Transformer(d_model, nhead, layers, layers, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.generator = nn.Linear(d_model, TGT_VOCAB)
        self.d_model = d_model

    def encode(self, src):
        mask = src == PAD
        return self.transformer.encoder(self.pos(self.src_emb(src) * math.sqrt(self.d_model)), src_key_padding_mask=mask), mask

    def decode(self, tgt, memory, src_mask):
        causal = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        out = self.transformer.decoder(self.pos(self.tgt_emb(tgt) * math.sqrt(self.d_model)), memory, tgt_mask=causal,
                                       tgt_key_padding_mask=(tgt == PAD), memory_key_padding_mask=src_mask)
        return self.generator(out)

    def forward(self, src, tgt):
        memory, src_mask = self.encode(src)
        return self.decode(tgt, memory, src_mask)


def build():
    model = Seq2SeqTransformer()
    for p in model.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)
    return model


def greedy_decode(model, src, max_len=8):
    model.eval()
    with torch.no_grad():
        memory, src_mask = model.encode(src)
        ys = torch.full((src.size(0), 1), BOS, dtype=torch.long)
        for _ in range(max_len - 1):
            logits = model.decode(ys, memory, src_mask)[:, -1]
            next_word = logits.argmax(dim=-1, keepdim=True)
            ys = torch.cat([ys, next_word], dim=1)
    return ys


def train(model, epochs=3, batch=4):
    criterion = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.9, 0.98), eps=1e-9)
    warmup = 3
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min((step + 1) / warmup, 1.0))
    report = {"losses": [], "lrs": []}
    for epoch in range(epochs):
        model.train()
        for i in range(0, len(pairs), batch):
            src = pad_batch([s for s, _ in pairs[i:i + batch]])
            tgt = pad_batch([t for _, t in pairs[i:i + batch]])
            tgt_input, tgt_out = tgt[:, :-1], tgt[:, 1:]
            logits = model(src, tgt_input)
            optimizer.zero_grad()
            loss = criterion(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            loss.backward()
            report["grads"] = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
            optimizer.step()
            scheduler.step()
            report["losses"].append(loss.item())
            report["lrs"].append(scheduler.get_last_lr()[0])
    report["decoded"] = greedy_decode(model, pad_batch([pairs[0][0], pairs[1][0]]))
    return report
