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

Heads that change one thing of these discriminators against ACGAN's easy-sample bias
(``head``, :data:`DISCRIMINATOR_HEADS`): ``"twin"`` (TAC-GAN, Gong et al. 2019: a second,
*twin* classifier for generated images), ``"normalised"`` (ReACGAN, Kang et al. 2021: cosine
similarity of an L2-normalised embedding to normalised class proxies) and ``"projection"`` (a
CGAN whose label enters by an inner product with the features, Miyato & Koyama 2018).
:func:`discriminator_training_view` adds the outputs that only training reads.

The heads output **logits** (no sigmoid/softmax): the losses apply them inside
``from_logits=True`` cross-entropies, which is numerically stable where ``log(sigmoid(x))``
computed in two steps underflows. Activations have no weights, so the parameter counts equal the
article's: generator 327,113, discriminator 94,987, total 422,100 (the article's "0.4M").
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from acgan_lib.validation import NUM_CLASSES, check_labels

LATENT_DIM = 100
CONDITIONINGS = ("multiply", "concat")
#: Discriminator heads, and whether each belongs to an ACGAN (True) or a CGAN (False); None:
#: either (the course's own heads: a linear classifier, or the label as an image plane).
DISCRIMINATOR_HEADS = {"standard": None, "twin": True, "normalised": True, "projection": False}
#: Width of ReACGAN's normalised embedding: that of the trunk's pooled features.
EMBEDDING_DIM = 128


@keras.saving.register_keras_serializable(package="acgan_lib")
class UpSamplingConv2D(layers.Conv2D):
    """``UpSampling2D(2)`` (nearest neighbour) then a 3x3 ``"same"`` ``Conv2D``, in one cheaper step.

    Every output pixel of a 3x3 convolution applied to a x2 nearest-neighbour upsampled image
    reads only a 2x2 neighbourhood of the *small* image, with some of the nine kernel taps
    landing on the same small pixel. Adding those taps first ("folding" the 3x3 kernel into
    four 2x2 kernels, one per output position parity) gives the same numbers with 16 instead
    of 36 multiply-adds per small pixel and channel pair, and without materialising the
    upsampled image. The weights are exactly those of the ``Conv2D`` it replaces (``kernel``
    ``(3, 3, in, out)`` and ``bias``, same names), so checkpoints are interchangeable; results
    agree with ``UpSampling2D`` + ``Conv2D`` up to float rounding (the order of additions).
    """

    def __init__(self, filters: int, kernel_size=3, **kwargs):
        for key, allowed in (("strides", (1, 1)), ("dilation_rate", (1, 1)), ("groups", 1),
                             ("padding", "same"), ("data_format", "channels_last")):
            value = kwargs.pop(key, allowed)
            value = tuple(value) if isinstance(value, (list, tuple)) else value
            if value not in (allowed, allowed[0] if isinstance(allowed, tuple) else allowed):
                raise ValueError(f"UpSamplingConv2D supports only {key}={allowed!r}, got {value!r}")
        if kernel_size not in (3, (3, 3), [3, 3]):
            raise ValueError(f"UpSamplingConv2D supports only 3x3 kernels, got {kernel_size!r}")
        super().__init__(filters, 3, padding="same", **kwargs)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        return (n, None if h is None else 2 * h, None if w is None else 2 * w, self.filters)

    @staticmethod
    def fold_kernel(kernel):
        """The 3x3 kernel ``(3, 3, in, out)`` -> one 2x2 kernel ``(2, 2, in, 4 * out)`` holding
        the kernels of the four output parities (row parity a, column parity b) in that order."""
        k = kernel
        rows = (keras.ops.stack([k[0], k[1] + k[2]]),  # even output rows: small rows i-1, i
                keras.ops.stack([k[0] + k[1], k[2]]))  # odd output rows: small rows i, i+1
        parts = []
        for r in rows:
            parts.append(keras.ops.stack([r[:, 0], r[:, 1] + r[:, 2]], axis=1))  # even columns
            parts.append(keras.ops.stack([r[:, 0] + r[:, 1], r[:, 2]], axis=1))  # odd columns
        return keras.ops.concatenate(parts, axis=-1)

    def call(self, inputs):
        ops = keras.ops
        h, w = inputs.shape[1], inputs.shape[2]
        if h is None or w is None:
            h, w = ops.shape(inputs)[1], ops.shape(inputs)[2]
        padded = ops.pad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]])
        # (n, h + 1, w + 1, 4 * filters): position (i + a, j + b) holds output pixel
        # (2i + a, 2j + b) in the channel block of parity (a, b).
        out = ops.conv(padded, self.fold_kernel(self.kernel), strides=1, padding="valid")
        f = self.filters
        parity = [[out[:, a:a + h, b:b + w, (2 * a + b) * f:(2 * a + b + 1) * f]
                   for b in (0, 1)] for a in (0, 1)]
        y = ops.stack([ops.stack(row, axis=3) for row in parity], axis=2)  # (n, h, 2, w, 2, f)
        y = ops.reshape(y, (-1, 2 * h, 2 * w, f))
        if self.use_bias:
            y = y + self.bias
        return self.activation(y) if self.activation is not None else y


