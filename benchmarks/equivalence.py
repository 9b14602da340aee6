"""The equivalence check of the train-step benchmark: two cases that run the same network from the same
parameters on the same data must give the same losses *at the same steps*. No JAX, no torch."""
from __future__ import annotations

import math

STEPS = 2      # losses at steps 0 and 1: the initial point, and after one optimizer update
RTOL = 1e-4    # same-step float32 peers agree to ~1e-6; one step of offset differs by 5e-3..0.2


def equivalence(ref_losses, losses, steps: int = STEPS, rtol: float = RTOL) -> dict:
    """Compare two cases' losses at steps ``0..steps-1``; fewer than ``steps`` losses fails."""
    a = [float(v) for v in ref_losses[:steps]]
    b = [float(v) for v in losses[:steps]]
    k = min(len(a), len(b))
    diff = max((abs(x - y) / abs(x) for x, y in zip(a, b)), default=math.nan)
    return {"steps": list(range(k)), "losses_a": a[:k], "losses_b": b[:k],
            "max_rel_diff": diff, "rtol": rtol, "passed": bool(k == steps and diff <= rtol)}


def passed(check: dict) -> bool:
    """A stored check's verdict; a check written before verdicts were stored is judged by ``RTOL``."""
    return bool(check["passed"]) if "passed" in check else check["max_rel_diff"] <= RTOL
