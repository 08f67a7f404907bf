"""The accelerators and precisions training accepts (no torch or Lightning import, so
option parsing and help can list them without paying for either)."""

from __future__ import annotations

__all__ = ["ACCELERATORS", "PRECISIONS"]

PRECISIONS = ("32-true", "32", "64-true", "16-mixed", "bf16-mixed")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")
