"""The playground page (book/playground.md): its exporter, and the page as a reader uses it.

The exporter (``acgan_lib.playground``) must hand the page numbers that compute what the Keras
generator computes; the page, in Chromium, must draw it. Pixels are compared on the
generator's scale, [-1, 1], to :data:`~acgan_lib.playground.TOLERANCE` (1e-3); the canvas,
8-bit, to one grey level. The browser tests reuse tests/test_browser.py's built book, server
and Chromium; one more Chromium runs without WebGL.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from acgan_lib import playground as pg
from acgan_lib.pretrained import load_pretrained, pretrained_manifest
from acgan_lib.training import generate
from book_pages import screenshot_folder
from test_browser import CHROMIUM_ARGS, _chromium, browser, site  # noqa: F401 (fixtures)

MODELS = list(pg.PLAYGROUND_MODELS)
PAGE = "book/playground.html"


@pytest.fixture(scope="module")
def generators() -> dict:
    return {name: load_pretrained(name).generator for name in MODELS}


def _noise(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    noise = np.random.default_rng(seed).standard_normal((n, 100)).astype(np.float32)
    return noise, np.arange(n) % 10


def _max_difference(ops, arrays, generator, seed: int = 7, n: int = 200) -> float:
    noise, labels = _noise(n, seed)
    expected = generate(generator, labels, noise=noise)[..., 0]
    return float(np.abs(pg.forward(ops, arrays, noise, labels) - expected).max())


# ------------------------------------------------------------------------------ the exporter
@pytest.mark.parametrize("name", MODELS)
def test_exported_weights_reproduce_the_keras_generator(name, generators):
    manifest, blob = pg.export_generator(generators[name])
    arrays = pg.decode(manifest["tensors"], blob)
    assert _max_difference(manifest["ops"], arrays, generators[name]) < pg.TOLERANCE
    # Kernels: int16 plus a float32 scale per output channel (rows padded to 4 bytes);
    # embeddings and biases: float32.
    sizes = [4 * r["shape"][-1] + 4 * -(-arrays[r["name"]].size // 2)
             if r["encoding"] == "int16" else 4 * arrays[r["name"]].size
             for r in manifest["tensors"]]
    assert [r["encoding"] == "int16" for r in manifest["tensors"]] == \
        [k[0] in "kl" for k in arrays]
    assert len(blob) == sum(sizes)
    assert [op["op"] for op in manifest["ops"]][-4:] == ["conv", "upsample", "conv", "conv"]


def test_float16_kernels_would_miss_the_tolerance(generators):
    """Why the kernels are int16 with a scale per channel: float16 moves pixels too far."""
    ops, arrays = pg.graph(generators["acgan"])
    half = {k: a.astype(np.float16).astype(np.float32) for k, a in arrays.items()}
    assert _max_difference(ops, half, generators["acgan"]) > pg.TOLERANCE


def test_a_fused_upsampling_generator_exports_the_same_function(generators):
    from acgan_lib.models import build_generator

    fused = build_generator("multiply", fused_upsampling=True)
    fused.set_weights(generators["acgan"].get_weights())
    manifest, blob = pg.export_generator(fused)
    assert [op["op"] for op in manifest["ops"]] == \
        [op["op"] for op in pg.export_generator(generators["acgan"])[0]["ops"]]
    assert _max_difference(manifest["ops"], pg.decode(manifest["tensors"], blob),
                           fused) < pg.TOLERANCE


def test_a_layer_the_page_cannot_compute_is_named():
    import keras

    noise, label = keras.Input((100,)), keras.Input((1,), dtype="int32")
    one_hot = keras.layers.CategoryEncoding(10, output_mode="one_hot", name="one_hot")(label)
    x = keras.layers.Concatenate(name="concat")([noise, one_hot])
    x = keras.layers.LeakyReLU(name="leaky")(keras.layers.Dense(8)(x))
    with pytest.raises(ValueError, match="cannot compute layer 'leaky' \\(LeakyReLU\\)"):
        pg.graph(keras.Model([noise, label], x))


def test_write_playground_writes_each_model_and_the_index(tmp_path):
    written = pg.write_playground(tmp_path, ["acgan-2-epochs"])
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == \
        ["index.js", "models/acgan-2-epochs.js"]
    script = (tmp_path / "models" / "acgan-2-epochs.js").read_text()
    payload = json.loads(script[script.index("= {") + 2:].rstrip().rstrip(";"))
    assert payload["weights_sha256"] == pretrained_manifest("acgan-2-epochs")["weights_sha256"]
    arrays = pg.decode(payload["tensors"], base64.b64decode(payload["data"]))
    generator = load_pretrained("acgan-2-epochs").generator
    assert _max_difference(payload["ops"], arrays, generator, n=30) < pg.TOLERANCE
    index = (tmp_path / "index.js").read_text()
    entries = json.loads(index[index.index("= [") + 2:].rstrip().rstrip(";"))
    assert [e["name"] for e in entries] == ["acgan-2-epochs"]
    assert entries[0]["bytes"] == len(script) < 1_000_000


def test_bad_names_and_output_folders_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="unknown playground model.*'nope'.*shipped models"):
        pg.write_playground(tmp_path / "out", ["acgan", "nope"])
    with pytest.raises(ValueError, match="unknown playground model"):
        pg.write_playground(tmp_path / "out", [])
    assert not (tmp_path / "out").exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(PermissionError, match="a-file is not a writable folder"):
        pg.write_playground(blocker / "playground", ["acgan"])
    assert list(tmp_path.iterdir()) == [blocker]


# ------------------------------------------------------------------------------ the page
class Reader:
    """One tab on the playground, recording what would go wrong for a reader."""

    def __init__(self, browser, site: str, query: str = "", width: int = 1280):
        self.problems: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.route("**/*", lambda route: route.continue_()
                           if route.request.url.startswith(site + "/") else self._refuse(route))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text} ({m.location.get('url', '')})"))
        self.page.on("pageerror", lambda e: self.problems.append(f"JavaScript exception: {e}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))
        self.page.goto(f"{site}/{PAGE}{query}", wait_until="load")
        self.page.evaluate("() => window.acganPlaygroundReady")

    def _refuse(self, route):
        self.problems.append(f"requested from another site: {route.request.url}")
        route.abort()

    def idle(self) -> None:
        self.page.evaluate("() => window.acganPlayground.idle()")

    def pixels(self) -> np.ndarray:
        self.idle()
        return np.array(self.page.evaluate("() => window.acganPlayground.pixels()"), np.uint8)

    def generate(self, name: str, noise: np.ndarray, labels) -> np.ndarray:
        return np.array(self.page.evaluate(
            "([name, noise, labels]) => window.acganPlayground.generate(name, noise, labels)",
            [name, noise.tolist(), [int(x) for x in labels]]), np.float32).reshape(-1, 28, 28)

    def close(self) -> None:
        self.context.close()


def _matches_keras(reader: Reader, generators: dict, canvas: bool = True) -> None:
    """Every model of the page computes Keras' images, and (``canvas``) its canvas shows them."""
    assert reader.page.evaluate("() => window.acganPlayground.models") == MODELS
    noise, labels = _noise(6, seed=11)
    for name in MODELS:
        expected = generate(generators[name], labels, noise=noise)[..., 0]
        difference = np.abs(reader.generate(name, noise, labels) - expected).max()
        assert difference < pg.TOLERANCE, f"{name}: the page differs from Keras by {difference}"
    if not canvas:
        return
    reader.page.get_by_role("button", name=MODELS[-1], exact=True).click()
    reader.page.get_by_role("button", name="4", exact=True).click()
    reader.page.evaluate("(z) => window.acganPlayground.setNoise(z)", noise[0].tolist())
    grey = np.round((generate(generators[MODELS[-1]], [4], noise=noise[:1])[0, ..., 0] + 1)
                    * 127.5).reshape(-1)
    assert np.abs(reader.pixels().astype(int) - grey).max() <= 1


