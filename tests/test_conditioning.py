"""label_dependence: does it see whether (and how much) a generator uses its label?"""

import math

import keras
import numpy as np
import pytest

from acgan_lib.conditioning import LabelDependence, label_dependence
from acgan_lib.models import build_generator


def _toy_generator(use_noise: bool, use_label: bool) -> keras.Model:
    noise = keras.Input((8,), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    parts = []
    if use_noise:
        parts.append(keras.layers.Dense(4, name="from_noise")(noise))
    if use_label:
        emb = keras.layers.Embedding(10, 4, name="emb")(label)
        parts.append(keras.layers.Flatten()(emb))
    x = parts[0] if len(parts) == 1 else keras.layers.Add()(parts)
    return keras.Model([noise, label], x)


def test_label_blind_generator_scores_zero():
    result = label_dependence(_toy_generator(use_noise=True, use_label=False), pairs=64)
    assert result.label_change == 0.0
    assert result.noise_change > 0.0
    assert result.ratio == 0.0


def test_noise_blind_generator_scores_infinite():
    result = label_dependence(_toy_generator(use_noise=False, use_label=True), pairs=64)
    assert result.noise_change == 0.0
    assert result.label_change > 0.0
    assert math.isinf(result.ratio)


def test_concat_generator_label_weights_control_the_score():
    """On the course's concat generator: cut the one-hot's weights -> 0; enlarge them -> more."""
    generator = build_generator("concat")
    dense = generator.get_layer("dense")
    kernel, bias = dense.get_weights()  # rows 0..99 noise, rows 100..109 the one-hot label
    base = label_dependence(generator, pairs=200, layer="dense")

    cut = kernel.copy()
    cut[100:] = 0.0
    dense.set_weights([cut, bias])
    assert label_dependence(generator, pairs=200, layer="dense").label_change == 0.0
    assert label_dependence(generator, pairs=200).label_change == 0.0  # images too

    loud = kernel.copy()
    loud[100:] *= 20.0
    dense.set_weights([loud, bias])
    louder = label_dependence(generator, pairs=200, layer="dense")
    assert louder.ratio > 5 * base.ratio
    assert louder.noise_change == pytest.approx(base.noise_change, rel=0.5)


def test_same_seed_same_result_and_dict():
    generator = build_generator("multiply")
    a = label_dependence(generator, pairs=50, seed=3)
    b = label_dependence(generator, pairs=50, seed=3)
    assert a == b
    assert isinstance(a, LabelDependence)
    d = a.to_dict()
    assert set(d) == {"label_change", "noise_change", "pairs", "layer", "ratio"}
    assert d["pairs"] == 50 and np.isfinite(d["ratio"])


@pytest.mark.parametrize("kwargs, match", [
    ({"pairs": 0}, "pairs must be a positive integer"),
    ({"num_classes": 1}, "num_classes must be an integer >= 2"),
    ({"layer": "no_such_layer"}, "no layer named 'no_such_layer'"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        label_dependence(build_generator("concat"), **kwargs)


def test_not_a_generator():
    with pytest.raises(TypeError, match="two inputs"):
        label_dependence(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))


def test_wider_noise_drowns_a_concatenated_label_at_initialisation():
    """Exercise 3.3's step 1: at initialisation the concatenated label's ratio halves for every
    factor of four in the noise width (a label change is two one-hot entries; a noise change
    grows like the square root of the width), while the multiplied label's stays near 1."""
    ratio = {}
    for kind in ("concat", "multiply"):
        for width in (25, 400):
            values = []
            for seed in range(2):
                keras.utils.set_random_seed(seed)
                g = build_generator(kind, latent_dim=width)
                values.append(label_dependence(g, pairs=150, seed=seed, layer="dense").ratio)
            ratio[kind, width] = float(np.mean(values))
    assert 0.15 < ratio["concat", 25] < 0.3 and 0.03 < ratio["concat", 400] < 0.08
    assert 3 < ratio["concat", 25] / ratio["concat", 400] < 5.5  # sqrt(16) = 4
    assert all(0.85 < ratio["multiply", w] < 1.15 for w in (25, 400))


def test_label_gains_are_the_embedding_lengths_and_a_zero_gain_removes_the_noise():
    from acgan_lib.conditioning import label_gains
    from acgan_lib.models import generate

    generator = build_generator("multiply")
    table = generator.get_layer("label_embedding").embeddings
    weights = np.array(table.numpy())
    np.testing.assert_allclose(label_gains(generator), np.linalg.norm(weights, axis=1),
                               rtol=1e-6)
    weights[3] = 0.0  # digit 3: no gain, so the noise cannot reach the image
    table.assign(weights)
    assert label_gains(generator)[3] == 0
    images = generate(generator, [3] * 4, seed=1)
    assert np.abs(images - images[:1]).max() < 1e-5  # one image, whatever the noise
    with pytest.raises(ValueError, match="multiplies a label embedding"):
        label_gains(build_generator("concat"))


@pytest.mark.parametrize("name", ["cgan-multiply", "acgan-2-epochs", "acgan-real-aux", "acgan"])
def test_each_shipped_multiplying_generators_least_varied_digit_has_the_smallest_gain(name):
    """The measurement behind chapter 4's explanation of the ACGANs' collapsed digits."""
    from acgan_lib.conditioning import label_gains
    from acgan_lib.pretrained import load_pretrained, pretrained_manifest

    gains = label_gains(load_pretrained(name).generator)
    least_varied = pretrained_manifest(name)["evaluation"]["diversity_lowest_digit"]
    assert int(np.argmin(gains)) == least_varied, (gains.round(2), least_varied)
