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
# The critical path is *measured*: the recurrent layers are run once more with `bptt="autograd"`, so every
# step's ops are recorded in the graph one by one, and `minigrad.analysis` finds the longest chain of
# dependent ops in that graph (nothing is declared per layer). Time is measured on the layers as they are
# normally used (the hand-derived BPTT ops, the same arithmetic).
#
# What the measurements say depends on the machine: a short critical path only pays if the hardware can
# run the independent ops at once. The explanation printed at the end is computed from this run's numbers:
# which model is faster at which $T$, where (if anywhere) the curves cross, and how much of the
# hardware's arithmetic each model uses (FLOPs per second).

# %%
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.common import claim
from lessons.i18n import domain
from minigrad import backend, nn
from minigrad.analysis import analyze

SUMMARY = "RNN vs attention over sequence length: time, memory, FLOPs and critical path, fitted and plotted"
SOURCE = "000 §1.2-§3.3, §8.1, §9; 001 §1.4.1, §2.2, §9.2; Vaswani et al. (2017) Table 1"
B, D = 4, 64
_ = domain("lessons")


def _models(device: str) -> dict:
    """Each workload: (a function of x (B, T, D) returning a scalar to backpropagate, the same function
    recorded op by op for the critical path)."""
    mg.manual_seed(0)
    rnn, lstm = nn.RNN(D, D).to(device), nn.LSTM(D, D).to(device)
    rnn_ops, lstm_ops = nn.RNN(D, D, bptt="autograd").to(device), nn.LSTM(D, D, bptt="autograd").to(device)
    rnn_ops.load_state_dict(rnn.state_dict())
    lstm_ops.load_state_dict(lstm.state_dict())
    mha = nn.MultiheadAttention(D, 8, batch_first=True).to(device)
    enc = nn.TransformerEncoderLayer(D, 8, dim_feedforward=4 * D, dropout=0.0, batch_first=True).to(device)
    sdpa = nn.functional.scaled_dot_product_attention
    recurrent = lambda layer: lambda x: layer(x.transpose(0, 1))[0].sum()  # noqa: E731
    attention = lambda x: sdpa(x, x, x).sum()  # noqa: E731
    tiled = lambda x: sdpa(x, x, x, impl="tiled").sum()  # noqa: E731
    multihead = lambda x: mha(x, x, x, need_weights=False)[0].sum()  # noqa: E731
    encoder = lambda x: enc(x).sum()  # noqa: E731
    return {
        "tanh RNN": (recurrent(rnn), recurrent(rnn_ops)),
        "LSTM": (recurrent(lstm), recurrent(lstm_ops)),
        "attention (1 head)": (attention, attention),
        "attention (1 head, tiled)": (tiled, tiled),
        "multi-head attention (8 heads)": (multihead, multihead),
        "encoder layer": (encoder, encoder),
    }


def measure(lengths: list, device: str = "cpu", repeats: int = 5, show=print) -> dict:
    """For every workload and T: the fastest of ``repeats`` forward+backward runs (the one least disturbed
    by other load on the machine), peak memory, FLOPs, and the ops and critical path of the recorded graph."""
    dev = backend.as_device(device)
    results: dict = {}
    rng = np.random.default_rng(0)
    for name, (fn, recorded) in _models(device).items():
        rows = []
        for T in lengths:
            x = mg.tensor(rng.standard_normal((B, T, D)), dtype=mg.float32, device=device, requires_grad=True)
            graph = analyze(recorded(x))  # op by op: the critical path is found, not declared
            report = analyze(fn(x))
            fn(x).backward()  # warm-up
            times = []
            gc.collect()
            gc.disable()  # as timeit does: a collection of the whole heap inside one timed run is not the model's cost
            try:
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    fn(x).backward()
                    backend.synchronize(dev)
                    times.append(time.perf_counter() - t0)
            finally:
                gc.enable()
            memory = None
            if device == "cpu":  # tracemalloc sees NumPy's allocations
                tracemalloc.start()
                fn(x).backward()
                memory = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            rows.append({"T": T, "time": min(times), "memory": memory, "flops": report.flops,
                         "critical_path": graph.critical_path, "ops": graph.ops})
            show(f"  {name:32s} T={T:5d}  {rows[-1]['time'] * 1e3:9.2f} ms  "
                 + (f"{memory / 2**20:8.1f} MiB  " if memory is not None else "")
                 + f"{report.flops / 1e6:10.1f} MFLOP  {graph.ops:6d} ops, critical path {graph.critical_path:6d} ops")
        results[name] = rows
    return results