@pytest.mark.slow
def test_on_webgl_the_page_draws_what_keras_draws(browser, site, generators):
    """``?backend=webgl``: the page picks the CPU for a software WebGL such as headless
    Chromium's, so the WebGL backend is asked for by name here."""
    reader = Reader(browser, site, "?backend=webgl")
    try:
        assert reader.page.evaluate("() => window.acganPlayground.backend") == "webgl"
        _matches_keras(reader, generators, canvas=False)  # the canvas: on the CPU, below
        assert not reader.problems, "\n".join(reader.problems)
    finally:
        reader.close()


@pytest.mark.slow
def test_a_reader_clicks_a_digit_moves_a_slider_and_changes_model(browser, site, built_book,
                                                                   generators):
    reader = Reader(browser, site)
    try:
        page = reader.page
        before = reader.pixels()
        page.get_by_role("button", name="7", exact=True).click()
        after_digit = reader.pixels()
        assert page.evaluate("() => window.acganPlayground.state().digit") == 7
        assert np.abs(after_digit.astype(int) - before).max() > 50, "the digit did not change"
        box = page.locator("#pg-direction-1").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2)
        moved = reader.pixels()
        assert np.abs(moved.astype(int) - after_digit).mean() > 1, "the slider changed nothing"
        assert float(page.locator("#pg-direction-1").input_value()) > 2
        page.get_by_role("button", name=MODELS[-1], exact=True).click()
        assert np.abs(reader.pixels().astype(int) - moved).mean() > 1, "the model did not change"
        page.get_by_role("button", name="Draw new noise").click()
        reader.idle()
        assert "noise seed 2" in page.locator(".pg-seed").inner_text()
        status = page.locator(".pg-status").inner_text()
        weights = sum(a.size for a in pg.graph(generators[MODELS[-1]])[1].values())
        assert "TensorFlow.js" in status and f"{MODELS[-1]} has {weights:,} weights" in status
        shot = screenshot_folder(built_book.html) / "book" / "playground-in-use.png"
        shot.parent.mkdir(exist_ok=True)
        page.locator("#acgan-playground").screenshot(path=str(shot))
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("() => new Promise(done => requestAnimationFrame(() => "
                              "done(document.documentElement.scrollWidth)))")
        assert width <= 390, f"at 390 px the page scrolls sideways ({width} px)"
        assert not reader.problems, "\n".join(reader.problems)
    finally:
        reader.close()


