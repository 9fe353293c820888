"""Attention and the Transformer: against PyTorch (float64, identical weights, eval mode), the
hand-derived backward against autograd and finite differences, masks, training, bad input."""
import itertools

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn.functional import ScaledDotProductAttention, scaled_dot_product_attention
from minigrad.testing import assert_close, gradcheck

RNG = np.random.default_rng(0)
Q, K, V = RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal((2, 3, 6, 5)), RNG.standard_normal((2, 3, 6, 7))
ALL_MASKED_ROW = np.ones((4, 6), dtype=bool)
ALL_MASKED_ROW[2] = False
MASKS = {
    "none": None,
    "bool_2d": RNG.random((4, 6)) > 0.3,
    "bool_per_batch": RNG.random((2, 1, 4, 6)) > 0.3,
    "float_per_head": RNG.standard_normal((3, 4, 6)),
    "float_neg_inf": np.where(RNG.random((4, 6)) > 0.3, 0.0, -np.inf),
    "all_masked_row": ALL_MASKED_ROW,
}


def _sdpa_pair(mask_name, impl, is_causal=False, scale=None):
    torch = pytest.importorskip("torch")
    mask = MASKS[mask_name]
    mq, mk, mv = (mg.tensor(a, requires_grad=True) for a in (Q, K, V))
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (Q, K, V))
    mo = scaled_dot_product_attention(mq, mk, mv, attn_mask=None if mask is None else mg.tensor(mask), is_causal=is_causal, scale=scale, impl=impl)
    to = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=None if mask is None else torch.tensor(mask), is_causal=is_causal, scale=scale)
    return (mq, mk, mv, mo), (tq, tk, tv, to)


@pytest.mark.parametrize("mask_name, impl", list(itertools.product(sorted(MASKS), ["hand", "autograd"])))
def test_sdpa_matches_pytorch_for_every_mask(mask_name, impl):
    torch = pytest.importorskip("torch")
    (mq, mk, mv, mo), (tq, tk, tv, to) = _sdpa_pair(mask_name, impl)
    assert_close(mo, to, rtol=1e-12, atol=1e-12)
    g = RNG.standard_normal(tuple(to.shape))
    (mo * mg.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    for a, b in ((mq, tq), (mk, tk), (mv, tv)):
        assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("impl", ["hand", "autograd"])
def test_sdpa_causal_and_scale_match_pytorch(impl):
    (_, _, _, mo), (_, _, _, to) = _sdpa_pair("none", impl, is_causal=True, scale=0.3)
    assert_close(mo, to, rtol=1e-12, atol=1e-12)


def test_fully_masked_rows_give_zero_output_and_gradient_like_pytorch():
    (mq, _, _, mo), _ = _sdpa_pair("all_masked_row", "hand")
    assert mo[:, :, 2].abs().max().item() == 0
    mo.sum().backward()
    assert mq.grad[:, :, 2].abs().max().item() == 0


@pytest.mark.parametrize("impl", ["hand", "autograd", "tiled"])
def test_no_keys_give_a_zero_output_and_zero_gradients_like_pytorch(impl):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 0, 4), (2, 0, 5))]
    m = [mg.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    mo = scaled_dot_product_attention(*m, impl=impl)
    to = torch.nn.functional.scaled_dot_product_attention(*t)
    assert_close(mo, to, rtol=0, atol=0)
    mo.sum().backward()
    to.sum().backward()
    for a, b in zip(m, t):
        assert a.grad.shape == tuple(b.grad.shape)
        assert_close(a.grad, b.grad, rtol=0, atol=0)


def test_returned_weights_are_the_softmax_of_the_scaled_scores():
    out, w = scaled_dot_product_attention(mg.tensor(Q), mg.tensor(K), mg.tensor(V), return_weights=True)
    s = Q @ K.swapaxes(-1, -2) / np.sqrt(5)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    assert_close(w, p, rtol=1e-12, atol=1e-14)
    assert_close(out, p @ V, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mask_name", ["none", "bool_2d", "float_per_head", "all_masked_row"])
def test_hand_backward_equals_autograd_with_dropout(mask_name):
    mask = MASKS[mask_name]
    grads = []
    for impl in ("hand", "autograd"):
        mg.manual_seed(5)  # the same dropout mask for both
        q, k, v = (mg.tensor(a, requires_grad=True) for a in (Q, K, V))
        out, w = scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else mg.tensor(mask), dropout_p=0.3, return_weights=True, impl=impl)
        (out * mg.tensor(np.cos(np.arange(out.numel())).reshape(out.shape))).sum().backward(retain_graph=True)
        (w * w).sum().backward()  # a loss on the weights themselves reaches q and k too
        grads.append([t.grad.cpu().numpy() for t in (q, k, v)] + [out.detach().cpu().numpy()])
    for a, b in zip(*grads):
        assert_close(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("mask_name", ["none", "bool_2d", "float_per_head"])
def test_hand_backward_against_finite_differences(mask_name):
    mask = MASKS[mask_name]
    mask = None if mask is None else mg.tensor(mask)._data  # the op's masks live on the data's device
    allowed = mask if mask is not None and mask.dtype == bool else None
    additive = mask if mask is not None and mask.dtype != bool else None
    q, k, v = (mg.tensor(a[:1], requires_grad=True) for a in (Q, K, V))
    gradcheck(lambda a, b, c: ScaledDotProductAttention(0.4, additive, allowed).apply(a, b, c), [q, k, v])


def test_broadcast_batch_dimensions_sum_their_gradients():
    q = mg.tensor(RNG.standard_normal((2, 3, 4, 5)), requires_grad=True)
    k = mg.tensor(RNG.standard_normal((1, 3, 6, 5)), requires_grad=True)
    v = mg.tensor(RNG.standard_normal((6, 5)), requires_grad=True)
    gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c), [q, k, v])


