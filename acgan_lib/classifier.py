"""The independent MNIST classifier that every metric of the course is measured with.

A small CNN (:func:`build_classifier`) that the project trains with its own code
(:func:`train_classifier`, ``python -m acgan_lib train-classifier``) on the full MNIST training
set and ships as weights only (``acgan_lib/pretrained/classifier.npz``). It is independent of
every GAN: trained separately, on real digits only, so a generator cannot have learned to
please it. :func:`classifier_outputs` gives its logits and its 128-d ``features`` (the space of
the Frechet distance and of the diversity score, :mod:`acgan_lib.evaluation`).
"""

from __future__ import annotations

import os
import time
import weakref
from pathlib import Path

import keras
import numpy as np

from acgan_lib.checkpoint import FORMAT, CheckpointError, assign_arrays, atomic_savez, read_npz
from acgan_lib.data import NUM_CLASSES, MnistData, make_dataset, model_images
from acgan_lib.files import versions, write_json
from acgan_lib.validation import check_positive_int

CLASSIFIER_MODEL = "mnist-classifier"
#: The shipped classifier, in the package's folder of shipped checkpoints
#: (:data:`acgan_lib.pretrained.PRETRAINED_DIR`, which is this file's folder).
CLASSIFIER_PATH = Path(__file__).resolve().parent / "pretrained" / "classifier.npz"
FEATURES_LAYER = "features"
LR_DECAY = 0.6  # the classifier's learning rate is multiplied by this after each epoch

_DEFAULT_CLASSIFIER: keras.Model | None = None
_FEATURE_MODELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


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
    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
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
    predicted = classifier_outputs(data.x_test, classifier)[0].argmax(axis=1)
    correct = predicted == np.asarray(data.y_test)
    return classifier, {
        "test_accuracy": float(correct.mean()),
        "test_accuracy_per_class": [float(correct[data.y_test == c].mean())
                                    for c in range(NUM_CLASSES)],
        "test_images": int(len(data.x_test)),
        "train_loss": [float(v) for v in history.history["loss"]],
        "train_accuracy": [float(v) for v in history.history["accuracy"]],
        "wall_clock_seconds": round(seconds, 1),
    }


def train_and_save_classifier(data: MnistData, out: str | os.PathLike, epochs: int = 4,
                              batch_size: int = 128, learning_rate: float = 1e-3, seed: int = 0,
                              verbose: int = 1, command: str | None = None) -> dict:
    """Train the classifier and write ``out/classifier.npz`` and its manifest ``classifier.json``."""
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
        "command": command or "acgan_lib.classifier.train_and_save_classifier(...)",
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


def feature_model(classifier: keras.Model) -> keras.Model:
    model = _FEATURE_MODELS.get(classifier)
    if model is None:
        try:
            features = classifier.get_layer(FEATURES_LAYER).output
        except ValueError as exc:
            raise ValueError(f"the classifier has no layer named {FEATURES_LAYER!r}; build it "
                             "with acgan_lib.classifier.build_classifier()") from exc
        model = keras.Model(classifier.inputs[0], [classifier.outputs[0], features])
        _FEATURE_MODELS[classifier] = model
    return model


def classifier_outputs(images, classifier: keras.Model | None = None,
                       batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """``(logits (n, 10), features (n, 128))`` of the classifier (default: the shipped one)."""
    images = model_images(images)
    model = feature_model(classifier or default_classifier())
    logits, features = [], []
    for i in range(0, len(images), batch_size):
        lo, fe = model(images[i:i + batch_size], training=False)
        logits.append(np.asarray(lo, np.float32))
        features.append(np.asarray(fe, np.float64))
    return np.concatenate(logits), np.concatenate(features)
