"""Chapter 5's reading of the Keras 3 rule: when ``trainable`` is read (a retrace reads it
again), and the warning for a changed trainable state that cannot fire.

:func:`retrace_experiment` trains a fresh article discriminator with ``train_on_batch`` at
several batch sizes, freezing it after the first call, and measures each call's weights before
and after (runs on Keras 3 here and on Keras 2 in the subprocess). :func:`keras3_source` reads
the installed Keras 3 source with :mod:`inspect` and checks the lines the chapter quotes;
:func:`changed_state_warning` shows that the warning is not issued. Keras is imported inside
the functions: the Keras 2 subprocess imports this package and must not import Keras 3.
"""

from __future__ import annotations

import inspect
import logging
import re
import warnings
from types import ModuleType

import numpy as np

from acgan_lib.article import ARTICLE_LOSSES, build_article_discriminator
from acgan_lib.instrument import checksum, moved, snapshot

#: (batch size as a fraction of the batch, frozen before the call): compile, train, freeze,
#: then train at a new batch size (a retrace), a third (the relaxed trace) and the first again.
RETRACE_CALLS = ((1, False), (1, True), (2, True), (4, True), (1, True))


def retrace_experiment(keras: ModuleType, images: np.ndarray, labels: np.ndarray,
                       seed: int = 0) -> list[dict]:
    """One row per ``train_on_batch`` of :data:`RETRACE_CALLS` on a fresh, compiled article
    discriminator: batch size, frozen or not, fingerprints before and after, distance moved,
    and the warnings the call issued (Keras 3 warns when it traces a step with no weights)."""
    keras.utils.set_random_seed(seed)
    d = build_article_discriminator(keras)
    params = list(d.trainable_weights)  # listed before any freeze
    d.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), loss=ARTICLE_LOSSES)
    x, y = np.asarray(images, np.float32), np.asarray(labels).reshape(-1, 1)
    rows = []
    for call, (divisor, frozen) in enumerate(RETRACE_CALLS, 1):
        n = len(x) // divisor
        d.trainable = not frozen
        before = snapshot(params)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d.train_on_batch(x[:n], [np.ones((n, 1), np.float32), y[:n]])
        after = snapshot(params)
        rows.append({"call": call, "batch_size": n, "frozen": frozen,
                     "sha_before": checksum(before)["sha256"][:8],
                     "sha_after": checksum(after)["sha256"][:8],
                     "moved": moved(before, after),
                     "warnings": sorted({str(w.message) for w in caught})})
    return rows


def retrace_table(results: list[dict]) -> str:
    """Markdown: one row per call, one column per Keras version (``results``: the
    :func:`acgan_lib.freezing.freezing_experiment` results, with their ``retrace`` rows)."""
    names = [f"Keras {r['versions']['keras']}" for r in results]
    lines = ["| call | batch | frozen | " + " | ".join(f"{n}: moved" for n in names)
             + " | Keras 3's warning |", "|---:|---:|:---:|" + "---:|" * len(names) + "---|"]
    for i, row in enumerate(results[0]["retrace"]):
        cells = [f"{r['retrace'][i]['moved']:.3g}" for r in results]
        warned = "; ".join(results[0]["retrace"][i]["warnings"]) or "none"
        lines.append(f"| {row['call']} | {row['batch_size']} | "
                     f"{'yes' if row['frozen'] else 'no'} | " + " | ".join(cells)
                     + f" | {warned} |")
    return "\n".join(lines)


def _lines(function) -> list[str]:
    return [line.strip() for line in inspect.getsource(function).splitlines()]


def keras3_source() -> dict:
    """What the installed Keras 3 source says, read with :mod:`inspect` and checked: a dict of
    facts (each ``True`` when the source still reads as the chapter quotes it), the file and
    function of each, and the warning's text."""
    import keras
    from keras.src.backend.tensorflow import trainer as tf_trainer
    from keras.src.trainers import trainer

    compile_ = _lines(trainer.Trainer.compile)
    step = _lines(tf_trainer.TensorFlowTrainer.train_step)
    asserted = _lines(trainer.Trainer._assert_compile_called)
    warn = inspect.getsource(trainer.Trainer._warn_if_trainable_state_changed)
    text = "".join(re.findall(r'^\s*f?"(.*)",?\s*$', warn.split("warnings.warn(")[1], re.M))
    call = "self._warn_if_trainable_state_changed()"
    after_raise = call in asserted and asserted[asserted.index(call) - 1] == "raise ValueError(msg)"
    callers = [name for name, member in inspect.getmembers(trainer.Trainer, inspect.isfunction)
               if call in inspect.getsource(member)]
    return {
        "keras": keras.__version__,
        "compile_stores_state": "self._compiled_trainable_state = {" in compile_,
        "compile_drops_train_function": "self.train_function = None" in compile_,
        "train_step_reads_trainable_weights": "trainable_weights = self.trainable_weights" in step,
        "warning_only_after_raise": after_raise and callers == ["_assert_compile_called"],
        "warning_text": text.replace("{changed_layers}", "[...]"),
        "where": {"compile": "keras/src/trainers/trainer.py, Trainer.compile",
                  "train_step": "keras/src/backend/tensorflow/trainer.py, "
                                "TensorFlowTrainer.train_step",
                  "warning": "keras/src/trainers/trainer.py, Trainer._assert_compile_called"},
        "assert_compile_called": inspect.getsource(trainer.Trainer._assert_compile_called),
    }


def changed_state_warning(images: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict:
    """Compile a Keras 3 article discriminator, freeze it, call ``train_on_batch``: the
    warnings and warning-level log records issued (Keras' changed-state warning is not)."""
    import keras

    keras.utils.set_random_seed(seed)
    d = build_article_discriminator(keras)
    d.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), loss=ARTICLE_LOSSES)
    d.trainable = False  # the trainable state changes after compile
    records: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    logging.getLogger().addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            n = len(images)
            d.train_on_batch(np.asarray(images, np.float32),
                             [np.ones((n, 1), np.float32), np.asarray(labels).reshape(-1, 1)])
    finally:
        logging.getLogger().removeHandler(handler)
    issued = sorted({str(w.message) for w in caught}) + records
    return {"issued": issued,
            "changed_state_warned": any("`trainable` state has changed" in m for m in issued)}
