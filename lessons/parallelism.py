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
# This lesson measures, for forward + backward at growing $T$: the wall time, the peak memory, the
# floating-point operations and the critical path (the longest chain of dependent ops:
# `minigrad.analysis`), fits the growth exponent of each ($y \propto T^k$ on a log-log plot), and compares
# with the table.
#
# **What to expect, and why the CPU and the GPU disagree.** The critical path is the number of steps that
# must run one after another however many processors there are: it grows linearly for the RNN and stays
# constant for attention, which is the thesis. But time is work divided by the parallelism the hardware
# can use. On two CPU cores, the matrix products already keep both cores busy, so time follows the *work*:
# $O(T)$ for the RNN and $O(T^2)$ for attention, and from some $T$ on attention is the slower one. A GPU
# runs thousands of operations at once: each of the RNN's $T$ dependent steps is a small product that
# leaves most of it idle, while attention's few large products fill it, so there attention wins up to
# much larger $T$ (until the $T^2$ work or memory catches up). The tiled attention (`impl="tiled"`)
# shows that the quadratic *memory* is not inherent: its memory grows linearly.

# %%
from __future__ import annotations

import time
import tracemalloc

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.i18n import domain
from minigrad import backend, nn
from minigrad.analysis import analyze

SUMMARY = "RNN vs attention over sequence length: time, memory, FLOPs and critical path, fitted and plotted"
SOURCE = "001 §1.1, §5.3; 000 §1.3, §3.3; Vaswani et al. (2017) Table 1"
B, D = 4, 64
_ = domain("lessons")


def _models(device: str) -> dict:
    """Each workload: a function of T returning the forward output (a scalar to backpropagate)."""
    mg.manual_seed(0)
    rnn, lstm = nn.RNN(D, D).to(device), nn.LSTM(D, D).to(device)
    mha = nn.MultiheadAttention(D, 8, batch_first=True).to(device)
    enc = nn.TransformerEncoderLayer(D, 8, dim_feedforward=4 * D, dropout=0.0, batch_first=True).to(device)
    sdpa = nn.functional.scaled_dot_product_attention
    return {
        "tanh RNN": lambda x: rnn(x.transpose(0, 1))[0].sum(),
        "LSTM": lambda x: lstm(x.transpose(0, 1))[0].sum(),
        "attention (1 head)": lambda x: sdpa(x, x, x).sum(),
        "attention (1 head, tiled)": lambda x: sdpa(x, x, x, impl="tiled").sum(),
        "multi-head attention (8 heads)": lambda x: mha(x, x, x, need_weights=False)[0].sum(),
        "encoder layer": lambda x: enc(x).sum(),
    }


def measure(lengths: list, device: str = "cpu", repeats: int = 5, show=print) -> dict:
    """For every workload and T: the fastest of ``repeats`` forward+backward runs (the one least disturbed
    by other load on the machine), peak memory, FLOPs and critical path."""
    dev = backend.as_device(device)
    results: dict = {}
    models = _models(device)
    rng = np.random.default_rng(0)
    for name, fn in models.items():
        rows = []
        for T in lengths:
            x = mg.tensor(rng.standard_normal((B, T, D)), dtype=mg.float32, device=device, requires_grad=True)
            out = fn(x)
            report = analyze(out)
            out.backward()
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn(x).backward()
                backend.synchronize(dev)
                times.append(time.perf_counter() - t0)
            memory = None
            if device == "cpu":  # tracemalloc sees NumPy's allocations
                tracemalloc.start()
                fn(x).backward()
                memory = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            rows.append({"T": T, "time": min(times), "memory": memory, "flops": report.flops,
                         "critical_path": report.critical_path})
            show(f"  {name:32s} T={T:5d}  {rows[-1]['time'] * 1e3:9.2f} ms  "
                 + (f"{memory / 2**20:8.1f} MiB  " if memory is not None else "")
                 + f"{report.flops / 1e6:10.1f} MFLOP  critical path {report.critical_path}")
        results[name] = rows
    return results


