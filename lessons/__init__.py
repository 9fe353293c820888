"""minigrad's lessons: the source documents' worked examples and programs, reproduced and checked.

``python -m lessons`` lists them; ``python -m lessons NAME`` runs one; see ``python -m lessons --help``.
Each lesson is a percent-format script (``# %%`` cells); ``python -m lessons notebooks DIR`` makes each a notebook.
"""
