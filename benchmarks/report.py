"""The results as a Markdown page, a JSON file and two figures, all from the data of one run.

The page is written in English (``performance.md``) and, for the Chinese edition of the site, as the
Sphinx catalog that translates it (``locale/zh_CN/LC_MESSAGES/performance.po``): the same page rendered
with the ``benchmarks`` gettext domain (``lessons/locale/zh_CN/LC_MESSAGES/benchmarks.po``), paired with
the English one message by message, as Sphinx splits a page into messages.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from lessons import i18n

from .harness import fmt_bytes, fmt_time

_ = i18n.domain("benchmarks")

FASTER, SLOWER = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion: told apart with every colour-vision deficiency


@dataclass(frozen=True)
class Goal:
    """minigrad's time at most ``max_ratio`` x PyTorch's on ``workload``, and optionally more.

    Attributes:
        min_peak: the least fraction of the run's matrix-multiply peak minigrad must reach.
        less_memory: minigrad's resident memory for the step must be below PyTorch's.
        why: what limits minigrad there, printed when the goal is not met.
    """

    workload: str
    max_ratio: float
    why: str
    min_peak: float | None = None
    less_memory: bool = False
    threads_note: bool = False  # add _THREADS to ``why``

    def check(self, data: dict) -> tuple:
        """``(met, what was measured)`` on a run's data, or ``(None, reason)`` when it cannot be judged."""
        w = data["workloads"].get(self.workload)
        if w is None or w["ratio"] is None:
            return None, _("not measured in this run")
        met, parts = w["ratio"] <= self.max_ratio, [_("ratio {ratio:.2f}").format(ratio=w["ratio"])]
        if self.min_peak is not None:
            frac = w["floor_s"] / w["minigrad"]["median_s"] if w["floor_s"] else None
            met = met and frac is not None and frac >= self.min_peak
            parts.append(_("{percent:.0f}% of the GEMM peak").format(percent=100 * frac) if frac is not None
                         else _("no GEMM peak measured"))
        if self.less_memory:
            mine, theirs = w["minigrad"]["rss_step_bytes"], w["pytorch"]["rss_step_bytes"]
            met = met and mine < theirs
            parts.append(_("resident memory {mine} vs {theirs}").format(mine=fmt_bytes(mine), theirs=fmt_bytes(theirs)))
        return met, _(", ").join(parts)

    def text(self) -> str:
        s = _("`{workload}` ≤ {ratio:.1f}× PyTorch").format(workload=self.workload, ratio=self.max_ratio)
        if self.min_peak is not None:
            s += _(" and ≥ {percent:.0f}% of the GEMM peak").format(percent=100 * self.min_peak)
        if self.less_memory:
            s += _(", with less memory")
        return s

    def explanation(self, threads: int | None) -> str:
        """What limits minigrad on this workload, in the current language (with one thread per library,
        how each spreads its work over cores does not apply)."""
        parts = [_(self.why)] + ([_(_THREADS)] if self.threads_note and threads != 1 else [])
        return _sentences(parts)


_SMALL = ("At these sizes a step is a few hundred NumPy calls on arrays of a few thousand numbers: the time goes to "
          "Python and to each call's fixed cost, which PyTorch's fused C++ kernels do not pay.")
_THREADS = ("NumPy runs elementwise work (layer norm, softmax, ReLU, exp, Adam) on one core, while PyTorch spreads it "
            "over all of them; only the matrix products use both cores in both libraries.")
