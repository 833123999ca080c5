"""acgan_lib.instrument: the one place that reaches into Keras. If a Keras upgrade changes
what it relies on, these fail and name the Keras version (instead of a checker going wrong)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from acgan_lib.instrument import (KerasChanged, check_keras, measuring_updates,
                                  recording_trainable, recording_updates)


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)])
    return model


def test_the_installed_keras_supports_the_instruments():
    check_keras()  # raises KerasChanged naming keras.__version__ otherwise


def test_the_failure_names_the_keras_version(monkeypatch):
    monkeypatch.delattr(keras.layers.Layer, "trainable")
    with pytest.raises(KerasChanged, match=f"Keras {keras.__version__} no longer provides"):
        check_keras()


def test_recording_updates_sees_exactly_the_variables_given():
    a, b = _model(), _model()
    optimizer = keras.optimizers.Adam(1e-2)
    grads = [np.ones(v.shape, np.float32) for v in a.trainable_variables]
    with recording_updates(optimizer) as updated:
        optimizer.apply_gradients(zip(grads, a.trainable_variables))
    assert updated == {id(v) for v in a.trainable_variables}
    assert not updated & {id(v) for v in b.trainable_variables}
    assert "apply" not in vars(optimizer)  # removed: the class's method again
    before = [v.numpy().copy() for v in a.trainable_variables]
    optimizer.apply_gradients(zip(grads, a.trainable_variables))  # still works after
    assert any(not np.array_equal(x, v.numpy()) for x, v in zip(before, a.trainable_variables))


def test_recording_trainable_logs_every_assignment_and_restores_the_class():
    model = _model()
    cls = type(model)
    with recording_trainable(model) as toggles:
        model.trainable = False
        model.trainable = True
    assert toggles == [False, True]
    assert type(model) is cls and model.trainable


def test_measuring_updates_reports_which_network_moved():
    a, b = _model(), _model()
    optimizer = keras.optimizers.SGD(0.1)
    rows = []
    with measuring_updates({"a_update": optimizer}, {"a": a.trainable_variables,
                                                     "b": b.trainable_variables},
                           lambda name, moved: rows.append((name, moved))):
        optimizer.apply_gradients(zip([np.ones(v.shape, np.float32)
                                       for v in a.trainable_variables], a.trainable_variables))
    [(name, moved)] = rows
    assert name == "a_update" and moved["a_parameters_moved"] > 0
    assert moved["b_parameters_moved"] == 0
    assert "apply_gradients" not in vars(optimizer)
