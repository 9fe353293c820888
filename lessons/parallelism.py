# %% [markdown]
# # The documents' thesis, measured: does attention parallelise where recurrence cannot?
#
# Both documents claim that Transformers win because attention computes every position at once while an
# RNN must step through time (001 §1.1, §5.3; 000 §1.3, §3.3). Vaswani et al. (2017), Table 1, puts it in
# numbers, for sequence length $n$ and width $d$:
#
# | layer | operations per layer | sequential operations | maximum path length |
# |---|---|---|---|
# | self-attention | $O(n^2 d)$ | $O(1)$ | $O(1)$ |
# | recurrent | $O(n d^2)$ | $O(n)$ | $O(n)$ |
#
# This lesson measures, for forward + backward at growing $T$: the floating-point operations and the
# critical path (the longest chain of dependent ops: `minigrad.analysis`) of the recorded graph, the peak
# memory and the wall time, fits the growth exponent of each ($y \propto T^k$ on a log-log plot), and
# compares with the table.
#
# **Counts and times.** FLOPs and critical paths are *counted* on the graph: they are the same at every run,
# and the verdicts rest on them where they can. The recurrent layers are run once more with
# `bptt="autograd"`, so every step's ops are recorded one by one; attention is counted the same way, op by op
# ($QK^\top$, scale, mask, the softmax's max, subtract, exp, sum and divide, $\cdot V$), and the fused
# attention op (one op) is shown beside it. Times depend on the machine and on what else runs on it: each
# time is the median of interleaved repeats (every workload once per round, so all see the same load),
# after a warm-up, with the BLAS and OpenMP thread pools pinned (one thread, then all cores), and the
# machine's load average is recorded with every time. A comparison of times is **not decided** when the
# spread between repeats, or the load, is larger than the effect; the row says so. (`--quick` runs 3 repeats,
# too few to judge the noise: its time comparisons are all "not decided".)
#
# **What goes against the documents.** A short critical path only pays on hardware with enough parallel
# units for attention's $T^2 d$ work; on a CPU with a few cores, attention's extra work shows: the lesson
# finds the length from which attention is slower than the RNN, and explains it in FLOPs ($T^2 d$ against
# $T d^2$) and in critical path (what a device with enough parallel units could gain).
#
# **Generation is sequential for both.** Training and encoding a *known* sequence need no step-by-step
# order in attention; generating $N$ tokens does: each token is the next step's input. The lesson generates
# $N$ tokens with a Transformer decoder layer with a key/value cache and with an RNN, and counts the
# sequential steps and times both against $N$. It also measures the parallelism both models have, across
# the sequences of a batch (001 §5.3).

# %%
from __future__ import annotations

import contextlib
import gc
import math
import os
import statistics
import time
import tracemalloc
from typing import Any, Iterator

import numpy as np

import minigrad as mg
from lessons import figures, terminal
from lessons.common import claim
from lessons.i18n import domain
from minigrad import backend, nn
from minigrad.analysis import analyze

SUMMARY = "RNN vs attention over sequence length: time, memory, FLOPs and critical path, fitted and plotted"
SOURCE = "000 §1.2-§3.3, §8.1, §9; 001 §1.4.1, §2.2, §5.3, §9.2; Vaswani et al. (2017) Table 1"
B, D = 4, 64
HEADS = 8
MIN_REPEATS = 5  # a spread from fewer repeats says too little about the noise: a burst of load misses 3 repeats often
MIN_EFFECT = 1.25  # a time ratio within 1.25x of 1 is never called a difference: CPU timings drift that much between runs
RNN, MHA, ATT, BY_HAND = "tanh RNN", "multi-head attention (8 heads)", "attention (1 head)", "attention (1 head, op by op)"
_ = domain("lessons")


def attention_by_hand(q: mg.Tensor, k: mg.Tensor, v: mg.Tensor, causal: bool = True) -> mg.Tensor:
    r"""Causal attention $\mathrm{softmax}(QK^\top/\sqrt d + M)\,V$ with one op per step, as the RNN is recorded:
    $S = QK^\top$, $S/\sqrt d$, mask, $m = \max_j S$, $S - m$, $\exp$, $z = \sum_j$, $P = e/z$, $PV$."""
    s = q @ k.transpose(-2, -1)
    s = s * (1.0 / math.sqrt(q.shape[-1]))
    if causal:
        T, S = q.shape[-2], k.shape[-2]
        future = mg.tensor(np.triu(np.ones((T, S), dtype=bool), 1), device=q.device)
        s = s.masked_fill(future, float("-inf"))
    e = (s - s.amax(-1, keepdim=True)).exp()
    return (e / e.sum(-1, keepdim=True)) @ v


def _models(device: str) -> dict:
    """Each workload: (a function of x (B, T, D) returning a scalar to backpropagate, the same function
    recorded op by op for the critical path)."""
    mg.manual_seed(0)
    rnn, lstm = nn.RNN(D, D).to(device), nn.LSTM(D, D).to(device)
    rnn_ops, lstm_ops = nn.RNN(D, D, bptt="autograd").to(device), nn.LSTM(D, D, bptt="autograd").to(device)
    rnn_ops.load_state_dict(rnn.state_dict())
    lstm_ops.load_state_dict(lstm.state_dict())
    mha = nn.MultiheadAttention(D, HEADS, batch_first=True).to(device)
    enc = nn.TransformerEncoderLayer(D, HEADS, dim_feedforward=4 * D, dropout=0.0, batch_first=True).to(device)
    sdpa = nn.functional.scaled_dot_product_attention
    recurrent = lambda layer: lambda x: layer(x.transpose(0, 1))[0].sum()  # noqa: E731
    fused = lambda x: sdpa(x, x, x, is_causal=True).sum()  # noqa: E731
    by_hand = lambda x: attention_by_hand(x, x, x).sum()  # noqa: E731
    tiled = lambda x: sdpa(x, x, x, is_causal=True, impl="tiled").sum()  # noqa: E731
    multihead = lambda x: mha(x, x, x, need_weights=False)[0].sum()  # noqa: E731
    encoder = lambda x: enc(x).sum()  # noqa: E731
    return {
        RNN: (recurrent(rnn), recurrent(rnn_ops)),
        "LSTM": (recurrent(lstm), recurrent(lstm_ops)),
        ATT: (fused, fused),
        BY_HAND: (by_hand, by_hand),
        "attention (1 head, tiled)": (tiled, tiled),
        MHA: (multihead, multihead),
        "encoder layer": (encoder, encoder),
    }