GOALS = [
    Goal("seed_lstm_step", 0.8, "At batch 100 and 20 hidden units the LSTM op makes 17 NumPy calls per time step (10 "
         "forward, 7 backward), each on 2,000 to 8,000 numbers, where a call's fixed cost is about as large as its "
         "arithmetic, and its matrix products ((100 x 20) by (20 x 80)) are too small for BLAS to run near its peak. "
         "PyTorch's fused cell does a step's gate math in one pass."),
    Goal("seed_rnn_step", 0.7, _SMALL),
    Goal("seed_gru_step", 0.7, _SMALL),
    Goal("seed_transformer_step", 0.8, "The feed-forward layer's (2,000 x 2,048) activations dominate: elementwise passes "
         "over them, and matrix products with an inner size of 20, which no BLAS runs near its peak.", threads_note=True),
    Goal("encoder_d512_step", 0.9, "Most of the step is matrix products (the floor column gives their share at the "
         "peak), at the rate of NumPy's BLAS here (see the BLAS line above). The forward pass's activations come from fresh pages every step, about 7,000 page faults a step, in "
         "layer norm, the linear layers, attention and the residual adds (the feed-forward block and the recurrent "
         "ops reuse their buffers).",
         min_peak=0.6, threads_note=True),
    Goal("lstm_large", 1.0, "Matrix products are about 80% of the step (the floor column gives their share at the peak), "
         "at the rate of NumPy's BLAS here (see the BLAS line above); PyTorch's BLAS is not held back that way. The "
         "loop is sequential: 128 steps, forward and again backward, each a (64 x 256) by (256 x 1,024) product and "
         "about ten NumPy passes over the gates, which run on one core while PyTorch's fused gate kernels use all of "
         "them."),
    Goal("attention_T2048", 1.0, "Tiled attention is matrix products for about 80% of its time: seven (T x 64) by "
         "(64 x block)-sized ones per key block, forward and backward (which recomputes the weights, as PyTorch's "
         "fused kernel does), at NumPy's BLAS rate for such thin products. The rest are NumPy passes over each block "
         "of scores (exp, products, maxima) that PyTorch fuses into its kernel; both libraries run the (batch x head) "
         "slices on all cores.", less_memory=True),
]


def _sentences(parts: list) -> str:
    """Sentences as one paragraph: a space between them in English, none in Chinese."""
    return ("" if i18n.current() == "zh" else " ").join(p for p in parts if p)


def _blas_lines(m: dict) -> list:
    """What NumPy's BLAS ran, and the environment variables that chose it (runs before this was recorded: none)."""
    blas = m.get("blas") or {}
    if not blas:
        return []
    lines = [_("NumPy's BLAS: {api} {version}, {architecture} kernels.").format(
        api=blas.get("internal_api", "?"), version=blas.get("version", ""), architecture=blas.get("architecture") or _("unknown"))]
    env = m.get("blas_env") or {}
    if env:
        lines.append(_("The environment sets {variables}.").format(variables=_(", ").join(f"`{k}={v}`" for k, v in env.items())))
    if "OPENBLAS_CORETYPE" in env and m.get("blas_detected") and m["blas_detected"] != blas.get("architecture"):
        lines.append(_("`OPENBLAS_CORETYPE` makes OpenBLAS run those kernels instead of the {detected} ones it picks for this "
                       "CPU without it, so NumPy's matrix products (and the peak below) are those of the older kernels; "
                       "PyTorch's own BLAS does not read the variable.").format(detected=m["blas_detected"]))
    return lines


