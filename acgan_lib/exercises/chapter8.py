"""Chapter 8's checker: the difference between two arms' seeds."""

from __future__ import annotations

from typing import Callable

import numpy as np

from acgan_lib.exercises._common import CheckResult, _call, _close, _finish, _StudentError


def check_seed_difference(seed_difference: Callable, verbose: bool = True) -> CheckResult:
    """Check ``seed_difference(a, b)``: the difference of the means of two arms' per-seed
    values and its standard error, ``sqrt(var(a) / len(a) + var(b) / len(b))`` with sample
    variances (``ddof=1``): how sure a comparison across training runs can be."""
    result = CheckResult("check_seed_difference")
    fn = "Your function"
    cases = [([0.66, 0.87, 0.73], [0.908, 0.927, 0.918]),  # acgan vs cgan-concat, roughly
             ([0.95, 0.97, 0.92, 0.96], [0.94, 0.95]), ([1.0, 3.0], [2.0, 2.0, 2.0])]
    try:
        for a, b in cases:
            a_, b_ = np.array(a), np.array(b)
            expected = (a_.mean() - b_.mean(),
                        float(np.sqrt(a_.var(ddof=1) / len(a) + b_.var(ddof=1) / len(b))))
            out = _call(result, fn, seed_difference, list(a), list(b))
            try:
                diff, error = (float(v) for v in out)
            except (TypeError, ValueError):
                result.problem(f"Your function returned {out!r}; expected two numbers, "
                               "(difference, standard error).", "return diff, error")
                raise _StudentError
            if not _close(diff, expected[0]):
                hint = ("mean(a) - mean(b), in that order" if _close(diff, -expected[0])
                        else "the difference of the two means")
                result.problem(f"For a={a} and b={b} the difference is {diff:.4g}; expected "
                               f"{expected[0]:.4g}.", hint + ".")
                raise _StudentError
            if _close(error, expected[1]):
                continue
            population = float(np.sqrt(a_.var() / len(a) + b_.var() / len(b)))
            added = a_.std(ddof=1) / np.sqrt(len(a)) + b_.std(ddof=1) / np.sqrt(len(b))
            if _close(error, population):
                result.problem("Your standard error uses the population variance (ddof=0): "
                               "with three seeds it is too small by a factor of about 0.8.",
                               "use the sample variance, np.var(x, ddof=1).")
            elif _close(error, expected[1] ** 2):
                result.problem("Your function returns the variance of the difference, not its "
                               "standard error.", "take the square root.")
            elif _close(error, added):
                result.problem("Your function adds the two standard errors; independent "
                               "errors add in quadrature.",
                               "sqrt(se_a ** 2 + se_b ** 2), with se = std / sqrt(n).")
            else:
                result.problem(f"For a={a} and b={b} the standard error is {error:.4g}; "
                               f"expected {expected[1]:.4g}.",
                               "sqrt(var(a) / len(a) + var(b) / len(b)), sample variances.")
            raise _StudentError
        result.ok("the difference of the means, mean(a) - mean(b)")
        result.ok("its standard error from the sample variances (ddof=1), for unequal "
                  "numbers of seeds too")
    except _StudentError:
        pass
    return _finish(result, verbose)
