"""The exercise checkers: each accepts the reference solution and names typical mistakes.

Every wrong answer below is a mistake students make; the assertion is on the *message*, so a
checker that merely fails (or fails for the wrong reason) does not pass these tests.
"""

from __future__ import annotations

import keras
import pytest
import tensorflow as tf
from keras import layers, ops

from acgan_lib import exercises as ex
from acgan_lib import losses
from acgan_lib.training import ConditionalGAN


def problems(result) -> str:
    assert not result.passed, f"expected the check to fail:\n{result}"
    assert result.problems, "a failed check must say what is wrong"
    return "\n".join(result.problems).lower()


def test_result_object_prints_feedback(capsys):
    result = ex.check_class_accuracy(losses.class_accuracy)
    assert result and result.passed and isinstance(result, ex.CheckResult)
    out = capsys.readouterr().out
    assert "check_class_accuracy: well done" in out and "✓" in out
    quiet = ex.check_class_accuracy(lambda logits, labels: 0.5, verbose=False)
    assert not quiet and capsys.readouterr().out == ""
    assert "not there yet" in str(quiet) and "✗" in str(quiet) and "Hint:" in str(quiet)


def test_unwritten_scaffolds_get_a_message_not_an_exception():
    def not_yet(*args):
        raise NotImplementedError

    def forgot_return(*args):
        _ = args

    for check in ex.CHECKERS.values():
        text = problems(check(not_yet, verbose=False))
        assert "not written yet" in text, check.__name__
        text = problems(check(forgot_return, verbose=False))
        assert "returned none" in text and "return" in text, check.__name__


# ------------------------------------------------------------------------------ scaling
def test_check_scaling():
    assert ex.check_scaling(lambda x: x.astype("float32")[..., None] / 127.5 - 1.0,
                            verbose=False)
    assert "[0, 1]" in problems(ex.check_scaling(
        lambda x: x.astype("float32")[..., None] / 255.0, verbose=False))
    assert "[0, 2]" in problems(ex.check_scaling(
        lambda x: x.astype("float32")[..., None] / 127.5, verbose=False))
    assert "channel axis" in problems(ex.check_scaling(
        lambda x: x.astype("float32") / 127.5 - 1, verbose=False))
    assert "overflow" in problems(ex.check_scaling(
        lambda x: ((x - 128) / 128).astype("float32")[..., None], verbose=False))
    assert "float32" in problems(ex.check_scaling(lambda x: x[..., None] / 127.5 - 1,
                                                  verbose=False))


# ------------------------------------------------------------------------------ generator
def tiny_generator(activation="tanh", use_label=True, channel=True, latent_dim=16):
    noise = keras.Input((latent_dim,))
    label = keras.Input((1,), dtype="int32")
    x = noise
    if use_label:
        x = layers.Concatenate()([noise, layers.CategoryEncoding(10, "one_hot")(label)])
    x = layers.Dense(7 * 7 * 4, activation="relu")(x)
    x = layers.Reshape((7, 7, 4))(x)
    x = layers.UpSampling2D(4)(x)
    x = layers.Conv2D(1, 3, padding="same", activation=activation)(x)
    if not channel:
        x = layers.Reshape((28, 28))(x)
    return keras.Model([noise, label], x)


def test_check_generator():
    from acgan_lib.models import build_generator

    assert ex.check_generator(build_generator, verbose=False)  # a build function
    assert ex.check_generator(tiny_generator(), verbose=False)  # a model
    assert "outside [-1, 1]" in problems(ex.check_generator(tiny_generator(None),
                                                            verbose=False))
    assert "never negative" in problems(ex.check_generator(tiny_generator("sigmoid"),
                                                           verbose=False))
    assert "does not depend on the label" in problems(
        ex.check_generator(tiny_generator(use_label=False), verbose=False))
    assert "channel axis" in problems(ex.check_generator(tiny_generator(channel=False),
                                                         verbose=False))
    model = tiny_generator()
    swapped = keras.Model(model.inputs[::-1], model.outputs)
    assert "[label, noise]" in problems(ex.check_generator(swapped, verbose=False))