# ------------------------------------------------------------------ MultiheadAttention
def _mha_pair(**kw):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(8, 2, **kw).double().eval()
    m = nn.MultiheadAttention(8, 2, **kw).double().eval()
    m.load_state_dict({k: v.cpu().numpy() for k, v in t.state_dict().items()})
    return torch, t, m


KPM = np.array([[False] * 5, [False] * 3 + [True] * 2])
MHA_CASES = {
    "plain": {},
    "kpm_bool": {"key_padding_mask": KPM},
    "kpm_float": {"key_padding_mask": np.where(KPM, -np.inf, 0.0)},
    "attn_bool_2d": {"attn_mask": np.triu(np.ones((4, 5), dtype=bool), 1)},
    "attn_float_3d": {"attn_mask": RNG.standard_normal((4, 4, 5))},
    "both_masks": {"attn_mask": np.triu(np.ones((4, 5), dtype=bool), 1), "key_padding_mask": KPM},
    "per_head_weights": {"average_attn_weights": False},
    "causal_hint": {"attn_mask": np.triu(np.ones((4, 5), dtype=bool), 1), "is_causal": True},
}


@pytest.mark.parametrize("case, batch_first, self_attention", list(itertools.product(sorted(MHA_CASES), [False, True], [False, True])))
def test_multihead_attention_matches_pytorch(case, batch_first, self_attention):
    torch, t, m = _mha_pair(batch_first=batch_first)
    kw = dict(MHA_CASES[case])
    L, S = (5, 5) if self_attention else (4, 5)
    if self_attention and "attn_mask" in kw:
        a = kw["attn_mask"]
        kw["attn_mask"] = np.triu(np.ones((5, 5), dtype=bool), 1) if a.ndim == 2 else RNG.standard_normal((4, 5, 5))
    shape = lambda T: (2, T, 8) if batch_first else (T, 2, 8)  # noqa: E731
    xq, xk, xv = RNG.standard_normal(shape(L)), RNG.standard_normal(shape(S)), RNG.standard_normal(shape(S))
    targs = [torch.tensor(a, requires_grad=True) for a in (xq, xk, xv)]
    margs = [mg.tensor(a, requires_grad=True) for a in (xq, xk, xv)]
    if self_attention:
        targs, margs = [targs[1]] * 3, [margs[1]] * 3
    tkw = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    mkw = {k: (mg.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    to, tw = t(*targs, **tkw)
    mo, mw = m(*margs, **mkw)
    assert_close(mo, to, rtol=1e-11, atol=1e-12)
    assert_close(mw, tw, rtol=1e-11, atol=1e-12)
    g = RNG.standard_normal(tuple(to.shape))
    ((to * torch.tensor(g)).sum() + (tw * tw).sum()).backward()
    ((mo * mg.tensor(g)).sum() + (mw * mw).sum()).backward()
    for a, b in zip(margs[:1] if self_attention else margs, targs[:1] if self_attention else targs):
        assert_close(a.grad, b.grad, rtol=1e-9, atol=1e-12)
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tp[name].grad, rtol=1e-9, atol=1e-12, msg=name)


def test_multihead_attention_kdim_vdim_unbatched_and_no_bias():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(8, 4, kdim=3, vdim=6, bias=False).double().eval()
    m = nn.MultiheadAttention(8, 4, kdim=3, vdim=6, bias=False).double().eval()
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict({k: v.cpu().numpy() for k, v in t.state_dict().items()})
    q, k, v = RNG.standard_normal((4, 8)), RNG.standard_normal((5, 3)), RNG.standard_normal((5, 6))
    to, tw = t(torch.tensor(q), torch.tensor(k), torch.tensor(v))
    mo, mw = m(mg.tensor(q), mg.tensor(k), mg.tensor(v))
    assert mo.shape == (4, 8) and mw.shape == (4, 5)
    assert_close(mo, to, rtol=1e-11, atol=1e-12)
    assert_close(mw, tw, rtol=1e-11, atol=1e-12)


def test_multihead_attention_fully_masked_query_is_nan_like_pytorch():
    torch, t, m = _mha_pair(batch_first=True)
    x = RNG.standard_normal((2, 3, 8))
    kpm = np.zeros((2, 3), dtype=bool)
    kpm[1] = True
    to, _ = t(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm))
    mo, _ = m(*[mg.tensor(x)] * 3, key_padding_mask=mg.tensor(kpm))
    assert np.isnan(to[1].detach().cpu().numpy()).all() and np.isnan(mo[1].detach().cpu().numpy()).all()
    assert_close(mo[0], to[0], rtol=1e-11, atol=1e-12)