@pytest.mark.slow
def test_without_webgl_the_page_computes_on_the_cpu(browser, site, generators):
    """A Chromium with WebGL turned off (``--disable-3d-apis``): TF.js's CPU backend."""
    no_webgl = browser.browser_type.launch(executable_path=_chromium(),
                                           args=[*CHROMIUM_ARGS, "--disable-3d-apis"])
    try:
        reader = Reader(no_webgl, site)
        assert reader.page.evaluate("() => window.acganPlayground.backend") == "cpu"
        _matches_keras(reader, generators)
        assert "this browser has no WebGL" in reader.page.locator(".pg-status").inner_text()
        assert not reader.problems, "\n".join(reader.problems)
    finally:
        no_webgl.close()


def test_a_book_build_without_tfjs_says_to_run_npm_ci(tmp_path, monkeypatch):
    import sys

    import acgan_lib
    from book_pages import ROOT
    from sphinx.errors import ExtensionError

    monkeypatch.syspath_prepend(str(ROOT / "book" / "_ext"))
    monkeypatch.delitem(sys.modules, "course_assets", raising=False)
    import course_assets

    assert course_assets.tfjs_sources(ROOT)[0].name == "tf-core.es2017.min.js"
    monkeypatch.setattr(acgan_lib, "__file__", str(tmp_path / "acgan_lib" / "__init__.py"))
    with pytest.raises(ExtensionError, match="not installed: run `npm ci`"):
        course_assets.tfjs_sources(tmp_path)
