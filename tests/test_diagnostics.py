"""The diagnostic pictures: what they show is what they claim to show."""

import numpy as np
import pytest

from acgan_lib import diagnostics
from acgan_lib.models import build_generator
from acgan_lib.pretrained import load_pretrained
from acgan_lib.models import generate
from acgan_lib.viz import tile_images


@pytest.fixture(scope="module")
def multiply():
    return load_pretrained("cgan-multiply").generator


def test_style_grid_is_one_noise_vector_per_row(multiply):
    picture = diagnostics.style_grid(multiply, styles=2, seed=3)
    noise = np.random.default_rng(3).standard_normal((2, 100)).astype(np.float32)
    expected = generate(multiply, np.tile(np.arange(10), 2), noise=np.repeat(noise, 10, 0))
    np.testing.assert_array_equal(picture, tile_images(expected, rows=2))


def test_slerp_ends_at_its_endpoints_and_keeps_the_norm():
    a, b = np.random.default_rng(0).standard_normal((2, 100))
    path = diagnostics.slerp(a, b, np.linspace(0, 1, 5))
    np.testing.assert_allclose(path[0], a)
    np.testing.assert_allclose(path[-1], b, atol=1e-9)
    norms = np.linalg.norm(path, axis=1)
    assert norms.min() > 0.9 * min(np.linalg.norm(a), np.linalg.norm(b))  # no dip in the middle


def test_embedding_interpolation_goes_from_one_digit_to_the_other_and_restores(multiply):
    table = multiply.get_layer("label_embedding").embeddings
    before = np.array(table.numpy())
    picture = diagnostics.embedding_interpolation(multiply, 1, 7, steps=3, rows=1, seed=0)
    np.testing.assert_array_equal(table.numpy(), before)
    noise = np.random.default_rng(0).standard_normal((1, 100)).astype(np.float32)
    ends = [generate(multiply, [d], noise=noise) for d in (1, 7)]
    last = tile_images(ends[1], rows=1)
    np.testing.assert_array_equal(picture[:, -last.shape[1]:], last)  # ends at the 7
    assert picture.shape == (32, 2 + 3 * 30)
    with pytest.raises(ValueError, match="multiplies a label embedding"):
        diagnostics.embedding_interpolation(build_generator("concat"), 1, 7)
    with pytest.raises(ValueError, match="first must be an integer from 0 to 9"):
        diagnostics.embedding_interpolation(multiply, 10, 7)


def test_failures_reads_the_least_varied_digit_and_most_confused_pair(multiply):
    matrix = np.eye(10, dtype=int) * 90
    matrix[3, 8] = 10  # asked for 3, drawn as 8: the most confused pair
    evaluation = {"diversity_per_class": [1.0] * 4 + [0.2] + [1.0] * 5,
                  "confusion_matrix": matrix.tolist()}
    f = diagnostics.failures(multiply, evaluation, examples=4)
    assert (f.least_varied_digit, f.requested, f.seen) == (4, 3, 8)
    assert f.confused_fraction == pytest.approx(0.1)
    assert f.least_varied.shape == f.confused.shape == (32, 2 + 4 * 30)


def test_memorisation_check_on_real_digits(multiply, mnist):
    memo = diagnostics.nearest_training_images(multiply, mnist, examples=5, n=200)
    assert memo.pairs.shape == (2 + 2 * 30, 2 + 5 * 30)
    assert 0.5 < memo.generated_distance / memo.unseen_distance < 3
    index, distance = diagnostics._nearest(np.eye(3), np.eye(3)[::-1])
    assert list(index) == [2, 1, 0] and np.allclose(distance, 0)


def test_training_strip_cuts_one_column_of_each_epochs_grid():
    from acgan_lib.pretrained import pretrained_history

    history = pretrained_history("cgan-concat")
    strip = diagnostics.training_strip(history, column=3)
    assert strip.shape == (len(history.epochs) * 30 + 2, 10 * 30 + 2)
    last = history.grids[-1]
    last = last[:, last.shape[1] - last.shape[0]:]
    for digit in range(10):  # the last row: digit d of column 3, the last epoch
        y, x = 2 + digit * 30, 2 + 3 * 30
        np.testing.assert_array_equal(strip[-30:-2, 2 + digit * 30:][:, :28],
                                      last[y:y + 28, x:x + 28])
    with pytest.raises(ValueError, match="no sample grid for epoch"):
        diagnostics.training_strip(history, epochs=[99])
    with pytest.raises(ValueError, match="column must be an integer from 0 to 9"):
        diagnostics.training_strip(history, column=10)


def test_untile_images_inverts_tile_images_and_rejects_other_pictures():
    from acgan_lib.viz import label_rows, unlabel_rows, untile_images

    images = np.random.default_rng(0).uniform(-1, 1, (20, 28, 28, 1)).astype(np.float32)
    picture = tile_images(images, rows=2)
    np.testing.assert_array_equal(tile_images(untile_images(picture, rows=2), rows=2), picture)
    square = tile_images(images[:4], rows=2)
    np.testing.assert_array_equal(unlabel_rows(label_rows(square, rows=2)), square)
    with pytest.raises(ValueError, match="is not 3 rows of 28-pixel tiles"):
        untile_images(picture, rows=3)
