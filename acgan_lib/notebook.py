"""Small helpers shared by the course notebooks: the run mode and gluing numbers into prose.

Every chapter starts with::

    from acgan_lib.notebook import glue, run_mode
    RUN_MODE = run_mode()

``run_mode()`` is ``"smoke"`` when the environment variable ``CI`` is set (continuous
integration: tiny live demos that only prove the code runs), ``"full"`` on a machine with a GPU,
and ``"cpu"`` otherwise (demos of a few minutes). ``ACGAN_RUN_MODE`` overrides the choice.
The chapters' main results never depend on the mode: they come from the shipped checkpoints.

:func:`glue` is myst-nb's ``glue`` when myst-nb is installed (building the book), so that the
prose can quote computed numbers with ``{glue:text}`name```; elsewhere (Colab, plain Jupyter)
it prints the value, so a reader still sees the number the sentence refers to.
"""

from __future__ import annotations

import os

RUN_MODES = ("smoke", "cpu", "full")
ENV_RUN_MODE = "ACGAN_RUN_MODE"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no")


def has_gpu() -> bool:
    """Whether TensorFlow sees at least one GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def run_mode(environ: dict | None = None, gpu: bool | None = None) -> str:
    """``"smoke"`` if ``$CI`` is set, else ``"full"`` with a GPU, else ``"cpu"``.

    ``$ACGAN_RUN_MODE`` (one of ``smoke``, ``cpu``, ``full``) takes precedence over both.
    """
    environ = os.environ if environ is None else environ
    chosen = (environ.get(ENV_RUN_MODE) or "").strip().lower()
    if chosen:
        if chosen not in RUN_MODES:
            raise ValueError(f"{ENV_RUN_MODE}={chosen!r} is not a run mode; use one of "
                             f"{', '.join(RUN_MODES)}, or unset it to choose automatically")
        return chosen
    if _truthy(environ.get("CI")):
        return "smoke"
    return "full" if (has_gpu() if gpu is None else gpu) else "cpu"


def glue(name: str, value, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the book's ``{glue:text}`` roles (or print it).

    Returns nothing, so that a cell ending with ``glue(...)`` shows no stray output.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        print(f"[{name}] {value}")
        return
    myst_glue(name, value, display=display)