def test_need_weights_false_returns_none():
    m = nn.MultiheadAttention(4, 2)
    out, w = m(mg.ones(3, 1, 4), mg.ones(3, 1, 4), mg.ones(3, 1, 4), need_weights=False)
    assert w is None and out.shape == (3, 1, 4)


# ------------------------------------------------------------------ Transformer layers
@pytest.mark.parametrize("norm_first, activation, batch_first", list(itertools.product([False, True], ["relu", "gelu"], [False, True])))
def test_encoder_and_decoder_layers_match_pytorch(norm_first, activation, batch_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first)
    for cls in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        t = getattr(torch.nn, cls)(**kw).double().eval()
        m = getattr(nn, cls)(**kw).double().eval()
        assert repr(m) == repr(t)
        m.load_state_dict({k: v.cpu().numpy() for k, v in t.state_dict().items()})
        shape = (2, 5, 8) if batch_first else (5, 2, 8)
        x, mem = RNG.standard_normal(shape), RNG.standard_normal(shape)
        mask = np.triu(np.ones((5, 5), dtype=bool), 1)
        tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
        if cls == "TransformerEncoderLayer":
            to, mo = t(tx, src_mask=torch.tensor(mask)), m(mx, src_mask=mg.tensor(mask))
        else:
            to = t(tx, torch.tensor(mem), tgt_mask=torch.tensor(mask), tgt_is_causal=True)
            mo = m(mx, mg.tensor(mem), tgt_mask=mg.tensor(mask), tgt_is_causal=True)
        assert_close(mo, to, rtol=1e-10, atol=1e-12)
        to.pow(2).sum().backward()
        mo.pow(2).sum().backward()
        assert_close(mx.grad, tx.grad, rtol=1e-9, atol=1e-12)
        tp = dict(t.named_parameters())
        for name, p in m.named_parameters():
            assert_close(p.grad, tp[name].grad, rtol=1e-9, atol=1e-11, msg=name)


