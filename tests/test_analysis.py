"""Graph analysis on graphs whose answers are known, and the tiled (memory-linear) attention."""
import tracemalloc

import numpy as np
import pytest

import minigrad as mg
from minigrad.analysis import analyze
from minigrad.testing import assert_close, gradcheck

F = mg.nn.functional


def test_chain_has_n_ops_and_a_critical_path_of_n():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(25):
        y = y * 2.0
    r = analyze(y)
    assert r.ops == 25 and r.critical_path == 25 and r.ops_by_type == {"Mul": 25}


def test_parallel_branches_have_a_short_critical_path():
    a, b, c, d = (mg.ones(3, requires_grad=True) for _ in range(4))
    r = analyze((a + b) * (c + d))
    assert r.ops == 3 and r.critical_path == 2
    assert r.flops == 9  # three elementwise ops on 3 elements


@pytest.mark.parametrize("sa, sb, expected", [((4, 5), (5, 6), 2 * 4 * 5 * 6), ((3, 4, 5), (5, 2), 2 * 3 * 4 * 5 * 2),
                                              ((2, 1, 4, 5), (3, 5, 6), 2 * 6 * 4 * 5 * 6), ((5,), (5, 3), 2 * 5 * 3)])
def test_matmul_flops(sa, sb, expected):
    assert analyze(mg.randn(*sa, requires_grad=True) @ mg.randn(*sb)).flops == expected


def test_saved_bytes_count_each_array_once():
    x = mg.randn(100, requires_grad=True)  # float32: 400 bytes
    assert analyze(x.tanh()).saved_bytes == 400  # tanh keeps its output
    assert analyze(x * x).saved_bytes == 400  # mul keeps both inputs: the same array
    assert analyze(x + x).saved_bytes == 0  # add keeps nothing


def test_recurrent_critical_path_grows_with_t_and_attention_does_not():
    paths = {}
    for T in (8, 32):
        rnn = mg.nn.RNN(4, 4)
        out, _ = rnn(mg.randn(T, 2, 4))
        paths[("rnn", T)] = analyze(out).critical_path
        q = mg.randn(2, T, 4, requires_grad=True)
        paths[("attn", T)] = analyze(F.scaled_dot_product_attention(q, q, q)).critical_path
    assert paths[("rnn", 32)] - paths[("rnn", 8)] == 24  # one step per time step
    assert paths[("attn", 32)] == paths[("attn", 8)]


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def threads(request):
    mg.backend.set_num_threads(request.param)
    yield request.param
    mg.backend.set_num_threads(None)


def _attention_and_grads(impl, arrays, g, **kwargs):
    q, k, v = (mg.tensor(a, requires_grad=True) for a in arrays)
    out = F.scaled_dot_product_attention(q, k, v, impl=impl, **kwargs)
    (out * mg.tensor(g)).sum().backward()
    return [out.detach().cpu().numpy(), q.grad.cpu().numpy(), k.grad.cpu().numpy(), v.grad.cpu().numpy()]


TILED_CASES = {  # query, key, value shapes and the block size
    "T not a multiple of the block": ((2, 3, 37, 8), (2, 3, 37, 8), (2, 3, 37, 5), 10),
    "more keys than queries": ((2, 2, 13, 4), (2, 2, 29, 4), (2, 2, 29, 3), 8),
    "fewer keys than queries": ((2, 2, 29, 4), (2, 2, 13, 4), (2, 2, 13, 3), 8),
    "keys and values broadcast over batch and heads": ((2, 3, 21, 4), (2, 1, 21, 4), (1, 1, 21, 6), 8),
    "no batch dimension": ((19, 4), (23, 4), (23, 2), 5),
    "one block": ((3, 6, 4), (3, 6, 4), (3, 6, 4), 128),
}