_ONE_THREAD = """
import json
from lessons.parallelism import measure
results = measure([{T}], "cpu", repeats={repeats}, show=lambda *a: None)
print(json.dumps({{name: rows[0]["time"] for name, rows in results.items()}}))
"""


def one_thread_times(T: int, repeats: int = 3) -> dict | None:
    """Forward + backward times at one T with NumPy's BLAS held to one thread (a fresh process: the thread
    count is read when NumPy loads), or None when that process fails."""
    env = {**os.environ, **{k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    proc = subprocess.run([sys.executable, "-c", _ONE_THREAD.format(T=T, repeats=repeats)], env=env, capture_output=True,
                          text=True, timeout=1800)
    return json.loads(proc.stdout.splitlines()[-1]) if proc.returncode == 0 and proc.stdout.strip() else None


def records(results: dict, one_thread: dict | None = None, T_one: int | None = None) -> list:
    """One record per workload and T (the ``--json`` report); at ``T_one`` also the time on one thread."""
    out = []
    for name, rows in results.items():
        for r in rows:
            rec = {"model": name, "T": r["T"], "critical_path_ops": r["critical_path"], "total_ops": r["ops"], "seconds": r["time"],
                   "flops": r["flops"], "peak_memory_bytes": r["memory"]}
            if one_thread and r["T"] == T_one:
                rec["seconds_one_thread"] = one_thread[name]
            out.append(rec)
    return out


def faster_at(results: dict, model: str, baseline: str = "tanh RNN") -> list:
    """``(T, is model faster than baseline)`` at every measured T."""
    return [(a["T"], a["time"] < b["time"]) for a, b in zip(results[model], results[baseline])]


def comparison(results: dict, model: str, baseline: str = "tanh RNN") -> str:
    """Where ``model`` is faster or slower than ``baseline``, in words, from the measured times."""
    pairs = faster_at(results, model, baseline)
    faster = [T for T, f in pairs if f]
    span = dict(model=model, baseline=baseline, first=pairs[0][0], last=pairs[-1][0])
    if len(faster) == len(pairs):
        return _("{model} is faster than the {baseline} at every measured T ({first} to {last})").format(**span)
    if not faster:
        return _("{model} is slower than the {baseline} at every measured T ({first} to {last})").format(**span)
    flips = [pairs[i + 1][0] for i in range(len(pairs) - 1) if pairs[i][1] != pairs[i + 1][1]]
    return _("{model} is faster than the {baseline} at T = {faster} and slower at the other measured T "
             "(the order changes at T = {flips})").format(model=model, baseline=baseline, faster=", ".join(map(str, faster)),
                                                         flips=", ".join(map(str, flips)))


def exponent(rows: list, key: str, last: int = 3) -> float | None:
    """The slope k of log(y) against log(T) over the largest T: y grows like T^k."""
    pts = [(r["T"], r[key]) for r in rows if r[key]][-last:]
    if len(pts) < 2:
        return None
    t, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(t, y, 1)[0]) + 0.0  # + 0.0 turns -0.0 into 0.0


# %%
def explanation(results: dict, exps: dict, device: str, one_thread: dict | None = None, T_one: int | None = None) -> list:
    """What this run measured, in sentences (nothing here is assumed about the machine)."""
    rnn, lstm, att = exps["tanh RNN"], exps["LSTM"], exps["attention (1 head)"]
    largest = {name: rows[-1] for name, rows in results.items()}
    rate = {name: r["flops"] / r["time"] / 1e9 for name, r in largest.items()}
    T = largest["tanh RNN"]["T"]
    lines = [
        _("Critical path, measured on the recorded graphs: the RNN's grows like T^{rnn:.2f} and the LSTM's like T^{lstm:.2f} "
          "(one chain of ops per time step), attention's like T^{att:.2f} ({ops} ops at every T).").format(
            rnn=rnn["critical_path"], lstm=lstm["critical_path"], att=att["critical_path"],
            ops=largest["attention (1 head)"]["critical_path"]),
        _("Work: the RNN's FLOPs grow like T^{rnn:.2f}, attention's like T^{att:.2f}.").format(rnn=rnn["flops"], att=att["flops"]),
        _("Time on {device} ({cpus} logical CPUs): the RNN's grows like T^{rnn:.2f}, attention's like T^{att:.2f}.").format(
            device=device, cpus=os.cpu_count(), rnn=rnn["time"], att=att["time"]),
        _("At T = {T}, forward FLOPs per second of forward + backward time: {rates}: a short critical path pays only as far "
          "as the machine runs the independent ops at once.").format(
            T=T, rates=", ".join(f"{name} {g:.2f} GFLOP/s" for name, g in rate.items())),
    ]
    if one_thread:
        times = {name: next(r["time"] for r in rows if r["T"] == T_one) for name, rows in results.items()}
        factor = {name: one_thread[name] / times[name] for name in times}
        helped = [n for n, f in factor.items() if f > 1.1]
        hurt = [n for n, f in factor.items() if f < 0.9]
        lines.append(_("Time on one BLAS thread divided by time on all threads, at T = {T}: {factors}.").format(
                         T=T_one, factors=", ".join(f"{name} {f:.2f}" for name, f in factor.items()))
                     + " " + (_("The extra threads sped up {models}.").format(models=", ".join(helped)) if helped
                              else _("The extra threads sped up no model."))
                     + (" " + _("They slowed down {models}: threads that wait for each other lose when the cores are busy "
                                "with other work or the products are small.").format(models=", ".join(hurt)) if hurt else ""))
    lines += [comparison(results, m) + "." for m in ("attention (1 head)", "multi-head attention (8 heads)", "encoder layer")]
    if hasattr(os, "getloadavg"):
        load, cpus = os.getloadavg()[0], os.cpu_count() or 1
        lines.append(_("Load average at the end of the run: {load:.1f} on {cpus} logical CPUs: other programs held the cores, "
                       "so the times above are disturbed; rerun on an idle machine before drawing conclusions from them.")
                     .format(load=load, cpus=cpus) if load > 0.8 * cpus
                     else _("Load average at the end of the run: {load:.1f} on {cpus} logical CPUs.").format(load=load, cpus=cpus))
    return lines


CLAIMS = [  # (source, what is claimed, as printed, the measurement that decides it)
    ("000 §1.2", "RNN steps must follow the sequence order, which limits parallelism", "RNN单元的计算顺序必须遵循序列的顺序，限制了并行计算的可能性", "sequential"),
    ("000 §1.3", "self-attention frees sequence models from the sequential dependency", "Transformer利用自注意力机制...从而摆脱了顺序依赖的限制", "parallel"),
    ("000 §3.1", "self-attention lets the model process the sequence in parallel, raising efficiency", "这种机制使得模型能够并行处理序列数据，从而提高了计算效率", "faster"),
    ("000 §3.3", "advantage: parallel computation raises efficiency", "并行计算：自注意力机制允许并行计算，从而提高了模型的计算效率", "faster"),
    ("000 §3.3", "self-attention costs O(n^2)", "自注意力机制的计算复杂度为O(n^2)，在处理长序列时可能成为瓶颈", "quadratic"),
    ("000 §8.1", "the Transformer is more efficient on large-scale sequence data thanks to parallelism", "Transformer在并行计算方面的优势使其在处理大规模序列数据时更加高效", "faster"),
    ("000 §9", "the Transformer processes the sequence in parallel, free of sequential dependency (Q1)", "Transformer使用自注意力机制并行处理序列数据，摆脱了顺序依赖性", "parallel"),
    ("001 §1.4.1", "the Transformer suits long sequences", "Transformer：一种基于自注意力机制的序列模型，适用于处理长序列数据", "long"),
    ("001 §2.2", "the Transformer has better parallel performance than an RNN on long sequences", "Transformer在处理长序列数据时具有更好的并行计算性能", "faster"),
    ("001 §9.2", "the Transformer's parallel performance is superior (Q3)", "并行计算性能优越：Transformer可以并行处理序列数据，提高计算效率", "faster"),
]


def claim_rows(results: dict, exps: dict, device: str) -> list:
    """A verdict for each of the documents' claims about parallelism, from this run's measurements."""
    rnn, att = exps["tanh RNN"], exps["attention (1 head)"]
    like = comparison(results, "multi-head attention (8 heads)")
    single = comparison(results, "attention (1 head)")
    cp = {name: [r["critical_path"] for r in rows] for name, rows in results.items()}
    lengths = [r["T"] for r in results["tanh RNN"]]
    rows = []
    for source, what, printed, test in CLAIMS:
        if test == "sequential":
            verdict = "holds" if rnn["critical_path"] > 0.9 else "wrong"
            measured = _("RNN critical path {first} to {last} ops for T = {T0} to {T1}").format(
                first=cp["tanh RNN"][0], last=cp["tanh RNN"][-1], T0=lengths[0], T1=lengths[-1])
            reason = _("the recorded graph's longest chain grows like T^{k:.2f}: each step waits for the previous one").format(
                k=rnn["critical_path"])
        elif test == "parallel":
            verdict = "holds" if abs(att["critical_path"]) < 0.1 else "wrong"
            measured = _("attention critical path {first} to {last} ops for T = {T0} to {T1}").format(
                first=cp["attention (1 head)"][0], last=cp["attention (1 head)"][-1], T0=lengths[0], T1=lengths[-1])
            reason = _("attention's longest chain grows like T^{k:.2f}: every position is computed at once").format(k=att["critical_path"])
        elif test in ("quadratic", "long"):
            k, km = att["flops"], att["memory"]
            quadratic = 1.7 < k < 2.3
            measured = (_("attention FLOPs grow like T^{k:.2f}").format(k=k)
                        + (_(", memory like T^{k:.2f}").format(k=km) if km is not None else "")
                        + _(", time like T^{k:.2f}").format(k=att["time"]))
            if test == "quadratic":
                verdict = "holds" if quadratic else "holds with a condition"
                reason = ((_("the T x T score matrix: work grows with the square of the length") if quadratic
                           else _("the T x T score matrix: work grows with the square of the length once T is large against the width"))
                          + (_("; the tiled attention keeps memory linear (T^{k:.2f})").format(k=exps["attention (1 head, tiled)"]["memory"])
                             if km is not None else ""))
            else:
                verdict = "holds with a condition"
                reason = _("every position sees every other at once (a path of one step), but work grows with the square of the "
                           "length, so long sequences cost more than in an RNN")
        else:  # "faster": decided by time on this machine, like for like (a multi-head attention layer of the same width)
            order = [f for _T, f in faster_at(results, "multi-head attention (8 heads)")]
            faster_every, slower_every = all(order), not any(order)
            verdict = "holds" if faster_every else ("wrong" if slower_every else "holds with a condition")
            measured = _("on {device}: {like}; {single}").format(device=device, like=like, single=single)
            reason = (_("the critical path is shorter at every T, but time depends on whether the hardware runs the independent "
                        "ops at once") + (_("; here it does not, and the extra work of attention dominates") if slower_every else ""))
        rows.append(claim(source, what, printed, verdict, measured, reason))
    return rows


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
    T_one = lengths[-2]
    one_thread = one_thread_times(T_one, repeats=1 if ctx.quick else 3) if ctx.device == "cpu" else None
    ctx.section(_("What this run shows"))
    ctx.show("\n".join(explanation(results, exps, ctx.device, one_thread, T_one)))
    rows = claim_rows(results, exps, ctx.device)
    ctx.section(_("The documents' claims about parallelism, decided by this run"))
    ctx.table(rows)
    out = {"results": results, "exponents": exps, "records": records(results, one_thread, T_one), "rows": rows}
    plt = ctx.pyplot()
    if plt is None:
        return out
    fig, axes = figures.subplots(2, 2)
    labels = {"time": figures.label("forward + backward time (s)"), "memory": figures.label("peak memory (bytes)"),
              "flops": figures.label("forward FLOPs"), "critical_path": figures.label("critical path (dependent ops)")}
    for ax, key in zip(axes.ravel(), keys):
        for (name, rs), marker in zip(results.items(), figures.MARKERS):  # markers tell apart curves that coincide
            pts = [(r["T"], r[key]) for r in rs if r[key]]
            if pts:
                ax.loglog(*zip(*pts), marker=marker, label=name)
        ax.set_xticks(lengths, [str(T) for T in lengths], minor=False)
        ax.set_xticks([], minor=True)
        ax.yaxis.set_minor_formatter(plt.NullFormatter())  # decades only: minor labels crowd a short axis
        if key == "critical_path":  # spread over decades: label a few that do not overlap
            ticks: list = []
            for v in sorted({r[key] for rs in results.values() for r in rs if r[key]}):
                if not ticks or v >= 1.5 * ticks[-1]:
                    ticks.append(v)
            ax.set_yticks(ticks, [str(v) for v in ticks])
        ax.set_xlabel(figures.label("sequence length T"))
        ax.set_ylabel(labels[key])
        ax.grid(True, which="both", alpha=0.3)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside right center", fontsize=14)
    fig.suptitle(figures.label("RNN vs attention on {device}: critical path measured on the recorded graph")
                 .format(device=ctx.device))
    ctx.figure(fig, "parallelism")
    plt.close(fig)
    return out


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
