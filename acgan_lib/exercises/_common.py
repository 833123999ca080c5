"""What every checker shares: the result it returns, calling the student's code safely, and
comparing numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import keras
import numpy as np

from acgan_lib.validation import shorten

PASS, FAIL, NOTE = "pass", "fail", "note"
_SYMBOL = {PASS: "✓", FAIL: "✗", NOTE: "•"}


@dataclass
class CheckResult:
    """What a checker found: ``passed`` and one message per check (problems carry a hint).

    ``bool(result)`` is ``result.passed``; ``str(result)`` is the feedback as printed.
    """

    check: str
    passed: bool = True
    messages: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def ok(self, message: str) -> "CheckResult":
        return self._add(PASS, message)

    def problem(self, message: str, hint: str = "") -> "CheckResult":
        self.passed = False
        return self._add(FAIL, message + (f"\n    Hint: {hint}" if hint else ""))

    def note(self, message: str) -> "CheckResult":
        return self._add(NOTE, message)

    def _add(self, kind: str, message: str) -> "CheckResult":
        self.kinds.append(kind)
        self.messages.append(message)
        return self

    @property
    def problems(self) -> list[str]:
        """The messages of the checks that failed."""
        return [m for m, k in zip(self.messages, self.kinds) if k == FAIL]

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        n = len(self.problems)
        if self.passed:
            head = f"{self.check}: well done, every check passed."
        else:
            head = (f"{self.check}: not there yet, {n} thing{'s' if n > 1 else ''} to fix "
                    "(details below).")
        lines = [head] + [f"  {_SYMBOL[k]} {m}" for m, k in zip(self.messages, self.kinds)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        state = "passed" if self.passed else f"{len(self.problems)} problem(s)"
        return f"CheckResult({self.check}: {state})"


def _finish(result: CheckResult, verbose: bool) -> CheckResult:
    if verbose:
        print(result)
    return result


class _StudentError(Exception):
    """The student's code raised or returned nothing; the message is already recorded."""


def _call(result: CheckResult, what: str, fn: Callable, *args, **kwargs):
    """Call the student's ``fn``; turn an exception or a missing ``return`` into a message."""
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        result.problem(f"{what} is not written yet (it raises NotImplementedError).",
                       "replace the `raise NotImplementedError` line with your code, then run "
                       "this check again.")
        raise _StudentError from None
    except Exception as exc:  # the student's bug, reported rather than raised
        for marker, message, hint in _KNOWN_ERRORS:
            if marker in str(exc):
                result.problem(f"{what} raised {type(exc).__name__}: {message}", hint)
                raise _StudentError from None
        result.problem(f"{what} raised {type(exc).__name__}: {shorten(str(exc), 300)}",
                       "read the error's last line; the check calls it with the inputs "
                       "described in the exercise.")
        raise _StudentError from None
    if out is None:
        result.problem(f"{what} returned None.",
                       "did you forget the `return` statement at the end?")
        raise _StudentError
    return out


#: Errors whose Keras/TensorFlow message is less helpful than what usually causes them.
_KNOWN_ERRORS = [
    ("No gradients provided for any variable",
     "no gradient reached the variables, so the weights did not move.",
     "run the forward pass (generator *and* discriminator) inside `with tf.GradientTape() as "
     "tape:`, then take tape.gradient(loss, generator.trainable_variables)."),
    ("can only be called for the variables it was originally built with",
     "the optimizer was given variables it was not built for (another network's?).",
     "each optimizer updates one network: apply g_optimizer to "
     "generator.trainable_variables only."),
]


def _numpy(x) -> np.ndarray:
    try:
        return np.asarray(keras.ops.convert_to_numpy(x))
    except Exception:  # lists, numpy arrays, Python numbers
        return np.asarray(x)


def _close(a, b, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _scalar(result: CheckResult, value, what: str) -> float:
    arr = _numpy(value)
    if arr.size != 1:
        result.problem(f"{what} returned an array of shape {arr.shape}, not a single number.",
                       "a loss or a rate for a whole batch is one number: average over the "
                       "images (`keras.ops.mean`), or check the loss's `reduction`.")
        raise _StudentError
    return float(arr.reshape(()))