@pytest.mark.parametrize("scratch", ["all slices at once", "one slice at a time"])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("case", sorted(TILED_CASES))
def test_tiled_attention_equals_the_plain_one_to_round_off(case, causal, scratch, threads, monkeypatch):
    if scratch == "one slice at a time":  # each thread then loops over several groups of slices
        monkeypatch.setattr(F.TiledAttention, "_SCRATCH_BYTES", 1)
    *shapes, block = TILED_CASES[case]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    batch = np.broadcast_shapes(*(s[:-2] for s in shapes))
    g = rng.standard_normal(batch + (shapes[0][-2], shapes[2][-1]))
    hand = _attention_and_grads("hand", arrays, g, is_causal=causal)
    tiled = _attention_and_grads("tiled", arrays, g, is_causal=causal, block_size=block)
    for a, b in zip(hand, tiled):
        assert a.shape == b.shape
        assert_close(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("causal", [False, True])
def test_tiled_attention_moves_its_shift_when_later_keys_score_far_higher(causal, threads):
    # Scores grow along the keys by ~50 per block of 4 for the queries that point along u (and fall for the
    # others): in float32, 2**(score - shift) overflows unless forward raises its shift on the way.
    rng = np.random.default_rng(2)
    u = rng.standard_normal(8)
    q = rng.standard_normal((2, 2, 12, 8)) + 2 * u * rng.choice([-1, 1], (2, 2, 12, 1))
    k = np.linspace(0, 12, 24)[:, None] * u + 0.1 * rng.standard_normal((2, 2, 24, 8))
    v = rng.standard_normal((2, 2, 24, 3))
    g = rng.standard_normal((2, 2, 12, 3))
    hand = _attention_and_grads("hand", [q, k, v], g, is_causal=causal)
    tiled = _attention_and_grads("tiled", [a.astype(np.float32) for a in (q, k, v)], g.astype(np.float32),
                                 is_causal=causal, block_size=4)
    for a, b in zip(hand, tiled):
        assert np.isfinite(b).all()
        assert_close(b, a.astype(np.float32), rtol=2e-3, atol=2e-3 * np.abs(a).max())


@pytest.mark.parametrize("causal", [False, True])
def test_tiled_attention_without_keys_gives_zeros_like_pytorch(causal):
    q = mg.randn(2, 3, 4, requires_grad=True)
    k, v = mg.randn(2, 0, 4, requires_grad=True), mg.randn(2, 0, 5, requires_grad=True)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=causal, impl="tiled")
    out.sum().backward()
    assert out.shape == (2, 3, 5) and not out.detach().cpu().numpy().any()
    assert q.grad.shape == (2, 3, 4) and not q.grad.cpu().numpy().any()
    assert k.grad.shape == (2, 0, 4) and v.grad.shape == (2, 0, 5)


def test_tiled_attention_threads_agree_with_one_thread_in_float32():
    x = np.random.default_rng(4).standard_normal((2, 4, 300, 16), dtype=np.float32)
    g = np.random.default_rng(5).standard_normal((2, 4, 300, 16), dtype=np.float32)
    results = {}
    for n in (1, 2):
        mg.backend.set_num_threads(n)
        try:
            results[n] = _attention_and_grads("tiled", [x, x, x], g, block_size=64)
        finally:
            mg.backend.set_num_threads(None)
    for a, b in zip(results[1], results[2]):
        assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_tiled_attention_against_finite_differences():
    rng = np.random.default_rng(1)
    q, k, v = (mg.tensor(rng.standard_normal(s), dtype=mg.float64, requires_grad=True) for s in ((5, 3), (7, 3), (7, 2)))
    gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, impl="tiled", block_size=3), [q, k, v])
    gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, impl="tiled", block_size=2, is_causal=True), [q, k, v])


def test_tiled_attention_with_batch_broadcast_and_threads_against_finite_differences(threads):
    rng = np.random.default_rng(3)
    q, k, v = (mg.tensor(rng.standard_normal(s), dtype=mg.float64, requires_grad=True)
               for s in ((2, 2, 5, 3), (1, 2, 7, 3), (2, 1, 7, 2)))
    gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, impl="tiled", block_size=3, is_causal=True), [q, k, v])


def test_tiled_attention_memory_grows_linearly():
    def peak(T, impl):
        x = mg.randn(2, T, 32, requires_grad=True)
        mg.backend.set_num_threads(1)  # with threads, whether their scratch arrays overlap in time is chance
        mg.backend._spare.clear()  # arrays kept for reuse by earlier tests would not be counted
        tracemalloc.start()
        try:
            F.scaled_dot_product_attention(x, x, x, impl=impl).sum().backward()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            mg.backend.set_num_threads(None)

    assert peak(1024, "tiled") / peak(512, "tiled") < 2.6  # linear: about 2
    assert peak(1024, "hand") / peak(512, "hand") > 3.0  # quadratic: about 4


def test_tiled_attention_refuses_what_it_cannot_do():
    x = mg.ones(2, 4, 3)
    with pytest.raises(ValueError, match="impl='tiled' supports is_causal but not attn_mask"):
        F.scaled_dot_product_attention(x, x, x, attn_mask=mg.ones(4, 4) > 0, impl="tiled")
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match=f"scaled_dot_product_attention: block_size must be a positive integer, got {bad!r}"):
            F.scaled_dot_product_attention(x, x, x, impl="tiled", block_size=bad)


def test_tiled_attention_counts_the_same_flops_as_the_plain_one():
    x = mg.randn(2, 16, 8, requires_grad=True)
    plain = analyze(F.scaled_dot_product_attention(x, x, x)).flops
    assert analyze(F.scaled_dot_product_attention(x, x, x, impl="tiled")).flops == plain


def test_fused_feed_forward_counts_the_flops_of_its_three_ops():
    mg.manual_seed(0)
    counts = []
    for activation in ("relu", lambda t: mg.nn.functional.relu(t)):  # fused (one op) and composed (three)
        layer = mg.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, activation=activation)
        r = analyze(layer._ff_block(mg.randn(2, 3, 8, requires_grad=True)))
        counts.append((r.ops, r.flops))
    assert counts[0][0] == 1 and counts[1][0] == 3
    assert counts[0][1] == counts[1][1] == 2 * 6 * (8 * 16 + 16 * 8) + 6 * (16 + 16 + 8)
