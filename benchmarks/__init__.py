"""minigrad's benchmark suite: every workload timed for minigrad and, when installed, PyTorch in one run.

``python -m benchmarks`` runs them and writes ``docs/performance.md`` and ``docs/performance.png``.
Timings are measured here, never asserted in tests.
"""
