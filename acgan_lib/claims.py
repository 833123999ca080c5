"""The article's claims, and what the course needs to judge them: parameter counts of the
networks it compares ACGAN with.

The article says its ACGAN has "only 0.4M parameters, almost the same as DCGAN, and fewer than
CGAN". Counting needs the networks: the article's own (:mod:`acgan_lib.article`), the same
networks without their label parts (a DCGAN with the article's layers), the course's
convolutional CGAN, and the MLP CGAN of Mirza & Osindero (2014), whose MNIST model is built
here from the paper's description (:func:`mirza_osindero_cgan`). Chapter 8 judges every claim
with one of :data:`VERDICTS`.
"""

from __future__ import annotations

import keras

from acgan_lib import article
from acgan_lib.catalogue import build_gan
from acgan_lib.models import LATENT_DIM
from acgan_lib.validation import NUM_CLASSES

#: The verdicts chapter 8 gives, each with its one-line meaning, in the order its introduction
#: lists them; a verdict that needs a qualifier ("at both budgets", "on Keras 2 only") says it
#: beside the word, never with a new word.
VERDICTS: dict[str, str] = {
    "holds": "the measurement agrees with the claim",
    "holds with a caveat": "it agrees only where the verdict says (one version, some "
                           "settings, one metric), and not elsewhere",
    "holds for a different reason": "the claim is right, but the reason the article gives is "
                                    "not",
    "fails": "the measurement contradicts it",
    "not settled": "this course has not measured it well enough to say",
}

#: The article's layers that exist only because of the label: the generator's embedding and
#: the discriminator's class head. A DCGAN with the article's layers is the rest.
ARTICLE_LABEL_LAYERS = ("embedding", "dense_softmax")


def _maxout(x, units: int, pieces: int, name: str):
    """A maxout layer (Goodfellow et al., 2013): ``pieces`` linear maps, their maximum."""
    x = keras.layers.Dense(units * pieces, name=f"{name}_linear")(x)
    x = keras.layers.Reshape((units, pieces), name=f"{name}_pieces")(x)
    return keras.layers.Lambda(lambda t: keras.ops.max(t, axis=-1), name=name)(x)


def mirza_osindero_cgan(latent_dim: int = LATENT_DIM) -> tuple[keras.Model, keras.Model]:
    """The MNIST CGAN of Mirza & Osindero (2014, section 4.1), as ``(generator,
    discriminator)``.

    Generator: noise (100) to a ReLU layer of 200 units and the one-hot label to one of 1,000,
    joined in a ReLU layer of 1,200 units, then 784 sigmoid outputs. Discriminator: the image to
    a maxout layer of 240 units with 5 pieces and the label to one of 50 units with 5 pieces,
    joined in a maxout layer of 240 units with 4 pieces, then one sigmoid output.
    """
    layers = keras.layers
    noise = layers.Input((latent_dim,), name="noise")
    label = layers.Input((NUM_CLASSES,), name="label_one_hot")
    hidden = layers.Concatenate()([layers.Dense(200, activation="relu")(noise),
                                   layers.Dense(1000, activation="relu")(label)])
    hidden = layers.Dense(1200, activation="relu")(hidden)
    generator = keras.Model([noise, label], layers.Dense(784, activation="sigmoid")(hidden),
                            name="mirza_osindero_generator")
    image = layers.Input((784,), name="image")
    d_label = layers.Input((NUM_CLASSES,), name="label_one_hot")
    joined = layers.Concatenate()([_maxout(image, 240, 5, "maxout_image"),
                                   _maxout(d_label, 50, 5, "maxout_label")])
    joined = _maxout(joined, 240, 4, "maxout_joint")
    discriminator = keras.Model([image, d_label],
                                layers.Dense(1, activation="sigmoid")(joined),
                                name="mirza_osindero_discriminator")
    return generator, discriminator


def parameter_counts() -> dict[str, dict[str, int]]:
    """Generator, discriminator and total weights of each network the article's claim names."""
    k3 = article.load_keras("keras3")
    generator = article.build_article_generator(k3)
    discriminator = article.build_article_discriminator(k3)

    def without_labels(model: keras.Model) -> int:
        return sum(layer.count_params() for layer in model.layers
                   if layer.name not in ARTICLE_LABEL_LAYERS)

    course_cgan = build_gan("cgan-concat", jit_compile=False)
    mo_generator, mo_discriminator = mirza_osindero_cgan()
    pairs = {
        "article ACGAN": (generator.count_params(), discriminator.count_params()),
        "DCGAN with the article's layers": (without_labels(generator),
                                            without_labels(discriminator)),
        "the course's convolutional CGAN": (course_cgan.generator.count_params(),
                                            course_cgan.discriminator.count_params()),
        "Mirza & Osindero's MLP CGAN": (mo_generator.count_params(),
                                        mo_discriminator.count_params()),
    }
    return {name: {"generator": g, "discriminator": d, "total": g + d}
            for name, (g, d) in pairs.items()}


def layer_counts(model: keras.Model) -> dict[str, int]:
    """The weights of each layer of ``model`` that has any, by layer name."""
    return {layer.name: layer.count_params() for layer in model.layers if layer.count_params()}


def label_input_gap() -> dict[str, int]:
    """Where the course's convolutional CGAN (``cgan-concat``) has more weights than the
    article's ACGAN: ``generator_input``, the generator's first dense layer, which reads the
    one-hot label as 10 more inputs, less the ACGAN's label embedding; ``discriminator``, the
    CGAN discriminator's label embedding and extra input channel, less the ACGAN's class head;
    and ``total``."""
    k3 = article.load_keras("keras3")
    acgan_g = layer_counts(article.build_article_generator(k3))
    acgan_d = article.build_article_discriminator(k3).count_params()
    cgan = build_gan("cgan-concat", jit_compile=False)
    cgan_g = layer_counts(cgan.generator)
    generator_input = cgan_g["dense"] - acgan_g["dense_relu"] - acgan_g["embedding"]
    discriminator = cgan.discriminator.count_params() - acgan_d
    rest = sum(cgan_g.values()) - sum(acgan_g.values()) - generator_input
    return {"generator_input": generator_input, "generator_rest": rest,
            "discriminator": discriminator,
            "total": generator_input + rest + discriminator}