# ------------------------------------------------------------------------------ conditioning
class EmbeddingTimesNoise(layers.Layer):
    """The reference: a learned embedding of the label multiplied into the noise."""

    def __init__(self, latent_dim=100, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(10, latent_dim)

    def call(self, noise, labels):
        return noise * ops.reshape(self.embedding(labels), (-1, noise.shape[-1]))


def test_check_conditioning_layer():
    assert ex.check_conditioning_layer(EmbeddingTimesNoise(), verbose=False)
    assert ex.check_conditioning_layer(
        lambda z, y: ops.concatenate([z, ops.one_hot(ops.reshape(y, (-1,)), 10)], axis=-1),
        verbose=False)
    assert "label's number" in problems(ex.check_conditioning_layer(
        lambda z, y: z * ops.cast(y, "float32"), verbose=False))
    assert "single number" in problems(ex.check_conditioning_layer(
        lambda z, y: ops.concatenate([z, ops.cast(y, "float32")], axis=-1), verbose=False))
    assert "new random weights" in problems(ex.check_conditioning_layer(
        lambda z, y: z * ops.reshape(layers.Embedding(10, 100)(y), (-1, 100)),
        verbose=False))
    embedding = layers.Embedding(10, 100)
    assert "flatten" in problems(ex.check_conditioning_layer(
        lambda z, y: z[:, None, :] * embedding(y), verbose=False))
    assert "never enters" in problems(ex.check_conditioning_layer(lambda z, y: z * 1.0,
                                                                  verbose=False))


# ------------------------------------------------------------------------------ auxiliary loss
def test_check_auxiliary_loss():
    sce = keras.losses.SparseCategoricalCrossentropy
    assert ex.check_auxiliary_loss(losses.auxiliary_loss, verbose=False)
    assert ex.check_auxiliary_loss(lambda z, y: sce(from_logits=True)(y, z), verbose=False)
    assert "softmax applied twice" in problems(ex.check_auxiliary_loss(
        lambda z, y: sce(from_logits=True)(y, tf.nn.softmax(z)), verbose=False))
    assert "from_logits is missing" in problems(ex.check_auxiliary_loss(
        lambda z, y: sce()(y, z), verbose=False))
    assert "sum" in problems(ex.check_auxiliary_loss(
        lambda z, y: sce(from_logits=True, reduction="sum")(y, z), verbose=False))
    assert "one-hot labels" in problems(ex.check_auxiliary_loss(
        lambda z, y: keras.losses.CategoricalCrossentropy(from_logits=True)(y, z),
        verbose=False))
    assert "binary cross-entropy" in problems(ex.check_auxiliary_loss(
        lambda z, y: keras.losses.BinaryCrossentropy(from_logits=True)(
            ops.one_hot(ops.reshape(y, (-1,)), 10), z), verbose=False))
    assert "single number" in problems(ex.check_auxiliary_loss(
        lambda z, y: sce(from_logits=True, reduction=None)(y, z), verbose=False))
    # softmax, then a cross-entropy on probabilities: right on ordinary logits, not on
    # confident ones (the two-step log underflows). tf.nn.softmax, because Keras tags the
    # outputs of its own softmax and quietly undoes it inside its losses.
    assert "confident" in problems(ex.check_auxiliary_loss(
        lambda z, y: sce()(y, tf.nn.softmax(z)), verbose=False))


# ------------------------------------------------------------------------------ generator update
def generator_update(generator, discriminator, g_optimizer, noise, labels):
    """The reference: the generator's variables, and only those, get the gradient."""
    variables = generator.trainable_variables
    with tf.GradientTape() as tape:
        images = generator([noise, labels], training=True)
        real_logit, class_logits = discriminator(images, training=True)
        loss = (losses.generator_adversarial_loss(real_logit)
                + losses.auxiliary_loss(class_logits, labels))
    g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss


def freeze_and_forget(generator, discriminator, g_optimizer, noise, labels):
    discriminator.trainable = False
    return generator_update(generator, discriminator, g_optimizer, noise, labels)


def freeze_and_restore(generator, discriminator, g_optimizer, noise, labels):
    discriminator.trainable = False
    loss = generator_update(generator, discriminator, g_optimizer, noise, labels)
    discriminator.trainable = True
    return loss


def updates_both(generator, discriminator, g_optimizer, noise, labels):
    variables = generator.trainable_variables + discriminator.trainable_variables
    with tf.GradientTape() as tape:
        real_logit, class_logits = discriminator(generator([noise, labels], training=True))
        loss = (losses.generator_adversarial_loss(real_logit)
                + losses.auxiliary_loss(class_logits, labels))
    g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss


def wrong_target(generator, discriminator, g_optimizer, noise, labels):
    variables = generator.trainable_variables
    with tf.GradientTape() as tape:
        real_logit, class_logits = discriminator(generator([noise, labels], training=True))
        loss = (losses.adversarial_loss(real_logit, target_real=False)
                + losses.auxiliary_loss(class_logits, labels))
    g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss


def images_outside_the_tape(generator, discriminator, g_optimizer, noise, labels):
    variables = generator.trainable_variables
    images = generator([noise, labels], training=True)
    with tf.GradientTape() as tape:
        real_logit, class_logits = discriminator(images, training=True)
        loss = losses.generator_adversarial_loss(real_logit)
    g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss


def test_check_generator_update_functions():
    assert ex.check_generator_update(generator_update, verbose=False)
    assert "still frozen" in problems(ex.check_generator_update(freeze_and_forget,
                                                                verbose=False))
    assert "switches discriminator.trainable" in problems(
        ex.check_generator_update(freeze_and_restore, verbose=False))
    assert "discriminator's variables too" in problems(
        ex.check_generator_update(updates_both, verbose=False))
    assert "less* fooled" in problems(ex.check_generator_update(wrong_target, verbose=False))
    assert "no gradient reached" in problems(
        ex.check_generator_update(images_outside_the_tape, verbose=False))


class TogglingGAN(ConditionalGAN):
    def generator_update(self, noise, fake_labels):
        self.discriminator.trainable = False
        return super().generator_update(noise, fake_labels)


class BothInTrainStep(ConditionalGAN):
    def train_step(self, data):
        images, labels = data
        noise, fake_labels = self.sample_inputs(ops.shape(images)[0], 0)
        variables = self.generator.trainable_variables + self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            loss = self.generator_loss(self.generator([noise, fake_labels]), fake_labels)
        self.g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return {}


class ForgetsTheDiscriminator(ConditionalGAN):
    def train_step(self, data):
        images, labels = data
        noise, fake_labels = self.sample_inputs(ops.shape(images)[0], 0)
        self.generator_update(noise, fake_labels)
        return {}


def test_check_generator_update_gan_classes():
    assert ex.check_generator_update(ConditionalGAN, verbose=False)  # library: train_step
    assert "still frozen" in problems(ex.check_generator_update(TogglingGAN, verbose=False))
    assert "discriminator's variables too" in problems(
        ex.check_generator_update(BothInTrainStep, verbose=False))
    assert "discriminator did not learn" in problems(
        ex.check_generator_update(ForgetsTheDiscriminator, verbose=False))


# ------------------------------------------------------------------------------ label accuracy
def test_check_class_accuracy():
    def reference(logits, labels):
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        hits = ops.equal(ops.cast(ops.argmax(logits, axis=-1), "int32"), labels)
        return ops.mean(ops.cast(hits, "float32"))

    assert ex.check_class_accuracy(reference, verbose=False)
    assert ex.check_class_accuracy(losses.class_accuracy, verbose=False)
    assert "broadcasts" in problems(ex.check_class_accuracy(
        lambda z, y: ops.mean(ops.cast(ops.equal(ops.argmax(z, -1), ops.cast(y, "int64")),
                                       "float32")), verbose=False))
    assert "number of correct" in problems(ex.check_class_accuracy(
        lambda z, y: ops.sum(ops.cast(ops.equal(ops.argmax(z, -1),
                                                ops.cast(ops.reshape(y, (-1,)), "int64")),
                                      "float32")), verbose=False))
    assert "percentage" in problems(ex.check_class_accuracy(
        lambda z, y: 100 * reference(z, y), verbose=False))
    assert "argmax over the class axis" in problems(ex.check_class_accuracy(
        lambda z, y: ops.mean(ops.cast(ops.equal(ops.argmin(z, -1),
                                                 ops.cast(ops.reshape(y, (-1,)), "int64")),
                                       "float32")), verbose=False))


# ------------------------------------------------------------------------------ distributed loss
def test_check_distributed_loss():
    assert ex.check_distributed_loss(
        lambda per_image, global_batch: tf.nn.compute_average_loss(
            per_image, global_batch_size=global_batch), verbose=False)
    assert ex.check_distributed_loss(lambda l, g: ops.sum(l) / g, verbose=False)
    assert "own 8 images" in problems(ex.check_distributed_loss(lambda l, g: ops.mean(l),
                                                                verbose=False))
    assert "sum of the losses" in problems(ex.check_distributed_loss(lambda l, g: ops.sum(l),
                                                                     verbose=False))


@pytest.mark.parametrize("name", sorted(ex.CHECKERS))
def test_every_checker_is_documented_and_exported(name):
    check = ex.CHECKERS[name]
    assert check.__doc__ and check.__name__ == name
    assert name in ex.__doc__


def test_check_seed_difference():
    import numpy as np

    def right(a, b):
        a, b = np.asarray(a), np.asarray(b)
        return a.mean() - b.mean(), np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))

    assert ex.check_seed_difference(right, verbose=False)
    slips = {
        "population variance": lambda a, b: (np.mean(a) - np.mean(b),
                                             np.sqrt(np.var(a) / len(a) + np.var(b) / len(b))),
        "variance of the difference": lambda a, b: (right(a, b)[0], right(a, b)[1] ** 2),
        "adds the two standard errors": lambda a, b: (
            right(a, b)[0], np.std(a, ddof=1) / np.sqrt(len(a)) + np.std(b, ddof=1)
            / np.sqrt(len(b))),
        "in that order": lambda a, b: (-right(a, b)[0], right(a, b)[1]),
        "expected two numbers": lambda a, b: right(a, b)[0],
    }
    for expected, slip in slips.items():
        result = ex.check_seed_difference(slip, verbose=False)
        assert not result and expected in " ".join(result.messages), (expected, result.messages)
