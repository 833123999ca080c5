"""Fidelity and coverage: what label accuracy and one Frechet distance cannot see.

An ACGAN is trained to please a classifier, so it can score *above* what real digits score on
label accuracy by drawing digits that are easier than real ones (the easy-sample bias: Shu 2017;
Gong et al. 2019), and one overall Frechet distance cannot tell a generator that covers every
style of a 7 from one that draws a few tidy 7s. The measurements here ask those questions, all
in the shipped classifier's 128-d feature space (:mod:`acgan_lib.classifier`):

* :func:`prdc_scores`: precision and recall (Kynkaanniemi et al. 2019), density and coverage
  (Naeem et al. 2020), from the ``prdc`` package, with k nearest neighbours (default
  :data:`NEAREST_K` = 5, as Naeem et al. recommend). Precision/density: do generated digits lie
  where real ones do? Recall/coverage: are the real digits' styles drawn at all? Overall (all
  digits pooled) and per digit (each digit's images against the same digit's real ones).
* the intra-class Frechet distance: the Frechet distance of each digit's generated images to the
  same digit's real ones, and its mean over digits.
* :func:`classification_accuracy_score` (CAS, Ravuri & Vinyals 2019): a fresh copy of the
  course's classifier, trained only on generated digits labelled with the label asked for,
  tested on real held-out digits. Can the generated 7s stand in for real 7s?

Every score has a real-data reference at the same sample sizes (:func:`fidelity_real`): real
*training* digits in the generated images' place. A score above the reference means "easier or
tidier than real digits", never "better than real".
"""

from __future__ import annotations

import contextlib
import io
import time

import keras
import numpy as np

from acgan_lib.classifier import build_classifier, classifier_outputs
from acgan_lib.data import NUM_CLASSES, MnistData, make_dataset, model_images
from acgan_lib.evaluation import (frechet_from_features, generate_per_class, held_out_split,
                                  select_per_class)
from acgan_lib.validation import check_labels, check_positive_int

#: k of the k-nearest-neighbour balls (Naeem et al. 2020 recommend 5).
NEAREST_K = 5
#: How the CAS classifier is trained: the course's classifier architecture, from scratch, for
#: a fixed number of steps whatever the number of training images (six epochs of 5,000).
CAS_STEPS = 300
CAS_BATCH_SIZE = 100
CAS_LEARNING_RATE = 1e-3
#: The scalar scores, as study results and tables name them.
FIDELITY_COLUMNS = ("precision", "recall", "density", "coverage", "intra_fd", "cas")


class FidelityError(ValueError):
    """The inputs cannot give a meaningful score; the message says why and what to change."""


def _check_k(n_real: int, n_fake: int, k: int, what: str) -> None:
    check_positive_int(k, "k (nearest neighbours)")
    smallest = min(n_real, n_fake)
    if smallest <= k:
        raise FidelityError(
            f"{what}: {smallest} images is too few for k={k} nearest neighbours (each set needs "
            f"more than k images; k-NN balls from so few points are meaningless); use at least "
            f"{max(10 * k, k + 1)} images per set, or a smaller k")


def prdc_from_features(real_features: np.ndarray, fake_features: np.ndarray,
                       k: int = NEAREST_K, what: str = "prdc") -> dict:
    """Precision, recall, density and coverage of ``fake_features`` against ``real_features``
    (the ``prdc`` package; its progress print is silenced)."""
    from prdc import compute_prdc

    _check_k(len(real_features), len(fake_features), k, what)
    with contextlib.redirect_stdout(io.StringIO()):
        scores = compute_prdc(np.asarray(real_features, np.float32),
                              np.asarray(fake_features, np.float32), nearest_k=k)
    return {name: float(value) for name, value in scores.items()}


def prdc_scores(real_features, real_labels, fake_features, fake_labels,
                k: int = NEAREST_K) -> dict:
    """Overall scores (every digit pooled) and, per digit, the same scores of that digit's
    generated images (by requested label) against that digit's real images."""
    real_labels = check_labels(real_labels, n=len(real_features), name="real_labels")
    fake_labels = check_labels(fake_labels, n=len(fake_features), name="fake_labels")
    result = prdc_from_features(real_features, fake_features, k, "pooled digits")
    per_class = [prdc_from_features(real_features[real_labels == c],
                                    fake_features[fake_labels == c], k, f"digit {c}")
                 for c in range(NUM_CLASSES)]
    for name in ("precision", "recall", "density", "coverage"):
        result[f"{name}_per_class"] = [s[name] for s in per_class]
    return result


def intra_class_frechet(real_features, real_labels, fake_features, fake_labels) -> dict:
    """The Frechet distance of each digit's generated features to the same digit's real ones,
    and their mean (``intra_fd``). Biased upwards at small sizes, as every Frechet distance:
    compare only at equal images per digit, and with the real reference."""
    per_class = []
    for c in range(NUM_CLASSES):
        real_c, fake_c = real_features[real_labels == c], fake_features[fake_labels == c]
        if min(len(real_c), len(fake_c)) < 2:
            raise FidelityError(f"digit {c} has {len(real_c)} real and {len(fake_c)} generated "
                                "images; the intra-class Frechet distance needs at least 2 of "
                                "each (a few hundred for a meaningful number)")
        per_class.append(frechet_from_features(real_c, fake_c))
    return {"intra_fd": float(np.mean(per_class)), "intra_fd_per_class": per_class}