def exponent(rows: list, key: str, last: int = 3) -> float | None:
    """The slope k of log(y) against log(T) over the largest T: y grows like T^k."""
    pts = [(r["T"], r[key]) for r in rows if r[key]][-last:]
    if len(pts) < 2:
        return None
    t, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(t, y, 1)[0]) + 0.0  # + 0.0 turns -0.0 into 0.0


# %%
def run(ctx) -> dict:
    lengths = [16, 32, 64] if ctx.quick else [16, 32, 64, 128, 256, 512, 1024]
    ctx.section(_("Forward + backward, batch {B}, width {D}, on {device}").format(B=B, D=D, device=ctx.device))
    ctx.machine_dependent(_("Times and memory"))
    results = measure(lengths, ctx.device, repeats=1 if ctx.quick else 5, show=ctx.show)
    ctx.section(_("Growth exponents k (y grows like T^k, fitted on the largest T)"))
    keys = ("time", "memory", "flops", "critical_path")
    head = {"time": _("time"), "memory": _("memory"), "flops": _("FLOPs"), "critical_path": _("critical path")}
    ctx.show(_("workload").ljust(32) + " " + " ".join(f"{head[k]:>14s}" for k in keys))
    exps = {}
    for name, rows in results.items():
        exps[name] = {k: exponent(rows, k) for k in keys}
        ctx.show(f"{name:32s} " + " ".join(f"{round(exps[name][k], 2) + 0.0:14.2f}" if exps[name][k] is not None else f"{'—':>14s}" for k in keys))
    ctx.show("\n" + _("Table 1 predicts: FLOPs k = 1 for the RNN and 2 for attention (at T >> d); critical path k = 1 "
                      "for the RNN, 0 for attention."))
    rnn_t, att_t = results["tanh RNN"], results["attention (1 head)"]
    crossing = next((r["T"] for r, a in zip(rnn_t, att_t) if a["time"] > r["time"]), None)
    ctx.show(_("On this device attention stays faster than the RNN at every measured T.") if crossing is None
             else _("On this device attention becomes slower than the RNN from T = {T} on: here time follows the work, "
                    "not the critical path.").format(T=crossing))
    plt = ctx.pyplot()
    if plt is None:
        return {"results": results, "exponents": exps}
    fig, axes = figures.subplots(2, 2)
    labels = {"time": figures.label("forward + backward time (s)"), "memory": figures.label("peak memory (bytes)"),
              "flops": figures.label("forward FLOPs"), "critical_path": figures.label("critical path (dependent ops)")}
    for ax, key in zip(axes.ravel(), keys):
        for (name, rows), marker in zip(results.items(), figures.MARKERS):  # markers tell apart curves that coincide
            pts = [(r["T"], r[key]) for r in rows if r[key]]
            if pts:
                ax.loglog(*zip(*pts), marker=marker, label=name)
        ax.set_xticks(lengths, [str(T) for T in lengths], minor=False)
        ax.set_xticks([], minor=True)
        ax.yaxis.set_minor_formatter(plt.NullFormatter())  # decades only: minor labels crowd a short axis
        if key == "critical_path":  # a few small integers: label them
            ticks: list = []
            for v in sorted({r[key] for rows in results.values() for r in rows if r[key]}):
                if not ticks or v >= 1.5 * ticks[-1]:  # labels that do not overlap
                    ticks.append(v)
            ax.set_yticks(ticks, [str(v) for v in ticks])
        ax.set_xlabel(figures.label("sequence length T"))
        ax.set_ylabel(labels[key])
        ax.grid(True, which="both", alpha=0.3)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside right center", fontsize=12)
    fig.suptitle(figures.label("RNN vs attention on {device}: the critical path favours attention, the work favours the RNN")
                 .format(device=ctx.device))
    ctx.figure(fig, "parallelism")
    plt.close(fig)
    return {"results": results, "exponents": exps}


# %% [markdown]
# ## Exercises
#
# 1. Run the lesson on a GPU (`python -m lessons parallelism --device cuda`) and find the crossing point.
# 2. Double the width $D$: which curves move, and by how much? Compare with $O(n d^2)$ and $O(n^2 d)$.
# 3. The autograd-unrolled RNN (`bptt="autograd"`) has a much longer critical path in ops than the
#    hand-derived one, but the same number of *time steps*: why does only the latter matter?

# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
