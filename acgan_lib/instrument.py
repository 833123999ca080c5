"""Watching Keras do its work: which variables an optimizer updates, who toggles ``trainable``.

The exercise checkers (chapter 5) and the article experiments need to see *inside* a student's
or the article's training step: did the generator's optimizer touch the discriminator's
weights? Was ``discriminator.trainable`` switched off and on? Keras has no public hook for
either, so this module is the one place that reaches into Keras, each way as small as possible:

* :func:`recording_updates` wraps the optimizer's ``apply`` (every ``apply_gradients`` of
  Keras 3 goes through it) with an instance attribute, and reads the optimizer's private
  ``_trainable_variables`` when ``apply`` is called without a variable list;
* :func:`recording_trainable` swaps the model's class for a subclass whose ``trainable``
  setter also logs the value;
* :func:`measuring_updates` wraps ``apply_gradients`` (public) to measure how far each network
  moved in each update (:func:`snapshot`, :func:`moved`, :func:`checksum`: the one measure of
  "moved", numpy only, so the Keras 2 subprocess of :mod:`acgan_lib.freezing` uses it too);
* :func:`in_distribute_scope` reads a model's private ``_distribute_strategy``.

Every wrapper is removed on exit, whatever happens. :func:`check_keras` verifies that the
installed Keras still works the way these rely on and, if not, fails with a message that names
the Keras version (``tests/test_instrument.py`` runs it, so a Keras upgrade that breaks them
fails the build loudly instead of making a checker silently wrong).
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np


class KerasChanged(RuntimeError):
    """The installed Keras no longer works the way :mod:`acgan_lib.instrument` relies on."""


def _fail(what: str) -> None:
    import keras

    raise KerasChanged(f"acgan_lib.instrument relies on {what}, which Keras {keras.__version__} "
                       "no longer provides; update acgan_lib/instrument.py for this version "
                       "(the exercise checkers of chapter 5 and the article experiments use it)")


def check_keras() -> None:
    """Raise :class:`KerasChanged` unless the Keras internals used here are still there."""
    import keras

    optimizer = keras.optimizers.Adam()
    apply = getattr(type(optimizer), "apply", None)
    if apply is None or "trainable_variables" not in inspect.signature(apply).parameters:
        _fail("Optimizer.apply(grads, trainable_variables=None)")
    variable = keras.Variable(np.ones(2, np.float32))
    optimizer.build([variable])
    if [id(v) for v in getattr(optimizer, "_trainable_variables", [])] != [id(variable)]:
        _fail("the private Optimizer._trainable_variables list of a built optimizer")
    with recording_updates(optimizer) as updated:
        optimizer.apply_gradients([(np.ones(2, np.float32), variable)])
    if updated != {id(variable)}:
        _fail("Optimizer.apply_gradients calling self.apply")
    trainable = getattr(keras.layers.Layer, "trainable", None)
    if not isinstance(trainable, property) or trainable.fset is None:
        _fail("Layer.trainable as a property with a setter")


@contextmanager
def recording_updates(optimizer) -> Iterator[set[int]]:
    """Yield a set that collects the ``id`` of every variable ``optimizer`` is asked to update
    (with a gradient that is not ``None``); the optimizer works exactly as before."""
    updated: set[int] = set()
    original = optimizer.apply

    def apply(grads, trainable_variables=None):
        grads = list(grads)
        if trainable_variables is None:
            variables = list(getattr(optimizer, "_trainable_variables", []))
        else:
            trainable_variables = variables = list(trainable_variables)
        updated.update(id(v) for g, v in zip(grads, variables) if g is not None)
        return original(grads, trainable_variables)

    object.__setattr__(optimizer, "apply", apply)  # Keras' __setattr__ would track it
    try:
        yield updated
    finally:
        try:
            object.__delattr__(optimizer, "apply")
        except AttributeError:
            pass


@contextmanager
def recording_trainable(model) -> Iterator[list[bool]]:
    """Yield a list that collects every value assigned to ``model.trainable``."""
    assignments: list[bool] = []
    base = type(model)

    def setter(obj, value):
        assignments.append(bool(value))
        base.trainable.fset(obj, value)

    model.__class__ = type(base.__name__, (base,),
                           {"trainable": property(base.trainable.fget, setter)})
    try:
        yield assignments
    finally:
        model.__class__ = base


@contextmanager
def measuring_updates(optimizers: dict, networks: dict,
                      record: Callable[[str, dict], None]) -> Iterator[None]:
    """While inside, each ``apply_gradients`` of ``optimizers[name]`` calls
    ``record(name, {"<network>_parameters_moved": float, ...})``: how far (the
    Euclidean distance between the values before and after) each network's
    ``networks[network]`` variables moved in that update; 0.0 means bit-for-bit unchanged."""

    def wrap(name, optimizer):
        original = optimizer.apply_gradients

        def apply_gradients(grads_and_vars, *args, **kwargs):
            before = {n: snapshot(vs) for n, vs in networks.items()}
            out = original(grads_and_vars, *args, **kwargs)
            record(name, {f"{n}_parameters_moved": moved(before[n], snapshot(vs))
                          for n, vs in networks.items()})
            return out
        return apply_gradients

    for name, optimizer in optimizers.items():
        optimizer.apply_gradients = wrap(name, optimizer)
    try:
        yield
    finally:
        for optimizer in optimizers.values():
            try:
                del optimizer.apply_gradients  # back to the class's method
            except AttributeError:
                pass


def snapshot(variables: Sequence[Any]) -> list[np.ndarray]:
    """Copies of the variables' current values."""
    return [np.array(v.numpy(), dtype=np.float32, copy=True) for v in variables]


def checksum(values: Sequence[np.ndarray]) -> dict[str, Any]:
    """``sum_abs`` (sum of absolute values) and ``sha256`` (first 16 hex digits) of arrays."""
    digest = hashlib.sha256()
    for a in values:
        digest.update(np.ascontiguousarray(a, dtype=np.float32).tobytes())
    return {"sum_abs": float(sum(np.abs(a).sum(dtype=np.float64) for a in values)),
            "sha256": digest.hexdigest()[:16]}


def moved(before: Sequence[np.ndarray], after: Sequence[np.ndarray]) -> float:
    """Euclidean distance between two snapshots of the same variables (0.0: unchanged)."""
    return float(np.sqrt(sum(np.sum((a.astype(np.float64) - b) ** 2)
                             for a, b in zip(after, before))))


def in_distribute_scope(model) -> bool:
    """Whether ``model`` is built or compiled under a ``tf.distribute`` strategy: inside
    ``strategy.scope()`` now, or remembered by Keras in the model's ``_distribute_strategy``."""
    import tensorflow as tf

    return bool(tf.distribute.has_strategy()
                or getattr(model, "_distribute_strategy", None) is not None)