def classification_accuracy_score(train_images, train_labels, test_images, test_labels,
                                  seed: int = 0, steps: int = CAS_STEPS) -> dict:
    """CAS: train a fresh :func:`~acgan_lib.classifier.build_classifier` on ``train_images``
    (generated digits, labelled with the label asked for) and test it on real ``test_images``.

    Fixed recipe (Adam 1e-3, :data:`CAS_STEPS` batches of :data:`CAS_BATCH_SIZE`, weights and
    shuffling from ``seed``), so that a score differs only by what it was trained on; the
    reference is the same recipe trained on as many real digits.
    """
    train_images = model_images(train_images, "CAS training images")
    train_labels = check_labels(train_labels, n=len(train_images), name="CAS training labels")
    missing = sorted(set(range(NUM_CLASSES)) - set(np.unique(train_labels).tolist()))
    if missing:
        raise FidelityError(f"CAS needs training images of every digit; none of "
                            f"{', '.join(map(str, missing))}")
    check_positive_int(steps, "steps")
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    classifier = build_classifier(name="cas_classifier")
    classifier.compile(optimizer=keras.optimizers.Adam(CAS_LEARNING_RATE),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    batch = min(CAS_BATCH_SIZE, len(train_images))
    dataset = make_dataset(train_images, train_labels, batch, seed=seed, repeat=True)
    classifier.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0,
                   shuffle=False)  # make_dataset shuffles
    test_labels = np.asarray(test_labels)
    predicted = classifier_outputs(test_images, classifier)[0].argmax(axis=1)
    correct = predicted == test_labels
    return {"cas": float(correct.mean()),
            "cas_per_class": [float(correct[test_labels == c].mean())
                              for c in range(NUM_CLASSES)],
            "cas_train_images": int(len(train_images)), "cas_test_images": int(len(correct)),
            "cas_seconds": round(time.perf_counter() - started, 1)}


def _scores(images, labels, real_images, real_labels, data: MnistData, k: int, seed: int,
            cas: bool, cas_steps: int) -> dict:
    _, fake_features = classifier_outputs(images)
    _, real_features = classifier_outputs(real_images)
    result = prdc_scores(real_features, real_labels, fake_features, labels, k)
    result.update(intra_class_frechet(real_features, real_labels, fake_features, labels))
    if cas:
        result.update(classification_accuracy_score(images, labels, data.x_test, data.y_test,
                                                     seed=seed, steps=cas_steps))
        result["cas_steps"] = int(cas_steps)
    return result


def _held_out(data: MnistData | None, n_per_class: int, seed: int):
    data, held_out = held_out_split(data)
    real = select_per_class(data.x_test, data.y_test, n_per_class, seed,
                            what=f"the {held_out} set of {data.source}")
    return data, real


def fidelity_scores(generator, data: MnistData | None = None, n_per_class: int = 500,
                    seed: int = 0, k: int = NEAREST_K, cas: bool = True,
                    cas_steps: int = CAS_STEPS) -> dict:
    """Precision, recall, density, coverage (overall and per digit), intra-class Frechet
    distance and CAS of a generator (or ConditionalGAN), against real held-out digits.

    ``n_per_class`` generated images of each digit (noise from ``seed``) against as many real
    held-out images of each digit (the same draw as :func:`~acgan_lib.evaluation.
    evaluate_generator` with the same ``seed``); CAS (``cas_steps`` training steps; fewer only
    for smoke tests) tests on every held-out digit. Generated
    images outside [-1, 1] are refused with the range found.
    """
    data, (real_images, real_labels) = _held_out(data, n_per_class, seed)
    images, labels = generate_per_class(generator, n_per_class, seed)
    images = model_images(images, "generated images (the generator's output)")
    result = _scores(images, labels, real_images, real_labels, data, k, seed, cas, cas_steps)
    return {**result, "k": k, "n_per_class": int(n_per_class), "seed": int(seed)}


def fidelity_real(data: MnistData | None = None, n_per_class: int = 500, seed: int = 0,
                  k: int = NEAREST_K, cas: bool = True, cas_steps: int = CAS_STEPS) -> dict:
    """The reference: real *training* digits (``n_per_class`` of each, drawn with
    ``seed + 1``, as :func:`~acgan_lib.evaluation.evaluate_real` draws them) scored as if they
    were generated, against the same held-out digits as :func:`fidelity_scores`."""
    data, (real_images, real_labels) = _held_out(data, n_per_class, seed)
    images, labels = select_per_class(data.x_train, data.y_train, n_per_class, seed + 1,
                                      what=f"the training set of {data.source}")
    result = _scores(model_images(images), labels, real_images, real_labels, data, k, seed, cas,
                     cas_steps)
    return {**result, "k": k, "n_per_class": int(n_per_class), "seed": int(seed)}