def test_full_transformer_with_causal_target_mask_matches_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, dropout=0.0, batch_first=True)
    t = torch.nn.Transformer(**kw).double().eval()
    m = nn.Transformer(**kw).double().eval()
    assert list(m.state_dict()) == list(t.state_dict()) and repr(m) == repr(t)
    m.load_state_dict({k: v.cpu().numpy() for k, v in t.state_dict().items()})
    src, tgt = RNG.standard_normal((2, 6, 8)), RNG.standard_normal((2, 4, 8))
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    mmask = nn.Transformer.generate_square_subsequent_mask(4, dtype=mg.float64)
    assert_close(mmask, tmask)
    ts, ms = torch.tensor(src, requires_grad=True), mg.tensor(src, requires_grad=True)
    to = t(ts, torch.tensor(tgt), tgt_mask=tmask, tgt_is_causal=True)
    mo = m(ms, mg.tensor(tgt), tgt_mask=mmask, tgt_is_causal=True)
    assert_close(mo, to, rtol=1e-10, atol=1e-12)
    to.sum().backward()
    mo.sum().backward()
    assert_close(ms.grad, ts.grad, rtol=1e-9, atol=1e-12)


def test_encoder_decoder_training_step_decreases_loss_on_a_copy_task():
    mg.manual_seed(0)
    vocab, d = 7, 16

    class Copier(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, d)
            self.pos = nn.PositionalEncoding(d, dropout=0.0, batch_first=True)
            self.tf = nn.Transformer(d_model=d, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32, dropout=0.0, batch_first=True)
            self.out = nn.Linear(d, vocab)

        def forward(self, src, tgt_in):
            mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1])
            h = self.tf(self.pos(self.emb(src)), self.pos(self.emb(tgt_in)), tgt_mask=mask)
            return self.out(h)

    model = Copier()
    opt = mg.optim.Adam(model.parameters(), lr=3e-3)
    src = mg.randint(1, vocab, (16, 6))
    tgt_in = mg.cat([mg.zeros(16, 1, dtype=mg.int64), src[:, :-1]], dim=1)  # start token 0, then the sequence shifted
    losses = []
    for _ in range(30):
        opt.zero_grad()
        logits = model(src, tgt_in)
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), src.reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_positional_encoding_values():
    pe = nn.PositionalEncoding(6, dropout=0.0, max_len=10)
    p = pe.pe.cpu().numpy()
    pos, i = 3, 1
    assert p[pos, 2 * i] == pytest.approx(np.sin(pos / 10000 ** (2 * i / 6)), rel=1e-6)
    assert p[pos, 2 * i + 1] == pytest.approx(np.cos(pos / 10000 ** (2 * i / 6)), rel=1e-6)
    x = mg.zeros(4, 2, 6)
    assert_close(pe(x)[:, 0], p[:4])
    assert_close(nn.PositionalEncoding(6, dropout=0.0, max_len=10, batch_first=True)(mg.zeros(2, 4, 6))[1], p[:4])
    assert list(pe.state_dict()) == ["pe"]
    with pytest.raises(mg.ShapeError, match="sequence length 11 exceeds max_len=10"):
        pe(mg.zeros(11, 1, 6))