# %% [markdown]
# ## Timings that hold
#
# `interleaved` runs every workload once per round, `repeats` rounds, after one warm-up call each: a burst
# of load from another program then hits all workloads of that round, and the ratio of two workloads'
# times *in the same round* is much steadier than either time. `timing_verdict` decides a ratio only when
# the effect is larger than the noise.

# %%
def all_cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def load_average() -> float | None:
    """The 1-minute load average (runnable processes), where the system reports it."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


@contextlib.contextmanager
def pinned(threads: int | None) -> Iterator[None]:
    """BLAS and OpenMP thread pools (threadpoolctl) and minigrad's own threads held to ``threads``;
    None leaves them as they are (a GPU: its parallelism is the device's)."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    before = backend.get_num_threads()
    backend.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        backend.set_num_threads(before)


def interleaved(fns: dict, repeats: int, device: str = "cpu") -> dict:
    """Seconds of each call of ``fns`` (name -> function of no argument), ``repeats`` rounds of one call each,
    the order reversed every other round, after one warm-up call each; the garbage collector is off while
    timing (as ``timeit`` does)."""
    dev = backend.as_device(device)
    for fn in fns.values():
        fn()
    backend.synchronize(dev)
    times: dict = {name: [] for name in fns}
    names = list(fns)
    gc.collect()
    gc.disable()
    try:
        for r in range(repeats):
            for name in (names if r % 2 == 0 else names[::-1]):
                t0 = time.perf_counter()
                fns[name]()
                backend.synchronize(dev)
                times[name].append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return times


def timing_verdict(model: list, baseline: list, load: float | None, cpus: int) -> tuple:
    """Is a model faster or slower than a baseline, from their seconds in the same interleaved rounds?

    Returns ``(decision, median ratio, why)`` with ``decision`` one of ``"faster"``, ``"slower"``, ``"not decided"``.
    The effect is ``|ln r|`` for ``r`` the median over rounds of model / baseline; it must exceed the spread
    between the repeats (``ln max/min`` of the ratios and of each one's times), the load (``ln`` of the load
    average per CPU, when more programs want to run than there are CPUs) and ``ln MIN_EFFECT``; with fewer
    than ``MIN_REPEATS`` rounds the spread is no measure of the noise and nothing is decided.
    """
    ratios = [a / b for a, b in zip(model, baseline)]
    median = statistics.median(ratios)
    if len(ratios) < MIN_REPEATS:
        return "not decided", median, _("{n} repeats, fewer than {least}: too few to judge the noise").format(
            n=len(ratios), least=MIN_REPEATS)
    effect = abs(math.log(median))
    spread = max(math.log(max(xs) / min(xs)) for xs in (ratios, model, baseline))
    busy = load / cpus if load is not None else 0.0
    noise = max(spread, math.log(max(busy, 1.0)), math.log(MIN_EFFECT))
    if effect > noise:
        return ("faster" if median < 1 else "slower"), median, ""
    if spread >= max(math.log(max(busy, 1.0)), math.log(MIN_EFFECT)):
        why = _("the repeats spread by a factor {spread:.2f}, more than the effect").format(spread=math.exp(spread))
    elif busy > 1.0 and math.log(busy) >= math.log(MIN_EFFECT):
        why = _("load {load:.1f} on {cpus} CPUs is larger than the effect").format(load=load, cpus=cpus)
    else:
        why = _("within {floor:.2f}x of 1").format(floor=MIN_EFFECT)
    return "not decided", median, why


def thread_settings(device: str) -> list:
    """One thread and all cores on a CPU (both when they differ); the device's own parallelism on a GPU."""
    return sorted({1, all_cores()}) if device == "cpu" else [None]


# %%
def measure(lengths: list, device: str = "cpu", repeats: int = 7, show=print) -> dict:
    """For every workload and T: FLOPs, ops and critical path counted on the recorded graph, peak memory (CPU),
    and for each thread setting the seconds of every forward + backward round and the load average."""
    models = _models(device)
    results: dict = {name: [] for name in models}
    rng = np.random.default_rng(0)
    for T in lengths:
        x = mg.tensor(rng.standard_normal((B, T, D)), dtype=mg.float32, device=device, requires_grad=True)
        for name, (fn, recorded) in models.items():
            graph = analyze(recorded(x))  # op by op: the critical path is found, not declared
            report = analyze(fn(x))
            memory = None
            if device == "cpu":  # tracemalloc sees NumPy's allocations
                tracemalloc.start()
                fn(x).backward()
                memory = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            results[name].append({"T": T, "flops": report.flops, "critical_path": graph.critical_path, "ops": graph.ops,
                                  "fused_critical_path": report.critical_path, "memory": memory, "times": {}, "load": {}})
        for threads in thread_settings(device):
            with pinned(threads):
                times = interleaved({name: (lambda fn=fn: fn(x).backward()) for name, (fn, _r) in models.items()}, repeats, device)
            load = load_average()
            for name in models:
                results[name][-1]["times"][threads] = times[name]
                results[name][-1]["load"][threads] = load
        for name, rows in results.items():
            r = rows[-1]
            show(f"  {terminal.ljust(_(name), 32)} T={T:5d}  " + "  ".join(
                f"{_threads_label(th)} {statistics.median(ts) * 1e3:8.2f} ms" for th, ts in r["times"].items())
                 + (f"  {r['memory'] / 2**20:7.1f} MiB" if r["memory"] is not None else "")
                 + f"  {r['flops'] / 1e6:9.1f} MFLOP  "
                 + _("{ops:6d} ops, critical path {cp:6d} ops").format(ops=r["ops"], cp=r["critical_path"]))
    return results


def _threads_label(threads: int | None) -> str:
    return _("device") if threads is None else _("{n} thread(s)").format(n=threads)


def median_time(row: dict, threads: int | None) -> float:
    return statistics.median(row["times"][threads])


def ratios(results: dict, model: str, T: int, threads: int | None, baseline: str = RNN) -> list:
    """Time of ``model`` / time of ``baseline`` at ``T``, round by round."""
    return [x / y for x, y in zip(_at(results[model], T)["times"][threads], _at(results[baseline], T)["times"][threads])]


def comparison(results: dict, model: str, threads: int | None, baseline: str = RNN) -> list:
    """``(T, decision, median ratio, why)`` at every measured T (see :func:`timing_verdict`)."""
    out = []
    for m, b in zip(results[model], results[baseline]):
        decision, median, why = timing_verdict(m["times"][threads], b["times"][threads], b["load"][threads], all_cores())
        out.append((b["T"], decision, median, why))
    return out


def crossing(points: list) -> dict:
    """Where the median time ratio last crosses 1 upwards (log-log interpolation between the measured T around
    it; the smallest T when it is above 1 everywhere), and the first T from which every comparison is decided
    "slower"."""
    cross = points[0][0] if points and all(p[2] >= 1 for p in points) else None
    for (t0, _d0, r0, _w0), (t1, _d1, r1, _w1) in zip(points, points[1:]):
        if r0 < 1 <= r1:
            cross = math.exp(math.log(t0) + (math.log(t1) - math.log(t0)) * (0 - math.log(r0)) / (math.log(r1) - math.log(r0)))
    slower_from = None
    for i, p in enumerate(points):
        if all(q[1] == "slower" for q in points[i:]):
            slower_from = p[0]
            break
    return {"crossing_T": cross, "slower_from_T": slower_from}


def _crossing_text(points: list, threads: int | None) -> str:
    cross = crossing(points)
    if cross["crossing_T"] is None:
        where = _("the median ratio stays below 1")
    elif cross["crossing_T"] == points[0][0] and points[0][2] >= 1:
        where = _("the median ratio is above 1 from the smallest T measured ({T})").format(T=points[0][0])
    else:
        where = _("the median ratio crosses 1 at T = {T:.0f}").format(T=cross["crossing_T"])
    slower = (_("decided slower from T = {T} on").format(T=cross["slower_from_T"]) if cross["slower_from_T"]
              else _("decided slower at no T"))
    return _("{threads}: {where}, {slower}").format(threads=_threads_label(threads), where=where, slower=slower)


def describe(points: list) -> str:
    """The comparison in words: every T with its median ratio and decision."""
    return "; ".join(_("T = {T}: {ratio:.2f} ({decision}{why})").format(
        T=T, ratio=r, decision=_(d), why=": " + why if why else "") for T, d, r, why in points)


def exponent(rows: list, key: str, last: int = 3) -> float | None:
    """The slope k of log(y) against log(T) over the largest T: y grows like T^k."""
    pts = [(r["T"], r[key]) for r in rows if r.get(key)][-last:]
    if len(pts) < 2:
        return None
    t, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return round(float(np.polyfit(t, y, 1)[0]), 2) + 0.0  # + 0.0 turns -0.0 into 0.0


# %% [markdown]
# ## Where the O(n²·d) of attention starts to count
#
# A multi-head attention layer does two kinds of work: the four projections ($Q, K, V$ and the output,
# $8 n d^2$ FLOPs per sequence) and the scores and weighted sum ($4 n^2 d$). "$O(n^2)$" names only the
# second; the first dominates until $n \approx 2d$. Both are counted on minigrad's graphs.

# %%
def projection_split(T: int, device: str = "cpu") -> dict:
    """Forward FLOPs of a multi-head attention layer at length T: the whole layer, its four projections
    alone, and the rest (scores, softmax, weighted sum); where the two parts are equal, ``n*``, from the
    counts (projections grow like T, the rest like T^2)."""
    mg.manual_seed(0)
    mha = nn.MultiheadAttention(D, HEADS, batch_first=True).to(device)
    x = mg.randn(B, T, D, device=device)
    whole = analyze(mha(x, x, x, need_weights=False)[0]).flops
    w, b = mha.in_proj_weight, mha.in_proj_bias
    proj = analyze(nn.functional.linear(x, w, b), mha.out_proj(x)).flops
    rest = whole - proj
    return {"T": T, "whole": whole, "projections": proj, "rest": rest, "equal_at": T * proj / rest}


# %% [markdown]
# ## Generation: N tokens, one after another
#
# `CachedDecoder` is one Transformer decoder layer (one head, no cross-attention: the dependencies are what
# matters here). Run on a known sequence with a causal mask it computes every position at once (training,
# teacher forcing); generating, it takes one position per step and keeps the keys and values of the earlier
# ones (the KV cache), so each step attends to the cache instead of recomputing it. Either way a generated
# token is the input of the next step: generation is sequential for the Transformer as for the RNN. The
# generated vector is fed back as the next input (a sampled token's embedding would be; the sampling is left
# out so that the graph stays connected and its critical path can be counted).

# %%
class CachedDecoder(nn.Module):
    """One decoder layer: causal self-attention and a feed-forward block, each with a residual and a layer
    norm after it (as ``nn.TransformerDecoderLayer`` by default; the norms keep outputs fed back bounded)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.q, self.k, self.v, self.o = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.ff1, self.ff2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)

    def _block(self, x: mg.Tensor, a: mg.Tensor) -> mg.Tensor:
        h = self.norm1(x + self.o(a))
        return self.norm2(h + self.ff2(mg.relu(self.ff1(h))))

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        """Every position of a known sequence ``x`` (B, T, d) at once, each seeing itself and the earlier ones."""
        return self._block(x, nn.functional.scaled_dot_product_attention(self.q(x), self.k(x), self.v(x), is_causal=True))

    def step(self, x: mg.Tensor, cache: tuple | None) -> tuple:
        """One new position ``x`` (B, 1, d): its output and the cache of keys and values with it appended."""
        k, v = self.k(x), self.v(x)
        if cache is not None:
            k, v = mg.cat([cache[0], k], dim=1), mg.cat([cache[1], v], dim=1)
        return self._block(x, nn.functional.scaled_dot_product_attention(self.q(x), k, v)), (k, v)


def generate(model: Any, x0: mg.Tensor, n: int) -> list:
    """``n`` outputs, each fed back as the next input: ``model`` is a :class:`CachedDecoder` or an ``nn.RNNCell``."""
    outs, x, state = [], x0, None
    for _step in range(n):
        if isinstance(model, CachedDecoder):
            y, state = model.step(x.unsqueeze(1), state)
            y = y.squeeze(1)
        else:
            y = state = model(x, state)
        outs.append(y)
        x = y
    return outs


def decoding(lengths: list, device: str = "cpu", repeats: int = 7, show=print) -> dict:
    """For every N: the critical path of generating N outputs (counted on the recorded graph), the number of
    steps that wait for the previous output, and the seconds of every interleaved round (no gradients,
    all cores); beside it the critical path of the same decoder run on a known sequence of length N."""
    mg.manual_seed(0)
    dec, cell = CachedDecoder(D).to(device), nn.RNNCell(D, D).to(device)
    x0 = mg.randn(B, D, device=device) * 0.1
    rows: dict = {"Transformer decoder, KV cache": [], "tanh RNN": []}
    for n in lengths:
        known = analyze(dec(mg.randn(B, n, D, device=device))).critical_path
        counted = {name: analyze(mg.stack(generate(m, x0, n), 1).sum()) for name, m in zip(rows, (dec, cell))}
        with mg.no_grad(), pinned(thread_settings(device)[-1]):
            times = interleaved({name: (lambda m=m: generate(m, x0, n)) for name, m in zip(rows, (dec, cell))}, repeats, device)
        load = load_average()
        for name in rows:
            rows[name].append({"N": n, "T": n, "steps": n, "critical_path": counted[name].critical_path,
                               "flops": counted[name].flops, "times": times[name], "load": load, "known_sequence_critical_path": known})
        show(f"  N={n:5d}  " + "  ".join(_("{name}: {ms:8.2f} ms, critical path {cp} ops").format(
            name=_(name), ms=statistics.median(times[name]) * 1e3, cp=counted[name].critical_path) for name in rows)
             + "  " + _("(decoder on a known sequence: critical path {cp} ops)").format(cp=known))
    return rows


# %% [markdown]
# ## Parallel over the batch, parallel over time
#
# 001 §5.3 says both models are accelerated by parallel computation. Both are, over the batch: the
# sequences of a batch are independent, so the critical path does not grow with the batch size. Only
# attention is also parallel over time.

# %%
def batching(sizes: list, T: int, device: str = "cpu", repeats: int = 7) -> dict:
    """For each batch size: FLOPs and critical path (counted op by op) and the seconds per sequence of every
    interleaved forward + backward round (all cores), for the RNN and one attention head."""
    models = {name: fns for name, fns in _models(device).items() if name in (RNN, BY_HAND)}
    rows: dict = {name: [] for name in models}
    rng = np.random.default_rng(1)
    for b in sizes:
        x = mg.tensor(rng.standard_normal((b, T, D)), dtype=mg.float32, device=device, requires_grad=True)
        with pinned(thread_settings(device)[-1]):
            times = interleaved({name: (lambda fn=fn: fn(x).backward()) for name, (fn, _r) in models.items()}, repeats, device)
        load = load_average()
        for name, (_fn, recorded) in models.items():
            g = analyze(recorded(x))
            rows[name].append({"B": b, "T": T, "flops": g.flops, "critical_path": g.critical_path,
                               "times": [t / b for t in times[name]], "load": load})
    return rows


def _b_exponent(rows: list, key: str) -> float:
    return exponent([{"T": r["B"], key: r[key]} for r in rows], key, last=len(rows))


# %%
def records(results: dict, decode: dict, batch: dict, device: str) -> list:
    """The ``--json`` records: one per workload, T and thread setting (the timing with its spread and the load
    average when it was taken), one per decoding length and model, one per batch size and model."""
    cpus = all_cores()

    def timing(times: list, load: float | None) -> dict:
        return {"seconds": statistics.median(times), "seconds_min": min(times), "seconds_max": max(times),
                "repeats": len(times), "load_average": load, "cpus": cpus, "device": device}

    out = []
    for name, rows in results.items():
        for r in rows:
            for threads, times in r["times"].items():
                out.append({"experiment": "length", "model": name, "T": r["T"], "threads": threads,
                            "critical_path_ops": r["critical_path"], "fused_critical_path_ops": r["fused_critical_path"],
                            "total_ops": r["ops"], "flops": r["flops"], "peak_memory_bytes": r["memory"],
                            **timing(times, r["load"][threads])})
    for name, rows in decode.items():
        for r in rows:
            out.append({"experiment": "decoding", "model": name, "N": r["N"], "sequential_steps": r["steps"],
                        "critical_path_ops": r["critical_path"], "known_sequence_critical_path_ops": r["known_sequence_critical_path"],
                        "flops": r["flops"], "threads": thread_settings(device)[-1], **timing(r["times"], r["load"])})
    for name, rows in batch.items():
        for r in rows:
            out.append({"experiment": "batch", "model": name, "B": r["B"], "T": r["T"], "critical_path_ops": r["critical_path"],
                        "flops": r["flops"], "threads": thread_settings(device)[-1], **timing(r["times"], r["load"])})
    return out


# %%
CLAIMS = [  # (source, what is claimed, as printed, the measurement that decides it)
    ("000 §1.2", "RNN steps must follow the sequence order, which limits parallelism", "RNN单元的计算顺序必须遵循序列的顺序，限制了并行计算的可能性", "sequential"),
    ("000 §1.2", "vanishing and exploding gradients are a limit of the RNN's parallel computation",
     "RNN在并行计算方面存在以下局限性：- **梯度消失和梯度爆炸**", "category"),
    ("000 §1.3", "self-attention frees sequence models from the sequential dependency", "Transformer利用自注意力机制...从而摆脱了顺序依赖的限制", "parallel"),
    ("000 §3.1", "self-attention lets the model process the sequence in parallel, raising efficiency", "这种机制使得模型能够并行处理序列数据，从而提高了计算效率", "efficiency"),
    ("000 §3.3", "advantage: parallel computation raises efficiency", "并行计算：自注意力机制允许并行计算，从而提高了模型的计算效率", "efficiency"),
    ("000 §3.3", "self-attention costs O(n^2)", "自注意力机制的计算复杂度为O(n^2)，在处理长序列时可能成为瓶颈", "quadratic"),
    ("000 §8.1", "the Transformer is more efficient on large-scale sequence data thanks to parallelism", "Transformer在并行计算方面的优势使其在处理大规模序列数据时更加高效", "faster"),
    ("000 §9", "the Transformer processes the sequence in parallel, free of sequential dependency (Q1)", "Transformer使用自注意力机制并行处理序列数据，摆脱了顺序依赖性", "parallel"),
    ("001 §1.4.1", "the Transformer suits long sequences", "Transformer：一种基于自注意力机制的序列模型，适用于处理长序列数据", "long"),
    ("001 §2.2", "the Transformer has better parallel performance than an RNN on long sequences", "Transformer在处理长序列数据时具有更好的并行计算性能", "faster"),
    ("001 §5.3", "both models are accelerated by parallel computation", "RNN模型和Transformer模型在不同的训练阶段都能够通过并行计算加速训练过程", "batch"),
    ("001 §9.2", "the Transformer's parallel performance is superior (Q3)", "并行计算性能优越：Transformer可以并行处理序列数据，提高计算效率", "faster"),
]


def _at(rows: list, T: int) -> dict:
    return next(r for r in rows if r["T"] == T)


def claim_rows(results: dict, exps: dict, decode: dict, batch: dict, split: dict, device: str) -> list:
    """A verdict for each of the documents' claims about parallelism: from counts where counts decide, from
    times (with "not decided" when the noise is larger than the effect) where the claim is about time."""
    rnn, att, hand = exps[RNN], exps[ATT], exps[BY_HAND]
    lengths = [r["T"] for r in results[RNN]]
    T0, T1 = lengths[0], lengths[-1]
    cp = {name: [r["critical_path"] for r in rows] for name, rows in results.items()}
    dec, cell = decode["Transformer decoder, KV cache"], decode["tanh RNN"]
    k_dec = exponent([{"T": r["N"], "cp": r["critical_path"]} for r in dec], "cp", last=len(dec))
    k_cell = exponent([{"T": r["N"], "cp": r["critical_path"]} for r in cell], "cp", last=len(cell))
    known = [r["known_sequence_critical_path"] for r in dec]
    top = {name: _at(rows, T1) for name, rows in results.items()}
    flop_ratio = top[MHA]["flops"] / top[RNN]["flops"]
    gain = top[RNN]["critical_path"] / top[BY_HAND]["critical_path"]
    work = {name: r["flops"] / r["critical_path"] for name, r in top.items()}  # FLOPs per dependent step
    settings = thread_settings(device)
    timed = {th: comparison(results, MHA, th) for th in settings}
    timing = "; ".join(_("{threads}: MHA / RNN time {points}").format(threads=_threads_label(th), points=describe(p))
                       for th, p in timed.items())
    last = {th: p[-1][1] for th, p in timed.items()}
    counts = _("critical path at T = {T}: RNN {rnn} ops, attention {hand} ops op by op ({fused} fused); forward FLOPs: "
               "multi-head attention / RNN = {ratio:.2f}, growing like T^{k:.2f}").format(
        T=T1, rnn=top[RNN]["critical_path"], hand=top[BY_HAND]["critical_path"], fused=top[ATT]["critical_path"],
        ratio=flop_ratio, k=round(exps[MHA]["flops"] - rnn["flops"], 2) + 0.0)
    rows = []
    for source, what, printed, test in CLAIMS:
        if test == "sequential":
            verdict = "holds" if rnn["critical_path"] > 0.9 else "wrong"
            measured = _("RNN critical path {first} to {last} ops for T = {T0} to {T1}, growing like T^{k:.2f}").format(
                first=cp[RNN][0], last=cp[RNN][-1], T0=T0, T1=T1, k=rnn["critical_path"])
            reason = _("the recorded graph's longest chain grows like T^{k:.2f}: each step waits for the previous one").format(
                k=rnn["critical_path"])
        elif test == "category":
            verdict = "wrong"
            measured = _("RNN critical path {first} to {last} ops for T = {T0} to {T1}; gradients: see vanishing_gradients").format(
                first=cp[RNN][0], last=cp[RNN][-1], T0=T0, T1=T1)
            reason = _("a category error: vanishing and exploding gradients are a problem of training (of the product of "
                       "Jacobians), present however the computation is scheduled; the limit of parallel computation is the "
                       "sequential dependency, the next item")
        elif test == "parallel":
            verdict = "holds with a condition" if abs(hand["critical_path"]) < 0.1 and k_dec > 0.9 else (
                "holds" if abs(hand["critical_path"]) < 0.1 else "wrong")
            measured = _("attention critical path {first} to {last} ops for T = {T0} to {T1}, like T^{k:.2f} (op by op; {fused} "
                         "fused); generating N = {n0} to {n1} outputs: decoder with KV cache {d0} to {d1} ops (like N^{kd:.2f}), "
                         "RNN {c0} to {c1} ops (like N^{kc:.2f}), N sequential steps each; the same decoder on a known "
                         "sequence: {k0} to {k1} ops").format(
                first=cp[BY_HAND][0], last=cp[BY_HAND][-1], T0=T0, T1=T1, k=hand["critical_path"], kd=k_dec, kc=k_cell,
                fused=cp[ATT][-1], n0=dec[0]["N"], n1=dec[-1]["N"],
                d0=dec[0]["critical_path"], d1=dec[-1]["critical_path"], c0=cell[0]["critical_path"], c1=cell[-1]["critical_path"],
                k0=known[0], k1=known[-1])
            reason = _("holds for training and for encoding a known sequence: attention's longest chain grows like T^{k:.2f}; "
                       "not for generation: each token is the next step's input, and generating N tokens takes N sequential "
                       "steps with a Transformer as with an RNN (critical path like N^{kd:.2f} and N^{kc:.2f})").format(
                k=hand["critical_path"], kd=k_dec, kc=k_cell)
        elif test == "efficiency":
            verdict = "holds with a condition"
            measured = counts + "; " + _("FLOPs per dependent op at T = {T}: RNN {rnn:,.0f}, attention {att:,.0f}").format(
                T=T1, rnn=work[RNN], att=work[BY_HAND])
            reason = _("counted: attention has a constant critical path and its work per dependent step grows with T, the "
                       "RNN's does not; this raises efficiency only on a device with enough parallel units for that work "
                       "(at most {gain:.0f}x fewer dependent steps at T = {T}); on a CPU the extra FLOPs count first: see the "
                       "time rows (000 §8.1)").format(gain=gain, T=T1)
        elif test == "quadratic":
            k = att["flops"]
            verdict = "holds with a condition" if 1.7 < k < 2.3 else "wrong"
            measured = (_("attention FLOPs grow like T^{k:.2f}").format(k=k)
                        + (_(", memory like T^{k:.2f}").format(k=att["memory"]) if att["memory"] is not None else "")
                        + "; " + _("multi-head layer at T = {T}: projections {proj:,} FLOPs, scores and weighted sum {rest:,}; "
                                   "equal at n = {n:.0f} (2d = {d2})").format(
                            T=split["T"], proj=split["projections"], rest=split["rest"], n=split["equal_at"], d2=2 * D))
            reason = _("the cost is O(n^2 d), not O(n^2): the width counts; and a layer's projections cost O(n d^2), more "
                       "than the T x T scores until n is about {n:.0f} (about 2d)").format(n=split["equal_at"])
        elif test == "long":
            verdict = "holds with a condition"
            measured = counts
            reason = _("every position sees every other at once (a path of one step), but work grows with the square of the "
                       "length, so long sequences cost more than in an RNN")
        elif test == "batch":
            kb = {name: _b_exponent(rs, "critical_path") for name, rs in batch.items()}
            kf = {name: _b_exponent(rs, "flops") for name, rs in batch.items()}
            per_seq = {name: timing_verdict(rs[-1]["times"], rs[0]["times"], rs[-1]["load"], all_cores()) for name, rs in batch.items()}
            both = all(abs(k) < 0.1 for k in kb.values())
            verdict = "holds with a condition" if both else "wrong"
            measured = _("over batch sizes {b0} to {b1} at T = {T}: critical path like B^{kr:.2f} (RNN) and B^{ka:.2f} "
                         "(attention), FLOPs like B^{fr:.2f} and B^{fa:.2f}; time per sequence at B = {b1} / at B = {b0}: "
                         "RNN {rr:.2f} ({dr}), attention {ra:.2f} ({da})").format(
                b0=batch[RNN][0]["B"], b1=batch[RNN][-1]["B"], T=batch[RNN][0]["T"], kr=kb[RNN], ka=kb[BY_HAND],
                fr=kf[RNN], fa=kf[BY_HAND], rr=per_seq[RNN][1], dr=_(per_seq[RNN][0]), ra=per_seq[BY_HAND][1],
                da=_(per_seq[BY_HAND][0]))
            reason = _("both are parallel over the batch (the sequences of a batch do not wait for each other: the critical "
                       "path does not grow with B); only attention is also parallel over time; the program of 001 §5.2 "
                       "measures neither")
        else:  # "faster": a claim about time, decided by time at the longest T, on every thread setting
            if all(d == "slower" for d in last.values()):
                verdict = "wrong"
            elif all(d == "faster" for d in last.values()):
                verdict = "holds"
            else:
                verdict = "not decided"
            cross = crossing(timed[settings[0]])
            measured = timing + "; " + _crossing_text(timed[settings[0]], settings[0])
            reason = ({"wrong": _("on {device} attention is slower at the longest T measured, and the gap widens with T: its "
                                  "FLOPs grow like T^2 d against the RNN's T d^2; a device with enough parallel units could "
                                  "gain up to the ratio of critical paths ({gain:.0f}x at T = {T})"),
                       "holds": _("on {device} attention is faster at the longest T measured; its critical path is shorter "
                                  "({gain:.0f}x at T = {T})"),
                       "not decided": _("on {device} the times do not decide it (see each T); counted, attention's critical "
                                        "path is {gain:.0f}x shorter at T = {T} but its FLOPs grow like T^2 d against T d^2")}
                      [verdict]).format(device=device, gain=gain, T=T1)
        rows.append(claim(source, what, printed, verdict, measured, reason))
    return rows


# %%
def explanation(results: dict, exps: dict, decode: dict, split: dict, device: str) -> list:
    """What this run measured, in sentences (nothing here is assumed about the machine)."""
    rnn, lstm, hand = exps[RNN], exps["LSTM"], exps[BY_HAND]
    T = results[RNN][-1]["T"]
    top = {name: rows[-1] for name, rows in results.items()}
    lines = [
        _("Critical path, counted on the recorded graphs: the RNN's grows like T^{rnn:.2f} and the LSTM's like T^{lstm:.2f} "
          "(one chain of ops per time step); attention op by op like T^{att:.2f} ({ops} ops at every T; the fused op: {fused})."
          ).format(rnn=rnn["critical_path"], lstm=lstm["critical_path"], att=hand["critical_path"],
                   ops=top[BY_HAND]["critical_path"], fused=top[ATT]["critical_path"]),
        _("Work: the RNN's FLOPs grow like T^{rnn:.2f}, attention's like T^{att:.2f}; in a multi-head layer the projections "
          "cost as much as the scores at n = {n:.0f}.").format(rnn=rnn["flops"], att=exps[ATT]["flops"], n=split["equal_at"]),
    ]
    for th in thread_settings(device):
        points = comparison(results, MHA, th)
        lines.append(_("Time on {device}, {threads}: multi-head attention / RNN {points}.").format(
            device=device, threads=_threads_label(th), points=describe(points))
            + " " + _crossing_text(points, th) + ".")
    if device == "cpu" and len(thread_settings(device)) > 1:
        one, many = thread_settings(device)
        factor = {name: median_time(r, one) / median_time(r, many) for name, r in top.items()}
        lines.append(_("Time on one thread divided by time on {n} threads, at T = {T}: {factors}.").format(
            n=many, T=T, factors=", ".join(f"{_(name)} {f:.2f}" for name, f in factor.items())))
    dec, cell = decode["Transformer decoder, KV cache"], decode["tanh RNN"]
    lines.append(_("Generating N = {n0} to {n1} outputs: {n0} to {n1} sequential steps for both; time {d0:.2f} to {d1:.2f} ms "
                   "with the KV-cached decoder, {c0:.2f} to {c1:.2f} ms with the RNN.").format(
        n0=dec[0]["N"], n1=dec[-1]["N"], d0=statistics.median(dec[0]["times"]) * 1e3, d1=statistics.median(dec[-1]["times"]) * 1e3,
        c0=statistics.median(cell[0]["times"]) * 1e3, c1=statistics.median(cell[-1]["times"]) * 1e3))
    loads = [load for rows in results.values() for r in rows for load in r["load"].values() if load is not None]
    if loads:
        cpus = all_cores()
        lines.append(_("Load average during the run: {lo:.1f} to {hi:.1f} on {cpus} CPUs (recorded with every time); a "
                       "comparison is not decided where the load or the spread of the repeats is larger than the effect.")
                     .format(lo=min(loads), hi=max(loads), cpus=cpus))
    return lines


def run(ctx) -> dict:
    lengths = [16, 64, 256] if ctx.quick else [16, 32, 64, 128, 256, 512, 1024]
    repeats = 3 if ctx.quick else 7
    ctx.section(_("Forward + backward, batch {B}, width {D}, on {device}").format(B=B, D=D, device=ctx.device))
    ctx.machine_dependent(_("Times and memory"))
    ctx.show(_("Each time: the median of {n} interleaved repeats after a warm-up; thread settings: {settings}.").format(
        n=repeats, settings=", ".join(_threads_label(th) for th in thread_settings(ctx.device))))
    results = measure(lengths, ctx.device, repeats=repeats, show=ctx.show)
    ctx.section(_("Growth exponents k (y grows like T^k, fitted on the largest T)"))
    keys = ("flops", "critical_path", "memory")
    head = {"memory": _("memory"), "flops": _("FLOPs"), "critical_path": _("critical path")}
    ctx.show(terminal.ljust(_("workload"), 32) + " " + " ".join(" " * (14 - terminal.width(head[k])) + head[k] for k in keys))
    exps = {}
    for name, rows in results.items():
        exps[name] = {k: exponent(rows, k) for k in keys}
        ctx.show(terminal.ljust(_(name), 32) + " " + " ".join(f"{exps[name][k]:14.2f}" if exps[name][k] is not None else f"{'—':>14s}" for k in keys))
    ctx.show("\n" + _("Table 1 predicts: FLOPs k = 1 for the RNN and 2 for attention (at T >> d); critical path k = 1 "
                      "for the RNN, 0 for attention."))
    split = projection_split(lengths[-1], ctx.device)
    ctx.section(_("Generating N outputs, one after another"))
    decode = decoding([8, 16, 32] if ctx.quick else [16, 32, 64, 128, 256], ctx.device, repeats, show=ctx.show)
    batch = batching([1, 4, 16] if ctx.quick else [1, 4, 16, 64], 32 if ctx.quick else 128, ctx.device, repeats)
    ctx.section(_("What this run shows"))
    ctx.show("\n".join(explanation(results, exps, decode, split, ctx.device)))
    rows = claim_rows(results, exps, decode, batch, split, ctx.device)
    ctx.section(_("The documents' claims about parallelism, decided by this run"))
    ctx.table(rows)
    out = {"results": results, "exponents": exps, "records": records(results, decode, batch, ctx.device), "rows": rows}
    plt = ctx.pyplot()
    if plt is not None:
        draw(plt, ctx, results, decode, lengths)
    return out


# %% [markdown]
# ## The figure
#
# Counted quantities on top (they are the same at every run), measured ones below. Curves that would lie
# on each other get their own line style and hollow markers, so that none hides another.

# %%
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (3, 1, 1, 1, 1, 1)))


def _same(a: list, b: list) -> bool:
    """Two curves a reader cannot tell apart on a log scale (within 10% at every point)."""
    return [t for t, _y in a] == [t for t, _y in b] and all(abs(x - y) <= 0.1 * max(x, y) for (_t, x), (_u, y) in zip(a, b))


def draw(plt: Any, ctx: Any, results: dict, decode: dict, lengths: list) -> None:
    """Counted quantities on top (critical path, FLOPs), measured ones below (memory, time, the time ratio,
    generation); each panel's title says what it shows."""
    fig, axes = figures.subplots(2, 3)
    style = {name: dict(color=c, marker=m, linestyle=ls)
             for name, c, m, ls in zip(results, figures.PALETTE, figures.MARKERS, LINESTYLES)}
    panels = ((axes[0, 0], "critical_path", figures.label("critical path (ops), counted")),
              (axes[0, 1], "flops", figures.label("forward FLOPs, counted")),
              (axes[0, 2], "memory", figures.label("peak memory (bytes)")))
    for ax, key, title in panels:
        drawn: list = []
        for name, rows in results.items():
            pts = [(r["T"], r[key]) for r in rows if r[key]]
            if not pts:
                continue
            kw = dict(style[name])
            overlaps = sum(_same(pts, p) for p in drawn)
            if overlaps:  # on a curve already drawn: hollow and larger with each one under it, so every one shows
                kw.update(markerfacecolor="none", markersize=8 + 6 * overlaps, markeredgewidth=2)
            ax.loglog(*zip(*pts), label=figures.label(name), **kw)
            drawn.append(pts)
        ax.set_title(title, fontsize=14)
    one = thread_settings(ctx.device)[0]
    for name in (RNN, ATT, MHA):
        rows = results[name]
        med = [median_time(r, one) for r in rows]
        lo = [m - min(r["times"][one]) for m, r in zip(med, rows)]
        hi = [max(r["times"][one]) - m for m, r in zip(med, rows)]
        axes[1, 0].errorbar(lengths, med, yerr=[lo, hi], capsize=4, **style[name])
    axes[1, 0].set_title(figures.label("time (s), {threads}").format(threads=_threads_label(one)),
                         fontsize=14)
    for th, colour, marker, ls in zip(thread_settings(ctx.device), ("#000000", "#777777"), ("o", "s"), ("-", "--")):
        med = [p[2] for p in comparison(results, MHA, th)]
        rs = [ratios(results, MHA, T, th) for T in lengths]
        axes[1, 1].errorbar(lengths, med, yerr=[[m - min(r) for m, r in zip(med, rs)], [max(r) - m for m, r in zip(med, rs)]],
                            color=colour, marker=marker, linestyle=ls, capsize=4, label=_threads_label(th))
    axes[1, 1].axhline(1.0, color=figures.WRONG, linewidth=1.5)
    axes[1, 1].set_title(figures.label("MHA / RNN time (above 1: RNN faster)"), fontsize=14)
    axes[1, 1].legend(fontsize=14, loc="best")
    for ax in axes.ravel()[3:5]:
        ax.set_xscale("log")
        ax.set_yscale("log")
    gen = {"Transformer decoder, KV cache": dict(color="#000000", marker="D", linestyle="-"), "tanh RNN": style[RNN]}
    for name, rows in decode.items():
        n = [r["N"] for r in rows]
        axes[1, 2].loglog(n, [statistics.median(r["times"]) for r in rows], label=figures.label(name), **gen[name])
    ns = [r["N"] for r in next(iter(decode.values()))]
    axes[1, 2].set_xticks(ns, [str(n) for n in ns], minor=False)
    axes[1, 2].set_xticks([], minor=True)
    axes[1, 2].set_xlabel(figures.label("tokens generated N"))
    axes[1, 2].set_title(figures.label("generating N tokens: N steps, time (s)"), fontsize=14)
    axes[1, 2].legend(fontsize=14, loc="best")
    for ax in axes.ravel()[:5]:
        ax.set_xticks(lengths, [str(T) for T in lengths], minor=False)
        ax.set_xticks([], minor=True)
        ax.set_xlabel(figures.label("sequence length T"))
    for ax in axes.ravel():
        ax.yaxis.set_minor_formatter(plt.NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=14)
    last = comparison(results, MHA, one)[-1]
    title = {"slower": figures.label("Counted: the RNN's critical path grows with T, attention's stays flat.\nMeasured on "
                                     "{device}: attention is slower at T = {T} (MHA / RNN time {ratio:.1f})"),
             "faster": figures.label("Counted: the RNN's critical path grows with T, attention's stays flat.\nMeasured on "
                                     "{device}: attention is faster at T = {T} (MHA / RNN time {ratio:.1f})"),
             "not decided": figures.label("Counted: the RNN's critical path grows with T, attention's stays flat.\nMeasured on "
                                          "{device} at T = {T}: MHA / RNN time {ratio:.1f}, not decided (noise larger than "
                                          "the effect)")}[last[1]]
    fig.suptitle(title.format(device=ctx.device, T=last[0], ratio=last[2]))
    ctx.figure(fig, "parallelism")
    plt.close(fig)


# %% [markdown]
# ## Exercises
#
# 1. Run the lesson on a GPU (`python -m lessons parallelism --device cuda`) and find the crossing point.
# 2. Double the width $D$: which curves move, and by how much? Compare with $O(n d^2)$ and $O(n^2 d)$.
# 3. The autograd-unrolled RNN (`bptt="autograd"`) has a much longer critical path in ops than the
#    hand-derived one, but the same number of *time steps*: why does only the latter matter?
# 4. Generate with `CachedDecoder` but without the cache (run `forward` on the whole prefix at every step):
#    how do the FLOPs grow with N now?

# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
