"""Chapter 1's checker: data and set-up: scaling images."""

from __future__ import annotations

from typing import Callable

import numpy as np

from acgan_lib.data import scale_images
from acgan_lib.exercises._common import CheckResult, _call, _close, _finish, _numpy, _StudentError


def check_scaling(scale: Callable, verbose: bool = True) -> CheckResult:
    """Check ``scale(images)``: uint8 ``(n, 28, 28)`` -> float32 ``(n, 28, 28, 1)`` in [-1, 1].

    Reference: :func:`acgan_lib.data.scale_images` (``x / 127.5 - 1``).
    """
    result = CheckResult("check_scaling")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    images[0] = 0
    images[1] = 255
    images[2, :, :] = np.arange(28 * 28, dtype=np.int64).reshape(28, 28) % 256
    given = images.copy()
    expected = scale_images(images)
    try:
        out = _numpy(_call(result, "Your function", scale, given))
    except _StudentError:
        return _finish(result, verbose)
    if not np.array_equal(given, images):
        result.problem("Your function changed the images it was given (in place).",
                       "build a new array instead, e.g. `x = images.astype('float32')` first.")
    if out.shape == (6, 28, 28):
        result.problem("The output has shape (n, 28, 28): the channel axis is missing.",
                       "convolutions expect (n, 28, 28, 1): add it with `x[..., None]` "
                       "or `np.expand_dims(x, -1)`.")
        out = out[..., None]
    elif out.shape != (6, 28, 28, 1):
        result.problem(f"The output has shape {out.shape}; expected (n, 28, 28, 1) for n "
                       "input images.", "keep one image per input image and add a channel "
                       "axis; do not flatten.")
        return _finish(result, verbose)
    else:
        result.ok("shape (n, 28, 28, 1)")
    if out.dtype != np.float32:
        kind = "integers" if np.issubdtype(out.dtype, np.integer) else str(out.dtype)
        result.problem(f"The output's dtype is {out.dtype} ({kind}); the networks work in "
                       "float32.", "convert first: `images.astype('float32')`; float64 "
                       "doubles the memory and TensorFlow would have to convert it.")
    values = out.astype(np.float64)
    lo, hi = float(values[0].min()), float(values[1].max())
    ramp = values[2].ravel()
    pixel = given[2].ravel().astype(np.int64)
    order = np.argsort(pixel, kind="stable")
    if np.any(np.diff(ramp[order]) < -1e-6):
        result.problem("Brighter pixels do not always get larger values: the mapping is not "
                       "increasing, which is what integer overflow does (uint8 arithmetic "
                       "wraps around: 0 - 1 = 255).",
                       "convert to float before subtracting: `images.astype('float32') / "
                       "127.5 - 1`.")
    elif _close(values, expected, atol=1e-4):
        result.ok("0 -> -1 and 255 -> 1, linear in between: the range of tanh")
    elif abs(lo) < 1e-4 and abs(hi - 1) < 1e-4:
        result.problem("Your values are in [0, 1] (0 -> 0, 255 -> 1): you divided by 255 but "
                       "did not shift.", "the generator's tanh outputs [-1, 1], so real "
                       "images must use that range too: `x / 127.5 - 1`.")
    elif abs(lo) < 1e-4 and abs(hi - 2) < 1e-4:
        result.problem("Your values are in [0, 2] (255 -> 2): you divided by 127.5 but did "
                       "not subtract 1.", "`x / 127.5 - 1` maps 0 to -1 and 255 to 1.")
    elif abs(lo + 0.5) < 1e-3 and abs(hi - 0.5) < 1e-3:
        result.problem("Your values are in [-0.5, 0.5]: you centred the pixels but divided by "
                       "255.", "divide by half the range, 127.5, to reach [-1, 1].")
    elif abs(lo + 1) < 1e-4 and abs(hi - 1) > 1e-4:
        result.problem(f"0 maps to -1 but 255 maps to {hi:.4g}, not 1.",
                       "use 127.5 (half of 255), not 128: `x / 127.5 - 1`.")
    else:
        result.problem(f"0 maps to {lo:.4g} and 255 to {hi:.4g}; expected -1 and 1.",
                       "the formula is `x / 127.5 - 1` (equivalently `(x - 127.5) / 127.5`).")
    return _finish(result, verbose)
