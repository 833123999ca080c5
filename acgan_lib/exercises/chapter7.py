"""Chapter 7's checker: a loss averaged over replicas."""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf

from acgan_lib.exercises._common import CheckResult, _call, _close, _finish, _scalar, _StudentError


def check_distributed_loss(replica_loss: Callable, verbose: bool = True) -> CheckResult:
    """Check ``replica_loss(per_image_losses, global_batch_size)`` for ``tf.distribute``.

    Each replica sees ``global_batch_size / replicas`` images; their gradients are *summed*
    across replicas, so each replica must return ``sum(per_image_losses) / global_batch_size``
    (what ``tf.nn.compute_average_loss`` does), not the mean of its own images.
    """
    result = CheckResult("check_distributed_loss")
    fn = "Your function"
    rng = np.random.default_rng(0)
    try:
        for local, global_batch in ((8, 32), (16, 32), (64, 64)):
            losses = rng.uniform(0.1, 2.0, local).astype(np.float32)
            expected = float(losses.sum() / global_batch)
            value = _scalar(result, _call(result, fn, replica_loss, tf.constant(losses),
                                          global_batch), fn)
            if _close(value, expected):
                continue
            replicas = global_batch // local
            if _close(value, losses.mean()):
                result.problem(f"Your function averages over the replica's own {local} images. "
                               f"With {replicas} replicas the gradients are summed across "
                               f"them, so this makes the step {replicas} times too large.",
                               "divide the sum by the *global* batch size: "
                               "tf.nn.compute_average_loss(losses, global_batch_size=...).")
            elif _close(value, losses.sum()):
                result.problem("Your function returns the sum of the losses, not divided by "
                               "anything: the step grows with the batch size.",
                               "divide by the global batch size.")
            else:
                result.problem(f"For {local} images per replica and a global batch of "
                               f"{global_batch} your function gives {value:.5g}; expected "
                               f"{expected:.5g} (sum / global batch size).",
                               "sum the per-image losses and divide by global_batch_size.")
            raise _StudentError
        result.ok("sum / global batch size, for 4, 2 and 1 replica(s)")
    except _StudentError:
        pass
    return _finish(result, verbose)