@keras.saving.register_keras_serializable(package="acgan_lib")
class CosineClassifier(layers.Layer):
    """ReACGAN's classifier: the cosine similarity of a unit embedding to each class's proxy.

    Inputs are already L2-normalised embeddings ``(n, d)``; the learned proxies ``(classes,
    d)`` are normalised here, so every class logit lies in [-1, 1] whatever the weights' norms
    (Kang et al. 2021: unnormalised features and weights let the classifier's gradients explode
    early in training). The argmax is the predicted class, as for a linear classifier.
    """

    def __init__(self, num_classes: int = NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def build(self, input_shape):
        self.proxies = self.add_weight(name="proxies", shape=(self.num_classes, input_shape[-1]),
                                       initializer="glorot_uniform")

    def call(self, embeddings):
        proxies = keras.ops.normalize(keras.ops.cast(self.proxies, embeddings.dtype), axis=-1)
        return keras.ops.matmul(embeddings, keras.ops.transpose(proxies))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def latent_dim_of(generator: keras.Model) -> int:
    """The noise size a generator ``[noise, label] -> image`` expects (its first input)."""
    return int(generator.inputs[0].shape[-1])


def build_generator(conditioning: str = "multiply", latent_dim: int = LATENT_DIM,
                    num_classes: int = NUM_CLASSES, name: str = "generator",
                    fused_upsampling: bool = False) -> keras.Model:
    """The generator: inputs ``[noise (n, latent_dim), label (n, 1) int]``, output ``(n, 28, 28, 1)``.

    ``fused_upsampling=True`` computes each ``UpSampling2D`` + ``Conv2D`` pair as one
    :class:`UpSamplingConv2D` (same weights, same function up to float rounding, about twice as
    fast to train on a CPU); the default keeps the two layers of the article.
    """
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
    upsampled = False  # whether x still has to be upsampled (fused into the next convolution)
    for i, (filters, upsample) in enumerate([(64, True), (128, True), (64, False)], start=1):
        conv = UpSamplingConv2D if upsampled else layers.Conv2D
        x = conv(filters, 3, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.8, name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        upsampled = upsample and fused_upsampling
        if upsample and not fused_upsampling:
            x = layers.UpSampling2D(2, name=f"upsample{i}")(x)
    # float32 output even under mixed precision: tanh saturates, and images leave the network.
    image = layers.Conv2D(1, 3, padding="same", activation="tanh", dtype="float32",
                          name="conv_tanh")(x)
    return keras.Model([noise, label], image, name=name)


def build_discriminator(auxiliary_classifier: bool = True, label_conditioning: bool = False,
                        num_classes: int = NUM_CLASSES, name: str = "discriminator",
                        head: str = "standard") -> keras.Model:
    """The discriminator.

    ACGAN (``auxiliary_classifier=True``): input image, outputs ``[real_logit (n, 1),
    class_logits (n, 10)]``. CGAN (``label_conditioning=True``): inputs ``[image, label]``,
    output ``real_logit (n, 1)``. ``head`` (:data:`DISCRIMINATOR_HEADS`) keeps these interfaces:

    * ``"twin"`` (ACGAN): one Dense of 20 units on the features; units 0-9 are the class
      logits, 10-19 TAC-GAN's twin classifier (no weight shared between the two), which only
      :func:`discriminator_training_view` outputs;
    * ``"normalised"`` (ACGAN): the features go through a Dense ``EMBEDDING_DIM`` projection,
      are L2-normalised, and the class logits are their cosine similarities to normalised
      class proxies (:class:`CosineClassifier`);
    * ``"projection"`` (CGAN): the image alone goes through the trunk ``phi``, and
      ``real_logit = psi(phi(x)) + <embed(y), phi(x)>``; no label plane.
    """
    if auxiliary_classifier == label_conditioning:
        raise ValueError("a discriminator has either an auxiliary classifier (ACGAN) or label "
                         "conditioning (CGAN): set exactly one of the two")
    if head not in DISCRIMINATOR_HEADS:
        raise ValueError(f"unknown discriminator head {head!r}; choose one of "
                         f"{', '.join(DISCRIMINATOR_HEADS)}")
    if DISCRIMINATOR_HEADS[head] not in (None, auxiliary_classifier):
        needs = "an auxiliary classifier (ACGAN)" if DISCRIMINATOR_HEADS[head] else \
            "label conditioning (CGAN)"
        raise ValueError(f"the {head!r} head needs {needs}; set auxiliary_classifier="
                         f"{DISCRIMINATOR_HEADS[head]} or choose another head")
    image = keras.Input((28, 28, 1), name="image")
    inputs = [image]
    x = image
    if label_conditioning:
        label = keras.Input((1,), dtype="int32", name="label")
        inputs.append(label)
        if head != "projection":
            plane = layers.Embedding(num_classes, 28 * 28, name="label_embedding")(label)
            plane = layers.Reshape((28, 28, 1), name="label_plane")(plane)
            x = layers.Concatenate(name="image_and_label")([image, plane])
    for i, filters in enumerate((32, 64, 128), start=1):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.8, name=f"bn{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"leaky_relu{i}")(x)
    x = layers.GlobalAveragePooling2D(name="global_average_pool")(x)
    if head == "projection":
        psi = layers.Dense(1, dtype="float32", name="psi")(x)
        embedded = layers.Embedding(num_classes, x.shape[-1], dtype="float32",
                                    name="projection_embedding")(label)
        embedded = layers.Flatten(dtype="float32", name="flatten_projection")(embedded)
        inner = layers.Dot(axes=1, dtype="float32", name="projection")([embedded, x])
        return keras.Model(inputs, layers.Add(dtype="float32", name="real_logit")([psi, inner]),
                           name=name)
    real_logit = layers.Dense(1, dtype="float32", name="real_logit")(x)
    if not auxiliary_classifier:
        return keras.Model(inputs, real_logit, name=name)
    if head == "twin":
        both = layers.Dense(2 * num_classes, dtype="float32", name="class_and_twin_logits")(x)
        class_logits = both[:, :num_classes]
    elif head == "normalised":
        embedding = layers.Dense(EMBEDDING_DIM, name="class_embedding")(x)
        embedding = layers.UnitNormalization(dtype="float32",
                                             name="normalised_embedding")(embedding)
        class_logits = CosineClassifier(num_classes, dtype="float32",
                                        name="class_logits")(embedding)
    else:
        class_logits = layers.Dense(num_classes, dtype="float32", name="class_logits")(x)
    return keras.Model(image, [real_logit, class_logits], name=name)


def discriminator_training_view(discriminator: keras.Model, head: str) -> keras.Model | None:
    """The ACGAN ``discriminator`` with the output its ``head``'s training loss also reads,
    as a third output: TAC-GAN's twin logits (``"twin"``) or ReACGAN's normalised embedding
    (``"normalised"``); ``None`` for a head without one.

    The view shares every layer and weight with ``discriminator``, which keeps its two outputs,
    so evaluation reads the main classifier only and checkpoints hold the twin head too.
    """
    extra = {"twin": "class_and_twin_logits", "normalised": "normalised_embedding"}.get(head)
    if extra is None:
        return None
    try:
        tensor = discriminator.get_layer(extra).output
    except ValueError:
        raise ValueError(f"the discriminator {discriminator.name!r} has no {extra!r} layer, so "
                         f"it has no {head!r} head; build it with build_discriminator("
                         f"head={head!r})") from None
    if head == "twin":
        tensor = tensor[:, tensor.shape[-1] // 2:]
    return keras.Model(discriminator.inputs, [*discriminator.outputs, tensor],
                       name=f"{discriminator.name}_training_view")


def generate(generator: keras.Model, labels, seed: int = 0, noise=None,
             latent_dim: int | None = None, batch_size: int = 1000):
    """Generate images (numpy, ``(n, 28, 28, 1)`` in [-1, 1]) for ``labels``.

    The noise is ``numpy.random.default_rng(seed).standard_normal`` unless given, so the same
    seed and weights give the same images on the same machine (a GPU or another TensorFlow
    version may differ in the last bits; see :mod:`acgan_lib.reproducibility`).
    """
    latent_dim = latent_dim or latent_dim_of(generator)
    labels = check_labels(labels)
    if noise is None:
        noise = np.random.default_rng(seed).standard_normal((len(labels), latent_dim))
    noise = np.asarray(noise, np.float32)
    if noise.shape != (len(labels), latent_dim):
        raise ValueError(f"noise must have shape ({len(labels)}, {latent_dim}), got {noise.shape}")
    out = [generator([noise[i:i + batch_size], labels[i:i + batch_size, None]], training=False)
           for i in range(0, len(labels), batch_size)]
    return np.concatenate([np.asarray(o, np.float32) for o in out]) if out else \
        np.zeros((0, 28, 28, 1), np.float32)
