"""d2l-zh chapter 9.5-9.7 style: machine translation with a GRU encoder-decoder. Vocabularies with
reserved tokens, truncate-and-pad, ``sequence_mask`` and the masked softmax cross-entropy on
``pred.permute(0, 2, 1)``, xavier init through ``GRU._flat_weights_names``, teacher forcing, gradient
clipping, Adam, greedy decoding and BLEU. Our own sentence pairs and code, written the way the book writes it."""
import collections
import math

import torch
from torch import nn

torch.set_default_dtype(torch.float64)

PAIRS = [("i run .", "je cours ."), ("he runs .", "il court ."), ("we run .", "nous courons ."),
         ("i eat .", "je mange ."), ("he eats .", "il mange ."), ("we eat .", "nous mangeons ."),
         ("i sleep .", "je dors ."), ("he sleeps .", "il dort ."), ("we sleep .", "nous dormons ."),
         ("i read .", "je lis ."), ("he reads .", "il lit ."), ("we read .", "nous lisons .")]
NUM_STEPS, BATCH_SIZE = 5, 4


def try_gpu(i=0):
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


class Vocab:
    def __init__(self, tokens, reserved_tokens=()):
        counter = collections.Counter(t for line in tokens for t in line)
        self.token_freqs = sorted(counter.items(), key=lambda x: (-x[1], x[0]))
        self.idx_to_token = ["<unk>"] + list(reserved_tokens) + [t for t, _ in self.token_freqs]
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, 0)
        return [self.__getitem__(t) for t in tokens]

    def to_tokens(self, indices):
        return [self.idx_to_token[i] for i in indices]


def truncate_pad(line, num_steps, padding_token):
    if len(line) > num_steps:
        return line[:num_steps]
    return line + [padding_token] * (num_steps - len(line))


def build_array_nmt(lines, vocab, num_steps):
    lines = [vocab[l] for l in lines]
    lines = [l + [vocab["<eos>"]] for l in lines]
    array = torch.tensor([truncate_pad(l, num_steps, vocab["<pad>"]) for l in lines])
    valid_len = (array != vocab["<pad>"]).type(torch.int32).sum(1)
    return array, valid_len


source = [s.split(" ") for s, _ in PAIRS]
target = [t.split(" ") for _, t in PAIRS]
src_vocab = Vocab(source, reserved_tokens=["<pad>", "<bos>", "<eos>"])
tgt_vocab = Vocab(target, reserved_tokens=["<pad>", "<bos>", "<eos>"])
src_array, src_valid_len = build_array_nmt(source, src_vocab, NUM_STEPS)
tgt_array, tgt_valid_len = build_array_nmt(target, tgt_vocab, NUM_STEPS)


def data_iter():
    for i in range(0, len(PAIRS), BATCH_SIZE):
        yield src_array[i:i + BATCH_SIZE], src_valid_len[i:i + BATCH_SIZE], tgt_array[i:i + BATCH_SIZE], tgt_valid_len[i:i + BATCH_SIZE]


class Encoder(nn.Module):
    def forward(self, X, *args):
        raise NotImplementedError


class Decoder(nn.Module):
    def init_state(self, enc_outputs, *args):
        raise NotImplementedError


class EncoderDecoder(nn.Module):
    def __init__(self, encoder, decoder, **kwargs):
        super(EncoderDecoder, self).__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        enc_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_outputs, *args)
        return self.decoder(dec_X, dec_state)


class Seq2SeqEncoder(Encoder):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0, **kwargs):
        super(Seq2SeqEncoder, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)

    def forward(self, X, *args):
        X = self.embedding(X)
        X = X.permute(1, 0, 2)
        output, state = self.rnn(X)
        return output, state


class Seq2SeqDecoder(Decoder):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0, **kwargs):
        super(Seq2SeqDecoder, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, *args):
        return enc_outputs[1]

    def forward(self, X, state):
        X = self.embedding(X).permute(1, 0, 2)
        context = state[-1].repeat(X.shape[0], 1, 1)
        X_and_context = torch.cat((X, context), 2)
        output, state = self.rnn(X_and_context, state)
        output = self.dense(output).permute(1, 0, 2)
        return output, state


