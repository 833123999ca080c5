"""``UpSamplingConv2D``: the fused (cheaper) form of ``UpSampling2D`` + 3x3 ``Conv2D``.

It must compute the same function with the same weights: same outputs, same gradients (to
float rounding), the same weight names and shapes (checkpoints interchangeable).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from acgan_lib.models import UpSamplingConv2D, build_generator


def _pair(channels=5, filters=7, size=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, size, size + 1, channels)).astype(np.float32)
    fused = UpSamplingConv2D(filters, 3, padding="same", name="conv")
    fused.build(x.shape)
    kernel = rng.normal(size=(3, 3, channels, filters)).astype(np.float32)
    bias = rng.normal(size=(filters,)).astype(np.float32)
    fused.set_weights([kernel, bias])
    plain = keras.layers.Conv2D(filters, 3, padding="same")
    plain.build((3, 2 * size, 2 * (size + 1), channels))
    plain.set_weights([kernel, bias])
    return x, fused, plain


def test_same_outputs_as_upsampling_then_conv():
    x, fused, plain = _pair()
    expected = plain(keras.layers.UpSampling2D(2)(x))
    got = fused(x)
    assert got.shape == expected.shape == (3, 12, 14, 7)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_same_gradients_as_upsampling_then_conv():
    x, fused, plain = _pair(seed=1)
    x = tf.constant(x)

    def grads(fn, layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.sin(fn(x)))
        return tape.gradient(loss, [x] + layer.trainable_variables)

    expected = grads(lambda t: plain(keras.layers.UpSampling2D(2)(t)), plain)
    got = grads(fused, fused)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-4, atol=1e-4)


def test_fused_generator_is_the_same_network():
    plain = build_generator()
    fused = build_generator(fused_upsampling=True)
    assert fused.count_params() == plain.count_params() == 327_113
    assert [(v.path, tuple(v.shape)) for v in fused.weights] == \
        [(v.path, tuple(v.shape)) for v in plain.weights]
    fused.set_weights(plain.get_weights())
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(8, 100)).astype(np.float32)
    labels = np.arange(8, dtype=np.int32).reshape(-1, 1)
    for training in (False, True):
        np.testing.assert_allclose(np.asarray(fused([noise, labels], training=training)),
                                   np.asarray(plain([noise, labels], training=training)),
                                   atol=1e-5)
    assert not any(isinstance(layer, keras.layers.UpSampling2D) for layer in fused.layers)


def test_config_round_trip():
    model = build_generator(fused_upsampling=True)
    clone = keras.Model.from_config(model.get_config())
    assert isinstance(clone.get_layer("conv3"), UpSamplingConv2D)
    assert clone.output_shape == (None, 28, 28, 1)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=5), dict(strides=2), dict(padding="valid")])
def test_unsupported_settings_are_refused(kwargs):
    kernel_size = kwargs.pop("kernel_size", 3)
    with pytest.raises(ValueError, match="UpSamplingConv2D supports only"):
        UpSamplingConv2D(4, kernel_size, **kwargs)


def test_fused_training_run_is_interchangeable_with_a_plain_one(tmp_path):
    """``--fused-upsampling`` is a speed setting: a run trained with it resumes without it (and
    the reverse), and the saved generator is the plain architecture's."""
    from acgan_lib.data import load_mnist
    from acgan_lib.runs import load_run, train_run
    from acgan_lib.runs import TrainConfig

    data = load_mnist(verbose=False)
    out = tmp_path / "run"
    fused = TrainConfig(epochs=1, batch_size=16, jit_compile=False, fused_upsampling=True)
    manifest = train_run(fused, out, data, steps_per_epoch=2, verbose=0)
    assert manifest["config"]["fused_upsampling"] is True
    gan, _ = load_run(out)
    assert any(isinstance(layer, keras.layers.UpSampling2D) for layer in gan.generator.layers)
    plain = TrainConfig(epochs=2, batch_size=16, jit_compile=False)
    resumed = train_run(plain, out, data, steps_per_epoch=2, verbose=0)
    assert resumed["resumed_from_epoch"] == 1 and resumed["steps"] == 4
    # the weights of the plain run load into a fused generator and give the same images
    gan, _ = load_run(out)
    twin = build_generator(fused_upsampling=True)
    twin.set_weights(gan.generator.get_weights())
    noise = np.random.default_rng(1).normal(size=(4, 100)).astype(np.float32)
    labels = np.array([[0], [3], [5], [9]], dtype=np.int32)
    np.testing.assert_allclose(np.asarray(twin([noise, labels])),
                               np.asarray(gan.generator([noise, labels])), atol=1e-5)