def test_attention_bad_input():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(3\)"):
        nn.MultiheadAttention(10, 3)
    m = nn.MultiheadAttention(8, 2)
    x = mg.ones(5, 2, 8)
    with pytest.raises(mg.ShapeError, match=r"expected key with last dimension 8, got shape \(5, 2, 7\)"):
        m(x, mg.ones(5, 2, 7), x)
    with pytest.raises(mg.ShapeError, match=r"attn_mask of shape \(4, 4\) does not fit; expected \(5, 5\) or \(4, 5, 5\)"):
        m(x, x, x, attn_mask=mg.ones(4, 4) > 0)
    with pytest.raises(mg.ShapeError, match=r"key_padding_mask of shape \(2, 4\) does not fit; expected \(2, 5\)"):
        m(x, x, x, key_padding_mask=mg.ones(2, 4) > 0)
    with pytest.raises(TypeError, match="attn_mask must be bool .* got torch.int64"):
        m(x, x, x, attn_mask=mg.zeros(5, 5, dtype=mg.int64))
    with pytest.raises(RuntimeError, match="need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    q = mg.ones(2, 4, 5)
    with pytest.raises(mg.ShapeError, match=r"query and key must have the same feature size, got query torch\.Size\(\[2, 4, 5\]\) and key torch\.Size\(\[2, 6, 3\]\)"):
        scaled_dot_product_attention(q, mg.ones(2, 6, 3), mg.ones(2, 6, 3))
    with pytest.raises(mg.ShapeError, match=r"attn_mask of shape \(3, 6\) does not broadcast to the attention weights' shape \(2, 4, 6\)"):
        scaled_dot_product_attention(q, mg.ones(2, 6, 5), mg.ones(2, 6, 5), attn_mask=mg.ones(3, 6) > 0)
    with pytest.raises(TypeError, match="attn_mask must be bool .* got torch.int64"):
        scaled_dot_product_attention(q, q, q, attn_mask=mg.zeros(4, 4, dtype=mg.int64))
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        scaled_dot_product_attention(q, q, q, attn_mask=mg.ones(4, 4) > 0, is_causal=True)


@pytest.mark.parametrize("bias", [True, False])
def test_relu_feed_forward_op_matches_finite_differences(bias):
    rng = np.random.default_rng(4)
    x = mg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w1, w2 = (mg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((6, 4), (5, 6)))
    b1, b2 = (mg.tensor(rng.standard_normal(n), requires_grad=True) for n in (6, 5))
    params = [w1, b1, w2, b2] if bias else [w1, w2]
    gradcheck(lambda *ts: nn.functional.ReluFeedForward(bias).apply(*ts), [x, *params])


@pytest.mark.parametrize("cls", ["TransformerEncoderLayer", "TransformerDecoderLayer"])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_feed_forward_gives_the_composed_layers_numbers_to_the_bit(cls, bias):
    """With ReLU and no dropout acting, the feed-forward block is one op (ReluFeedForward); a layer whose
    activation is a wrapper of relu takes the composed path (Linear, relu, Linear). Both must agree exactly,
    NaN inputs included."""
    mg.manual_seed(0)
    fused = getattr(nn, cls)(8, 2, dim_feedforward=16, dropout=0.0, bias=bias, batch_first=True).double()
    composed = getattr(nn, cls)(8, 2, dim_feedforward=16, dropout=0.0, bias=bias, batch_first=True,
                                activation=lambda t: nn.functional.relu(t)).double()
    composed.load_state_dict(fused.state_dict())
    x = RNG.standard_normal((2, 5, 8))
    x[1, 2, 3] = np.nan
    outs = []
    for layer in (fused, composed):
        xt = mg.tensor(x, requires_grad=True)
        y = layer._ff_block(xt)  # the block alone: through attention the NaN would reach every position
        assert (y.grad_fn.op_name == "ReluFeedForward") == (layer is fused)
        y.backward(mg.ones_like(y) * 0.5)  # a finite upstream gradient, also at the NaN's position
        outs.append([y, xt.grad] + [p.grad for p in layer.parameters() if p.grad is not None])
    for a, b in zip(*outs):
        assert_close(a, b, rtol=0, atol=0, equal_nan=True)


def test_feed_forward_keeps_dropout_in_training():
    mg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5, batch_first=True)
    assert layer._ff_block(mg.ones(2, 3, 8)).grad_fn.op_name != "ReluFeedForward"  # the dropout between acts
    layer.eval()
    assert layer._ff_block(mg.ones(2, 3, 8)).grad_fn.op_name == "ReluFeedForward"


