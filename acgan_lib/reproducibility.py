"""Repeatable runs: what a seed fixes, and what it cannot.

Two things are repeatable, on the same machine with the same library versions:

* **Generation.** :func:`acgan_lib.models.generate` and :func:`acgan_lib.viz.sample_grid` draw
  their noise with ``numpy.random.default_rng(seed)``, so the same seed and the same weights
  (the same checkpoint or ``weights.npz``) give the same images, and ``save_png`` the same bytes::

      gan, _ = load_run("runs/acgan")
      save_png(sample_grid(gan.generator, seed=0), "a.png")   # byte-identical on every call

* **Training.** :func:`make_repeatable` seeds Python, NumPy and TensorFlow (weight
  initialisation) and can switch TensorFlow to deterministic kernels. The training noise is
  drawn with stateless ops from ``(seed, step)`` and the data are shuffled with a fixed seed, so
  two runs with the same seed see the same batches and the same noise; on a CPU they then compute
  the same losses, step after step, and a run resumed from a checkpoint continues exactly where
  the interrupted one would have gone (``tests/test_reliability.py`` checks both).

Limits:

* On a **GPU**, cuDNN convolutions and atomic-add reductions may sum in a different order from
  run to run, so two runs with the same seed can drift apart: first in the last digits of the
  losses, then, as GAN training amplifies small differences, in the pictures.
  ``deterministic_ops=True`` (``--deterministic`` on the command line) asks TensorFlow for
  deterministic kernels; an op without one then raises ``UnimplementedError`` instead of
  running, and training is slower. Even so, results are only repeatable on the same GPU model,
  driver and TensorFlow version. (This is TensorFlow's documented behaviour; the course's tests
  run on a CPU and do not measure it.)
* **XLA** (``jit_compile=True``, the default) compiles the step for the device and TensorFlow
  version at hand; another device or version may compile it differently. For bit-for-bit
  comparisons keep the machine, the versions and the XLA setting the same (the tests use
  ``--no-xla``, which also saves the compile time).
* Deterministic kernels are not the default ones, so a run with ``deterministic_ops=True`` and
  one without differ slightly, even on a CPU. Compare like with like.
* Op determinism is a switch for the whole Python process; it cannot be turned off again.
"""

from __future__ import annotations

from acgan_lib.validation import check_seed


def make_repeatable(seed: int, deterministic_ops: bool = False) -> None:
    """Seed Python, NumPy and TensorFlow with ``seed``; optionally use deterministic kernels.

    ``deterministic_ops=True`` calls ``tf.config.experimental.enable_op_determinism()`` (for the
    rest of the process). Call this before building the models.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(check_seed(seed))
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
