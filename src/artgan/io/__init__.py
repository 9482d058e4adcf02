"""Files: atomic writes, images, plots, checkpoints, weight files, caches, JSONL logs.

Everything artgan writes that a crash must not leave half-written goes through
:func:`artgan.io.atomic.atomic_write`.
"""