# ------------------------------------------------------------------ fully padded sequences (issue 26, item 3)
# PyTorch 2.13 in training mode (the path that autograd takes): MultiheadAttention with need_weights=False
# runs scaled_dot_product_attention, where a query with no key left attends to nothing (zeros, then
# out_proj's bias); every Transformer layer uses that setting, so a fully padded sequence gives finite
# outputs and finite gradients for every weight.
PADDED = np.array([[False, False, True], [True, True, True]])


def _randomized_biases(torch, t):
    with torch.no_grad():
        for name, p in t.named_parameters():
            if "bias" in name:
                p.normal_()


def _check_pair(torch, t, m, run_t, run_m, finite=True):
    """Same output and the same gradients (input and every parameter) in minigrad and PyTorch."""
    to, mo = run_t(), run_m()
    if finite:
        assert np.isfinite(mo.detach().cpu().numpy()).all()
    assert_close(mo, to, rtol=1e-10, atol=1e-12, equal_nan=True)
    g = RNG.standard_normal(tuple(to.shape))
    (to * torch.tensor(g)).sum().backward()
    (mo * mg.tensor(g)).sum().backward()
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():
        if finite:
            assert np.isfinite(p.grad.cpu().numpy()).all(), name
        assert_close(p.grad, tp[name].grad, rtol=1e-9, atol=1e-11, equal_nan=True, msg=name)


@pytest.mark.parametrize("batch_first, float_mask", list(itertools.product([False, True], [False, True])))
def test_multihead_attention_fully_padded_sequence_without_weights_is_finite_like_pytorch(batch_first, float_mask):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    t = torch.nn.MultiheadAttention(4, 2, batch_first=batch_first).double()
    _randomized_biases(torch, t)
    m = nn.MultiheadAttention(4, 2, batch_first=batch_first).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = RNG.standard_normal((2, 3, 4) if batch_first else (3, 2, 4))
    kpm = np.where(PADDED, -np.inf, 0.0) if float_mask else PADDED
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    _check_pair(torch, t, m, lambda: t(tx, tx, tx, key_padding_mask=torch.tensor(kpm), need_weights=False)[0],
                lambda: m(mx, mx, mx, key_padding_mask=mg.tensor(kpm), need_weights=False)[0])
    assert_close(mx.grad, tx.grad, rtol=1e-9, atol=1e-12)
    padded = (slice(None), 1) if not batch_first else (1,)
    assert_close(m(mx, mx, mx, key_padding_mask=mg.tensor(kpm), need_weights=False)[0][padded],
                 m.out_proj.bias.expand(3, 4))  # attends to nothing: only the output bias is left