def sequence_mask(X, valid_len, value=0):
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
    def forward(self, pred, label, valid_len):
        weights = torch.ones_like(label)
        weights = sequence_mask(weights, valid_len)
        self.reduction = "none"
        unweighted_loss = super(MaskedSoftmaxCELoss, self).forward(pred.permute(0, 2, 1), label)
        weighted_loss = (unweighted_loss * weights).mean(dim=1)
        return weighted_loss


def grad_clipping(net, theta):
    params = [p for p in net.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def xavier_init_weights(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)
    if type(m) == nn.GRU:
        for param in m._flat_weights_names:
            if "weight" in param:
                nn.init.xavier_uniform_(m._parameters[param])


def train_seq2seq(net, lr, num_steps_total, tgt_vocab, device):
    net.to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loss = MaskedSoftmaxCELoss()
    net.train()
    losses, first_grads = [], None
    while len(losses) < num_steps_total:
        for batch in data_iter():
            optimizer.zero_grad()
            X, X_valid_len, Y, Y_valid_len = [x.to(device) for x in batch]
            bos = torch.tensor([tgt_vocab["<bos>"]] * Y.shape[0], device=device).reshape(-1, 1)
            dec_input = torch.cat([bos, Y[:, :-1]], 1)  # teacher forcing
            Y_hat, _ = net(X, dec_input, X_valid_len)
            l = loss(Y_hat, Y, Y_valid_len)
            l.sum().backward()
            grad_clipping(net, 1)
            if first_grads is None:
                first_grads = {k: p.grad.clone() for k, p in net.named_parameters()}
            num_tokens = Y_valid_len.sum()
            optimizer.step()
            losses.append(l.sum().item() / num_tokens.item())
            if len(losses) == num_steps_total:
                break
    return losses, first_grads


def predict_seq2seq(net, src_sentence, src_vocab, tgt_vocab, num_steps, device):
    net.eval()
    src_tokens = src_vocab[src_sentence.lower().split(" ")] + [src_vocab["<eos>"]]
    enc_valid_len = torch.tensor([len(src_tokens)], device=device)
    src_tokens = truncate_pad(src_tokens, num_steps, src_vocab["<pad>"])
    enc_X = torch.unsqueeze(torch.tensor(src_tokens, dtype=torch.long, device=device), dim=0)
    enc_outputs = net.encoder(enc_X, enc_valid_len)
    dec_state = net.decoder.init_state(enc_outputs, enc_valid_len)
    dec_X = torch.unsqueeze(torch.tensor([tgt_vocab["<bos>"]], dtype=torch.long, device=device), dim=0)
    output_seq = []
    for _ in range(num_steps):
        Y, dec_state = net.decoder(dec_X, dec_state)
        dec_X = Y.argmax(dim=2)
        pred = dec_X.squeeze(dim=0).type(torch.int32).item()
        if pred == tgt_vocab["<eos>"]:
            break
        output_seq.append(pred)
    return " ".join(tgt_vocab.to_tokens(output_seq))


def bleu(pred_seq, label_seq, k):
    pred_tokens, label_tokens = pred_seq.split(" "), label_seq.split(" ")
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, k + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[" ".join(label_tokens[i:i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[" ".join(pred_tokens[i:i + n])] > 0:
                num_matches += 1
                label_subs[" ".join(pred_tokens[i:i + n])] -= 1
        if len_pred - n + 1 <= 0:
            return 0.0
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


def build():
    encoder = Seq2SeqEncoder(len(src_vocab), 8, 16, 2)
    decoder = Seq2SeqDecoder(len(tgt_vocab), 8, 16, 2)
    net = EncoderDecoder(encoder, decoder)
    net.apply(xavier_init_weights)
    return net


def train(net):
    device = try_gpu()
    losses, grads = train_seq2seq(net, 0.05, 20, tgt_vocab, device)
    report = {"losses": losses, "grads": grads}
    report["translations"] = [predict_seq2seq(net, eng, src_vocab, tgt_vocab, NUM_STEPS, device) for eng, _ in PAIRS[:6]]
    report["bleu"] = [bleu(t, fra, k=2) if t else 0.0 for t, (_, fra) in zip(report["translations"], PAIRS)]
    report["params"] = {k: v.detach().clone() for k, v in net.state_dict().items()}
    return report
