"""The seed article's training pattern, re-implemented so that it can be measured.

The article (a TF2 ACGAN blog post, see the course's references) trains with the pattern
*compile, freeze, compile*:

1. build the discriminator and ``compile`` it;
2. build the combined model ``generator -> discriminator``, setting
   ``discriminator.trainable = False`` on the way, and ``compile`` that (the article passes the
   **same** optimizer object to both ``compile`` calls);
3. every step: three eager forward passes that only feed accuracy metrics, then
   ``train_on_batch`` on the discriminator with real images, on the discriminator with generated
   images, and on the combined model; every few steps the metrics are reset with
   ``reset_states()``.

Everything here takes a *keras module* (``keras`` for Keras 3, ``tf_keras`` for Keras 2), so the
same code runs on both. :class:`ArticleBaseline` is also the "article loop" baseline of the speed
benchmark. What the pattern does on each Keras version (its tip 5) is measured by
:mod:`acgan_lib.freezing`. This module is a faithful reproduction of a pattern the course
teaches you **not** to use; for training, use :class:`acgan_lib.training.ConditionalGAN`.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any, Callable, Sequence

import numpy as np

from acgan_lib.validation import NUM_CLASSES

#: The article's noise size. (Not imported from ``acgan_lib.models``: this module must import
#: without Keras 3, in the Keras 2 subprocess.)
LATENT_DIM = 100
FLAVOURS = ("keras3", "keras2")
LEGACY_ENV = "TF_USE_LEGACY_KERAS"
#: The article's losses: its heads end in sigmoid and softmax, so the losses take probabilities.
ARTICLE_LOSSES = ["binary_crossentropy", "sparse_categorical_crossentropy"]
#: The article's optimizer settings: ``Adam(0.0002, 0.5)``.
LEARNING_RATE, BETA_1 = 2e-4, 0.5
#: Names of the three ``train_on_batch`` calls of one article step, in order.
CALLS = ("discriminator_real", "discriminator_fake", "combined")


# ---------------------------------------------------------------------------------- keras modules
def load_keras(flavour: str = "keras3") -> ModuleType:
    """The keras module of a flavour: ``"keras3"`` -> ``keras``, ``"keras2"`` -> ``tf_keras``.

    Keras 2 needs ``TF_USE_LEGACY_KERAS=1`` in the environment *before* TensorFlow is imported
    (then ``tf.keras`` is ``tf_keras`` too); :func:`freezing_experiment` starts such a subprocess.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown keras flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    if flavour == "keras3":
        import keras

        return keras
    if os.environ.get(LEGACY_ENV) != "1":
        raise RuntimeError(
            f"Keras 2 needs {LEGACY_ENV}=1 set before TensorFlow is imported. Run "
            f"freezing_experiment('keras2'), which starts a subprocess for it, or "
            f"`{LEGACY_ENV}=1 python -m acgan_lib.freezing --flavour keras2 --json`.")
    try:
        import tf_keras
    except ImportError as exc:
        raise RuntimeError("Keras 2 is the package tf-keras: pip install tf-keras") from exc
    return tf_keras


def flavour_of(keras_module: ModuleType) -> str:
    """``"keras3"`` or ``"keras2"``, from the module's version."""
    return "keras3" if keras_module.__version__.split(".")[0] == "3" else "keras2"