def test_multihead_attention_fully_masked_query_with_weights_is_nan_everywhere_like_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    t = torch.nn.MultiheadAttention(4, 2, batch_first=True).double()
    m = nn.MultiheadAttention(4, 2, batch_first=True).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = RNG.standard_normal((2, 3, 4))
    tx, mx = torch.tensor(x), mg.tensor(x)
    to, tw = t(tx, tx, tx, key_padding_mask=torch.tensor(PADDED))
    mo, mw = m(mx, mx, mx, key_padding_mask=mg.tensor(PADDED))
    assert np.isnan(mw[1].detach().cpu().numpy()).all() and np.isnan(tw[1].detach().cpu().numpy()).all()
    assert_close(mo, to, rtol=1e-10, atol=1e-12, equal_nan=True)
    (mo.sum() + mw[0].sum()).backward()
    (to.sum() + tw[0].sum()).backward()
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():  # NaN reaches every weight, in both
        assert_close(p.grad, tp[name].grad, rtol=1e-9, atol=1e-11, equal_nan=True, msg=name)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_and_stack_with_a_fully_padded_sequence_match_pytorch(norm_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    kw = dict(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0, batch_first=True, norm_first=norm_first)
    x = RNG.standard_normal((2, 3, 4))
    for make in (lambda L: L.TransformerEncoderLayer(**kw),
                 lambda L: L.TransformerEncoder(L.TransformerEncoderLayer(**kw), 2, enable_nested_tensor=False)):
        t, m = make(torch.nn).double(), make(nn).double()
        _randomized_biases(torch, t)
        m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
        tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
        _check_pair(torch, t, m, lambda: t(tx, src_key_padding_mask=torch.tensor(PADDED)),
                    lambda: m(mx, src_key_padding_mask=mg.tensor(PADDED)))
        assert_close(mx.grad, tx.grad, rtol=1e-9, atol=1e-12)


def test_decoder_layer_and_transformer_with_fully_padded_memory_and_target_match_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(4)
    kw = dict(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0, batch_first=True)
    src, tgt = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 4))
    t, m = torch.nn.TransformerDecoderLayer(**kw).double(), nn.TransformerDecoderLayer(**kw).double()
    _randomized_biases(torch, t)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    tp, mp = torch.tensor(PADDED), mg.tensor(PADDED)
    _check_pair(torch, t, m, lambda: t(torch.tensor(tgt), torch.tensor(src), tgt_key_padding_mask=tp, memory_key_padding_mask=tp),
                lambda: m(mg.tensor(tgt), mg.tensor(src), tgt_key_padding_mask=mp, memory_key_padding_mask=mp))
    t = torch.nn.Transformer(num_encoder_layers=1, num_decoder_layers=1, **kw).double()
    m = nn.Transformer(num_encoder_layers=1, num_decoder_layers=1, **kw).double()
    _randomized_biases(torch, t)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    for masks in ({"memory_key_padding_mask"}, {"src_key_padding_mask", "memory_key_padding_mask"}, {"src_key_padding_mask"}):
        t.zero_grad(), m.zero_grad()
        _check_pair(torch, t, m, lambda: t(torch.tensor(src), torch.tensor(tgt), **{k: tp for k in masks}),
                    lambda: m(mg.tensor(src), mg.tensor(tgt), **{k: mp for k in masks}))


@pytest.mark.parametrize("impl", ["hand", "autograd"])
def test_sdpa_fully_masked_float_mask_row_is_zero_and_passes_gradcheck(impl):
    torch = pytest.importorskip("torch")
    mask = np.array([[-np.inf, -np.inf, -np.inf], [0.5, -np.inf, 0.0]])
    q, k, v = RNG.standard_normal((2, 2, 4)), RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 2))
    mt = [mg.tensor(a, requires_grad=True) for a in (q, k, v)]
    tt = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    mo = scaled_dot_product_attention(*mt, attn_mask=mg.tensor(mask), impl=impl)
    to = torch.nn.functional.scaled_dot_product_attention(*tt, attn_mask=torch.tensor(mask))
    assert_close(mo, to, rtol=1e-12, atol=1e-12)
    assert mo[:, 0].abs().max().item() == 0
    mo.pow(2).sum().backward()
    to.pow(2).sum().backward()
    for a, b in zip(mt, tt):
        assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, attn_mask=mg.tensor(mask), impl=impl),
                     [mg.tensor(a, requires_grad=True) for a in (q, k, v)])
