"""Fidelity and coverage (acgan_lib.fidelity) on real digits: the reference, a collapsed
generator, CAS of a copy of the reference's own training digits, and bad input."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from acgan_lib.classifier import classifier_outputs
from acgan_lib.data import NUM_CLASSES, scale_images
from acgan_lib.evaluation import select_per_class
from acgan_lib.fidelity import (FidelityError, classification_accuracy_score, fidelity_real,
                                fidelity_scores, prdc_from_features)

N = 50  # images per digit: the offline sample holds 100 held-out images of each digit


def _lookup_generator(images_per_class: np.ndarray) -> keras.Model:
    """A 'generator' that ignores its noise and draws one fixed image per digit."""
    noise = keras.Input((100,))
    label = keras.Input((1,), dtype="int32")
    table = keras.layers.Embedding(NUM_CLASSES, 28 * 28, trainable=False)
    flat = table(label)
    images = keras.layers.Reshape((28, 28, 1))(flat)
    model = keras.Model([noise, label], images)
    table.set_weights([images_per_class.reshape(NUM_CLASSES, -1)])
    return model


@pytest.fixture(scope="module")
def reference(mnist):
    return fidelity_real(mnist, N, seed=0)


def test_real_digits_against_real_digits_score_high(reference):
    # two samples of real digits: most of each lies in the other's k-NN balls
    for name in ("precision", "recall", "coverage"):
        assert 0.75 < reference[name] <= 1.0, name
        assert min(reference[f"{name}_per_class"]) > 0.5, name
    assert 0.7 < reference["density"] < 1.3  # about 1 for two draws of one distribution
    assert reference["cas"] > 0.85  # a classifier trained on 500 real digits
    assert reference["intra_fd"] > 0  # two samples of real digits are not identical
    assert reference["k"] == 5 and reference["n_per_class"] == N


def test_a_generator_that_draws_one_image_per_digit_covers_nothing(mnist, reference):
    picked, _ = select_per_class(mnist.x_train, mnist.y_train, 1, seed=3)
    collapsed = fidelity_scores(_lookup_generator(scale_images(picked)), mnist, N, cas=False)
    assert collapsed["recall"] < 0.05 and collapsed["coverage"] < 0.1
    assert max(collapsed["recall_per_class"]) < 0.1
    assert collapsed["intra_fd"] > 3 * reference["intra_fd"]


def test_cas_of_a_copy_of_the_reference_training_digits_equals_the_reference(mnist,
                                                                          reference):
    images, labels = select_per_class(mnist.x_train, mnist.y_train, N, seed=1)  # seed + 1
    copy = classification_accuracy_score(images, labels, mnist.x_test, mnist.y_test, seed=0)
    assert copy["cas"] == reference["cas"]
    assert copy["cas_test_images"] == len(mnist.x_test)


def test_too_few_images_for_k_is_refused_with_the_fix():
    features = np.random.default_rng(0).normal(size=(5, 128))
    with pytest.raises(FidelityError, match="too few for k=5 nearest neighbours.*smaller k"):
        prdc_from_features(features, features, k=5)


def test_a_generator_whose_output_is_out_of_range_is_refused(mnist):
    picked, _ = select_per_class(mnist.x_train, mnist.y_train, 1, seed=3)
    loud = _lookup_generator(3.0 * scale_images(picked))  # values in [-3, 3]
    with pytest.raises(ValueError, match=r"must be scaled to \[-1, 1\] \(found values in"):
        fidelity_scores(loud, mnist, N, cas=False)


def test_cas_needs_every_digit(mnist):
    images, labels = select_per_class(mnist.x_train, mnist.y_train, 10, seed=0)
    keep = labels != 7
    with pytest.raises(FidelityError, match="none of 7"):
        classification_accuracy_score(images[keep], labels[keep], mnist.x_test, mnist.y_test)


def test_prdc_uses_the_classifier_features(mnist):
    # precision is 1 for a set scored against itself (every point lies in its own ball)
    images, _ = select_per_class(mnist.x_test, mnist.y_test, 20, seed=0)
    _, features = classifier_outputs(images)
    scores = prdc_from_features(features, features, k=5)
    assert scores["precision"] == 1.0 and scores["coverage"] == 1.0