def markdown(data: dict) -> str:
    """The page ``docs/performance.md`` in the current language (one line per paragraph, so that each is one
    message of the Chinese edition's catalog): every number in it comes from ``data``."""
    peak = data["gemm_peak_gflops"]
    m = data["machine"]
    load = data["load_average"]
    threads = data.get("threads")
    machine = (_("Machine: {cpu}, {cores} cores, Python {python}, NumPy {numpy}, PyTorch {torch}.") if "torch" in m else
               _("Machine: {cpu}, {cores} cores, Python {python}, NumPy {numpy}, PyTorch not installed.")).format(
        cpu=m["cpu"], cores=m["cores"], python=m["python"], numpy=m["numpy"], torch=m.get("torch"))
    floor_above = any(w["floor_s"] and w["floor_s"] > w["minigrad"]["median_s"] * 1.001 for w in data["workloads"].values())
    lines = [
        "# " + _("Performance"),
        "",
        _("Generated by `{command} --write-docs`; do not edit by hand: every number on this page comes from that run, "
          "and the raw data are in `docs/performance.json`.").format(command=data["command"]),
        "",
        "## " + _("How it is measured"),
        "",
        _("Each library runs alone in its own process (a minigrad process never imports PyTorch, so two thread pools "
          "never compete). For each workload, {pairs} pairs of processes run one after the other, minigrad and PyTorch "
          "alternating (the order flips from pair to pair). A process builds the workload, runs it once (warm-up), then "
          "takes {samples} timed samples and reports their median. The tables give, per library, the median over pairs "
          "and the spread (lowest to highest); the ratio is the median over pairs of minigrad's time ÷ PyTorch's time in "
          "the same pair: below 1, minigrad is faster. PyTorch runs as a user would run it: its own fused "
          "`nn.LSTM`/`nn.GRU`/`nn.RNN` and `scaled_dot_product_attention` on 4-D (batch, heads, T, E) inputs.").format(
            pairs=data["pairs"], samples=data["samples"]),
        "",
        (_("**Threads**: {threads} per library in this run (`--threads {threads}` sets `OMP_NUM_THREADS`, "
           "`OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS` and `MINIGRAD_NUM_THREADS` for every process), not the defaults "
           "a user gets: on a machine shared with other work, libraries that spread each operation over all cores wait "
           "for threads the scheduler has set aside, and the times then measure the load more than the code.").format(
            threads=threads)
         if threads else _("**Threads**: each library's defaults (all cores), as a user gets them.")),
        "",
        _("The **floor** is the workload's floating-point operations at the matrix-multiply peak measured in the same "
          "run (the `gemm` workload, the faster library's median): no implementation can beat it by much, and the ratio "
          "of floor to time is the fraction of that peak reached."),
        "",
        _("**Memory**: *RSS* is the process's peak resident memory while it runs the workload, above what it held just "
          "before the first call (the largest over pairs); *traced* is the peak of NumPy's allocations during one call, "
          "as `tracemalloc` sees them (minigrad only: PyTorch allocates outside Python's allocator)."),
        "",
        _sentences([machine, *_blas_lines(m), _(
            "Run started {started} UTC and took {minutes:.0f} min; load average (1, 5, 15 min) {start} at the start and "
            "{end} at the end.").format(started=data["started_utc"], minutes=data["duration_s"] / 60,
                                         start=_load(load["start"]), end=_load(load["end"])),
            _("A load above the number of cores means other processes shared the machine: times then spread, and the "
              "ratios of alternating pairs are the steadier figure."),
            _("Under such load, thread pools that use all cores (OpenBLAS's in NumPy, OpenMP's in PyTorch) also wait for "
              "threads the scheduler has set aside, so with the default threads the times are those of a shared machine.")]),
        "",
        _sentences([_("Matrix-multiply peak in this run (float32): {peak:.0f} GFLOP/s.").format(peak=peak) if peak
                    else _("No matrix-multiply peak in this run."),
                    _("A floor above 100% of a workload's time means that the `gemm` processes met a busier machine than "
                      "that workload's did: with a load above the number of cores, the floor is only indicative.")
                    if floor_above else ""]),
        "",
        "![{alt}](performance-ratios.png)".format(alt=_("minigrad ÷ PyTorch time per workload")),
        "",
        "![{alt}](performance-scaling.png)".format(alt=_("time against sequence length")),
        "",
        "## " + _("Goals"),
        "",
        "| " + " | ".join((_("goal"), _("measured"), _("met"))) + " |",
        "|---|---|---|",
    ]
    misses = []
    for g in GOALS:
        met, what = g.check(data)
        lines.append(f"| {g.text()} | {what} | {_('yes') if met else _('no') if met is False else '—'} |")
        if met is False:
            misses.append(f"- `{g.workload}` ({what}): {g.explanation(threads)}")
    if misses:
        lines += ["", _("Where a goal is not met, what limits minigrad:"), ""] + misses
    head = (_("workload"), _("what is timed"), "minigrad", "PyTorch", _("ratio"), _("floor (% of minigrad's time)"),
            _("minigrad memory: traced, RSS"), _("PyTorch RSS"))
    lines += ["", "## " + _("Results"), "", "| " + " | ".join(head) + " |", "|---|---|---|---|---|---|---|---|"]
    for name, w in data["workloads"].items():
        mg, th = w["minigrad"], w.get("pytorch")
        floor = f"{fmt_time(w['floor_s'])} ({100 * w['floor_s'] / mg['median_s']:.0f}%)" if w["floor_s"] else "—"
        ratio = f"{w['ratio']:.2f}" if w["ratio"] is not None else "—"
        lines.append(f"| `{name}` | {_(w['description'])} | {_time(mg)} | {_time(th) if th else '—'} | {ratio} | {floor} "
                     f"| {fmt_bytes(mg['traced_peak_bytes'])}, {fmt_bytes(mg['rss_step_bytes'])} "
                     f"| {fmt_bytes(th['rss_step_bytes']) if th else '—'} |")
    return "\n".join(lines) + "\n"


