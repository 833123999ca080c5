"""The generator and the discriminator, with the article's ACGAN architecture as the default.

Generator: ``(noise, label) -> 28x28x1 image in [-1, 1]``. How the label enters is the
``conditioning`` choice the course studies:

* ``"multiply"``: a learned ``Embedding(10, latent_dim)`` of the label, multiplied element-wise
  into the noise (the ACGAN article's choice);
* ``"concat"``: the one-hot label concatenated to the noise (the classic CGAN of Mirza & Osindero).

Everything after that is identical: Dense 1568 -> 7x7x32 -> three 3x3 convolutions with
BatchNormalization (momentum 0.8) and ReLU, with two x2 upsamplings -> a 3x3 conv with ``tanh``.

Discriminator: three stride-2 3x3 convolutions with BatchNormalization and LeakyReLU(0.2), global
average pooling, then a real/fake head and, for ACGAN, a 10-way auxiliary classifier head. For a
CGAN the label is shown to the discriminator instead: an ``Embedding(10, 784)`` reshaped to a
28x28 plane and stacked on the image as a second channel.

The heads output **logits** (no sigmoid/softmax): the losses apply them inside
``from_logits=True`` cross-entropies, which is numerically stable where ``log(sigmoid(x))``
computed in two steps underflows. Activations have no weights, so the parameter counts equal the
article's: generator 327,113, discriminator 94,987, total 422,100 (the article's "0.4M").
"""

from __future__ import annotations

import keras
from keras import layers

NUM_CLASSES = 10
LATENT_DIM = 100
CONDITIONINGS = ("multiply", "concat")


def build_generator(conditioning: str = "multiply", latent_dim: int = LATENT_DIM,
                    num_classes: int = NUM_CLASSES, name: str = "generator") -> keras.Model:
    """The generator: inputs ``[noise (n, latent_dim), label (n, 1) int]``, output ``(n, 28, 28, 1)``."""
    if conditioning not in CONDITIONINGS:
        raise ValueError(f"unknown conditioning {conditioning!r}; choose one of "
                         f"{', '.join(CONDITIONINGS)}")
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    if conditioning == "multiply":
        embedded = layers.Embedding(num_classes, latent_dim, name="label_embedding")(label)
        embedded = layers.Flatten(name="flatten_embedding")(embedded)
        x = layers.Multiply(name="multiply")([noise, embedded])
    else:
        one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot")(label)
        x = layers.Concatenate(name="concat")([noise, one_hot])
    x = layers.Dense(7 * 7 * 32, activation="relu", name="dense")(x)
    x = layers.Reshape((7, 7, 32), name="reshape")(x)
    for i, (filters, upsample) in enumerate([(64, True), (128, True), (64, False)], start=1):
        x = layers.Conv2D(filters, 3, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.8, name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        if upsample:
            x = layers.UpSampling2D(2, name=f"upsample{i}")(x)
    # float32 output even under mixed precision: tanh saturates, and images leave the network.
    image = layers.Conv2D(1, 3, padding="same", activation="tanh", dtype="float32",
                          name="conv_tanh")(x)
    return keras.Model([noise, label], image, name=name)


def build_discriminator(auxiliary_classifier: bool = True, label_conditioning: bool = False,
                        num_classes: int = NUM_CLASSES, name: str = "discriminator") -> keras.Model:
    """The discriminator.

    ACGAN (``auxiliary_classifier=True``): input image, outputs ``[real_logit (n, 1),
    class_logits (n, 10)]``. CGAN (``label_conditioning=True``): inputs ``[image, label]``,
    output ``real_logit (n, 1)``.
    """
    if auxiliary_classifier == label_conditioning:
        raise ValueError("a discriminator has either an auxiliary classifier (ACGAN) or label "
                         "conditioning (CGAN): set exactly one of the two")
    image = keras.Input((28, 28, 1), name="image")
    inputs = [image]
    x = image
    if label_conditioning:
        label = keras.Input((1,), dtype="int32", name="label")
        inputs.append(label)
        plane = layers.Embedding(num_classes, 28 * 28, name="label_embedding")(label)
        plane = layers.Reshape((28, 28, 1), name="label_plane")(plane)
        x = layers.Concatenate(name="image_and_label")([image, plane])
    for i, filters in enumerate((32, 64, 128), start=1):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.8, name=f"bn{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"leaky_relu{i}")(x)
    x = layers.GlobalAveragePooling2D(name="global_average_pool")(x)
    real_logit = layers.Dense(1, dtype="float32", name="real_logit")(x)
    if auxiliary_classifier:
        class_logits = layers.Dense(num_classes, dtype="float32", name="class_logits")(x)
        return keras.Model(image, [real_logit, class_logits], name=name)
    return keras.Model(inputs, real_logit, name=name)