# ---------------------------------------------------------------------------------- the models
def build_article_generator(keras: ModuleType, latent_dim: int = LATENT_DIM) -> Any:
    """The article's generator: ``[noise (n, 100), label (n, 1)] -> (n, 28, 28, 1)`` in tanh range.

    Embedding(10, 100) of the label times the noise, Dense 1568 (ReLU) -> 7x7x32, three 3x3
    convolutions (64, 128, 64) with BatchNormalization(momentum=0.8) and ReLU, two x2
    upsamplings, a 3x3 convolution to one ``tanh`` channel. 327,113 parameters.
    """
    layers = keras.layers
    noise = layers.Input((latent_dim,), name="input_noise")
    label = layers.Input((1,), name="input_label")
    embedded = layers.Embedding(NUM_CLASSES, latent_dim, name="embedding")(label)
    x = layers.Multiply(name="multiply")([layers.Flatten(name="flatten")(embedded), noise])
    x = layers.Dense(7 * 7 * 32, activation="relu", name="dense_relu")(x)
    x = layers.Reshape((7, 7, 32), name="reshape")(x)
    for i, (filters, upsample) in enumerate([(64, True), (128, True), (64, False)], start=1):
        x = layers.Conv2D(filters, 3, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.8, name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        if upsample:
            x = layers.UpSampling2D(2, name=f"upsampling{i}")(x)
    image = layers.Conv2D(1, 3, padding="same", activation="tanh", name="conv_tanh")(x)
    return keras.Model([noise, label], image, name="article_generator")


def build_article_discriminator(keras: ModuleType) -> Any:
    """The article's discriminator: image -> ``[P(real) (n, 1) sigmoid, P(class) (n, 10) softmax]``.

    Three stride-2 3x3 convolutions (32, 64, 128) with BatchNormalization(momentum=0.8) and
    LeakyReLU(0.2), global average pooling, two dense heads. 94,987 parameters.
    """
    layers = keras.layers
    image = layers.Input((28, 28, 1), name="input_image")
    x = image
    for i, filters in enumerate((32, 64, 128), start=1):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"d_conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.8, name=f"d_bn{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"d_leaky{i}")(x)
    x = layers.GlobalAveragePooling2D(name="global_averagepool")(x)
    validity = layers.Dense(1, activation="sigmoid", name="dense_sigmoid")(x)
    classes = layers.Dense(NUM_CLASSES, activation="softmax", name="dense_softmax")(x)
    return keras.Model(image, [validity, classes], name="article_discriminator")


def build_article_combined(keras: ModuleType, generator: Any, discriminator: Any,
                           latent_dim: int = LATENT_DIM) -> Any:
    """The combined model ``[noise, label] -> discriminator(generator(...))``.

    As in the article, this is where ``discriminator.trainable`` is set to ``False`` -- after
    the discriminator was compiled, before the combined model is.
    """
    noise = keras.layers.Input((latent_dim,), name="input_noise")
    label = keras.layers.Input((1,), name="input_label")
    image = generator([noise, label])
    discriminator.trainable = False  # the article's freeze (its tip 5)
    validity, classes = discriminator(image)
    return keras.Model([noise, label], [validity, classes], name="article_combined")


def make_article_metrics(keras: ModuleType) -> tuple:
    """The article's three metrics: D's accuracy on real, on generated, and G's "fooling" rate."""
    return tuple(keras.metrics.BinaryAccuracy(name=name)
                 for name in ("real_d_accuracy", "fake_d_accuracy", "g_accuracy"))


def reset_article_metrics(metrics: Sequence[Any]) -> None:
    """Reset the metrics the way the article does: ``reset_states()``.

    Keras 3 renamed it ``reset_state()`` and removed the old name, so on Keras 3 this raises
    ``AttributeError``.
    """
    for metric in metrics:
        metric.reset_states()


def _floats(value) -> list[float]:
    return [float(v) for v in np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()]


Observer = Callable[[str, str], None]


def article_train_step(generator: Any, discriminator: Any, combined: Any, metrics: Sequence[Any],
                       real_images, real_labels, rng: np.random.Generator,
                       latent_dim: int = LATENT_DIM,
                       observe: Observer | None = None) -> dict[str, list[float]]:
    """One step of the article's loop; returns the losses of its three ``train_on_batch`` calls.

    The work is the article's: draw noise and fake labels with numpy, generate eagerly, three
    eager forward passes that only update the accuracy metrics, then ``train_on_batch`` on the
    discriminator (real images, targets 1 and the true labels), on the discriminator (generated
    images, targets 0 and the fake labels), and on the combined model (targets 1 and the fake
    labels). ``observe(call, "before"|"after")``, if given, runs around each ``train_on_batch``.
    """
    n = int(real_images.shape[0])
    noise = rng.normal(0.0, 1.0, (n, latent_dim)).astype(np.float32)
    fake_labels = rng.integers(0, NUM_CLASSES, (n, 1))
    real_labels = np.asarray(real_labels).reshape(n, 1)
    ones, zeros = np.ones((n, 1)), np.zeros((n, 1))

    fake_images = generator([noise, fake_labels])
    real_accuracy, fake_accuracy, g_accuracy = metrics
    real_accuracy(ones, discriminator(real_images)[0])
    fake_accuracy(zeros, discriminator(fake_images)[0])
    g_accuracy(ones, combined([noise, fake_labels])[0])

    batches = {
        "discriminator_real": (discriminator, real_images, [ones, real_labels]),
        "discriminator_fake": (discriminator, fake_images, [zeros, fake_labels]),
        "combined": (combined, [noise, fake_labels], [ones, fake_labels]),
    }
    losses = {}
    for call in CALLS:
        model, x, y = batches[call]
        if observe:
            observe(call, "before")
        losses[call] = _floats(model.train_on_batch(x, y))
        if observe:
            observe(call, "after")
    return losses


class ArticleBaseline:
    """The article's models, optimizer(s), metrics and step, built the article's way.

    Args:
        keras_module: ``keras`` (Keras 3, the default) or ``tf_keras`` (Keras 2).
        batch_size: the batch size :meth:`step` expects (recorded; the article uses 256).
        shared_optimizer: pass one ``Adam`` object to both ``compile`` calls, as the article
            does; ``False`` gives the combined model its own optimizer.
        legacy_optimizer: Keras 2 only: ``keras.optimizers.legacy.Adam``, the optimizer class
            ``Adam`` was before TensorFlow 2.11 (when the article was written).
        seed: seeds Keras' initialisers and the numpy noise of :meth:`step`.

    Attributes ``generator``, ``discriminator``, ``combined``, ``metrics``, ``d_optimizer``,
    ``g_optimizer`` (the same object when shared), and the weight lists recorded before the
    freeze: ``d_parameters``/``g_parameters`` (trainable weights) and
    ``d_statistics``/``g_statistics`` (BatchNormalization moving means and variances).
    """

    def __init__(self, keras_module: ModuleType | None = None, batch_size: int = 256,
                 shared_optimizer: bool = True, seed: int = 0, latent_dim: int = LATENT_DIM,
                 legacy_optimizer: bool = False):
        keras = keras_module if keras_module is not None else load_keras("keras3")
        self.keras = keras
        self.flavour = flavour_of(keras)
        if legacy_optimizer and self.flavour != "keras2":
            raise ValueError("legacy_optimizer=True needs Keras 2 (tf_keras): Keras 3 has no "
                             "legacy optimizers; use legacy_optimizer=False")
        adam = keras.optimizers.legacy.Adam if legacy_optimizer else keras.optimizers.Adam
        self.batch_size = int(batch_size)
        self.latent_dim = latent_dim
        self.shared_optimizer = shared_optimizer
        self.rng = np.random.default_rng(seed)
        keras.utils.set_random_seed(seed)
        self.trainable_counts: dict[str, int] = {}

        # 1. the discriminator, compiled while trainable
        self.discriminator = build_article_discriminator(keras)
        self.d_parameters = list(self.discriminator.trainable_weights)
        self.d_statistics = list(self.discriminator.non_trainable_weights)
        self.d_optimizer = adam(LEARNING_RATE, BETA_1)
        self.discriminator.compile(optimizer=self.d_optimizer, loss=ARTICLE_LOSSES)
        self.trainable_counts["discriminator_at_compile"] = len(self.discriminator.trainable_weights)

        # 2. the generator and the combined model (which freezes the discriminator), compiled
        self.generator = build_article_generator(keras, latent_dim)
        self.g_parameters = list(self.generator.trainable_weights)
        self.g_statistics = list(self.generator.non_trainable_weights)
        self.combined = build_article_combined(keras, self.generator, self.discriminator,
                                               latent_dim)
        self.g_optimizer = (self.d_optimizer if shared_optimizer
                            else adam(LEARNING_RATE, BETA_1))
        self.combined.compile(optimizer=self.g_optimizer, loss=ARTICLE_LOSSES)
        self.trainable_counts.update(self.report_trainable_counts())
        self.metrics = make_article_metrics(keras)

    def report_trainable_counts(self) -> dict[str, int]:
        """How many trainable weights each model reports now."""
        return {"discriminator": len(self.discriminator.trainable_weights),
                "generator": len(self.generator.trainable_weights),
                "combined": len(self.combined.trainable_weights)}

    def step(self, real_images, real_labels, observe: Observer | None = None
             ) -> dict[str, list[float]]:
        """One article step on a batch (numpy images in [-1, 1] ``(n, 28, 28, 1)``, labels)."""
        return article_train_step(self.generator, self.discriminator, self.combined,
                                  self.metrics, real_images, real_labels, self.rng,
                                  self.latent_dim, observe)

    def metric_results(self) -> dict[str, float]:
        return {m.name: float(m.result()) for m in self.metrics}

    def reset_metrics(self, faithful: bool = True) -> None:
        """``faithful``: the article's ``reset_states()`` (fails on Keras 3); else ``reset_state()``."""
        if faithful:
            reset_article_metrics(self.metrics)
        else:
            for metric in self.metrics:
                metric.reset_state()