def messages(page: str) -> list:
    """The messages of a Markdown page as Sphinx's gettext splits it (headings, paragraphs, list items,
    table cells, image alt texts), in order; a paragraph's lines joined by a space."""
    out: list = []
    for block in re.split(r"\n\s*\n", page.strip()):
        lines = block.splitlines()
        if block.startswith("#"):
            out.append(block.lstrip("#").strip())
        elif block.startswith("|"):
            for line in lines:
                if not re.fullmatch(r"\|(?:-+\|)+", line):
                    out += [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        elif block.startswith("- "):
            out += [line[2:] for line in lines]
        else:
            out.append(" ".join(line.strip() for line in lines))
            out += re.findall(r"!\[([^\]]*)\]", block)
    return out


def catalog(english: str, chinese: str) -> str:
    """The Sphinx catalog (``.po``) that turns the English page into the Chinese one: each message paired with
    its rendering in the other language (the two renderings have the same structure); a message that
    reads the same in both is left out."""
    en, zh = messages(english), messages(chinese)
    if len(en) != len(zh):
        raise ValueError(f"the English and Chinese pages split into {len(en)} and {len(zh)} messages")
    entries: dict = {}
    for msgid, msgstr in zip(en, zh):
        if msgid != msgstr and msgid not in entries:
            entries[msgid] = msgstr

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    head = ["# Chinese edition of the minigrad documentation: the page performance.md.",
            "# Written with it by python -m benchmarks (benchmarks/report.py); do not edit by hand: the words are",
            "# translated in lessons/locale/zh_CN/LC_MESSAGES/benchmarks.po.",
            'msgid ""', 'msgstr ""', '"Project-Id-Version: minigrad\\n"', '"Language: zh_CN\\n"', '"MIME-Version: 1.0\\n"',
            '"Content-Type: text/plain; charset=UTF-8\\n"', '"Content-Transfer-Encoding: 8bit\\n"', ""]
    return "\n".join(head + [f"msgid {quoted(k)}\nmsgstr {quoted(v)}\n" for k, v in entries.items()])


def _time(m: dict) -> str:
    return f"{fmt_time(m['median_s'])} ({fmt_time(m['min_s'])}–{fmt_time(m['max_s'])})"


def _load(x: list | None) -> str:
    return ", ".join(f"{v:.1f}" for v in x) if x else _("unknown")


def figures(data: dict, ratios_png: Path, scaling_png: Path) -> None:
    """The ratio per workload (bars), and time against T for the RNN and attention (log-log), 16:9, labelled
    in the current language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lessons.figures import cjk_font

    plt.rcParams.update({"font.size": 15, "axes.titlesize": 17, "axes.labelsize": 16, "legend.fontsize": 14})
    plt.rcParams["font.family"] = ["DejaVu Sans"] + ([cjk_font()] if i18n.current() == "zh" else [])
    ws = {k: w for k, w in data["workloads"].items() if w["ratio"] is not None}
    goals = {g.workload: g.max_ratio for g in GOALS}
    fig, ax = plt.subplots(figsize=(16, 9))
    names = list(ws)
    ax.barh(names, [w["ratio"] for w in ws.values()],
            color=[FASTER if w["ratio"] <= 1 else SLOWER for w in ws.values()])
    for i, n in enumerate(names):
        if n in goals:
            ax.plot([goals[n]] * 2, [i - 0.4, i + 0.4], color="k", lw=3)
    for i, w in enumerate(ws.values()):
        ax.text(w["ratio"], i, f" {w['ratio']:.2f}", va="center", fontsize=14)
    ax.axvline(1.0, color="gray", lw=1, ls="--")
    ax.set_xscale("log")  # 0.5x and 2x are equally far from 1
    ax.set_xlabel(_("minigrad time ÷ PyTorch time (median over pairs; below 1: minigrad faster; black tick: goal)"))
    ax.set_title(_("minigrad against PyTorch, each alone in its process, {pairs} alternating pair(s)").format(pairs=data["pairs"]))
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(ratios_png, dpi=100)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(16, 9))
    for ax, series, title in zip(axes, ("rnn", "attention"), (_("tanh RNN, batch 8, d = 256"),
                                                              _("self-attention, tiled (minigrad) / SDPA (PyTorch)"))):
        rows = sorted((w for w in data["workloads"].values() if w["series"] == series), key=lambda w: w["T"])
        if not rows:
            ax.axis("off")
            continue
        T = [w["T"] for w in rows]
        ax.loglog(T, [w["minigrad"]["median_s"] for w in rows], "o-", lw=2.5, ms=9, label="minigrad")
        if all("pytorch" in w for w in rows):
            ax.loglog(T, [w["pytorch"]["median_s"] for w in rows], "s--", lw=2.5, ms=9, label="PyTorch")
        if all(w["floor_s"] for w in rows):
            ax.loglog(T, [w["floor_s"] for w in rows], ":", color="gray", lw=2.5, label=_("floor (GEMM peak)"))
        ax.set_xticks(T, [str(t) for t in T])
        ax.minorticks_off()
        ax.set_xlabel(_("sequence length T"))
        ax.set_ylabel(_("forward + backward time (s)"))
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(scaling_png, dpi=100)
    plt.close(fig)


def write(data: dict, out: Path) -> list:
    """``performance.md``, ``performance.json``, the two figures and the Chinese edition's catalog of the page
    (``locale/zh_CN/LC_MESSAGES/performance.po``) and figures (``performance-*.zh_CN.png``, which Sphinx shows
    in that edition in place of the English ones; only where a Chinese font is installed) into the folder
    ``out``; returns their paths."""
    from lessons.figures import cjk_font

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "performance.md", out / "performance.json", out / "performance-ratios.png", out / "performance-scaling.png",
             out / "locale" / "zh_CN" / "LC_MESSAGES" / "performance.po"]
    language = i18n.current()
    try:
        i18n.use("en")
        english = markdown(data)
        figures(data, paths[2], paths[3])
        i18n.use("zh")
        chinese = markdown(data)
        if cjk_font() is not None:
            paths += [out / "performance-ratios.zh_CN.png", out / "performance-scaling.zh_CN.png"]
            figures(data, paths[5], paths[6])
    finally:
        i18n.use(language)
    paths[0].write_text(english, encoding="utf-8")
    paths[1].write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    paths[4].parent.mkdir(parents=True, exist_ok=True)
    paths[4].write_text(catalog(english, chinese), encoding="utf-8")
    return paths
