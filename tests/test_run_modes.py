"""Every run mode builds (issue #34): the conclusions that depend on the mode's sizes hold at
the sizes of smoke, cpu and full, and full mode's training sizes run.

CI executes the notebooks in the smoke mode only, while a reader's ``jupyter-book build .``
runs them in the cpu mode and Colab in the full mode. So these tests take each mode's sizes
from the notebooks themselves (their setup cells, executed with ``ACGAN_RUN_MODE`` set; those
that change with the mode read ``acgan_lib.notebook.MODE_SIZES``) and execute the notebooks'
own cells behind every mode-dependent conclusion with them, then the same check the chapter
runs (``acgan_lib.evidence``). A conclusion that holds at CI's sizes and not at a reader's
fails here. The data are the tests' (the offline sample, or ``$ACGAN_MNIST_PATH``): on the
sample, sizes above its 100 held-out images per digit are capped, as in the chapters, so the
500 images per digit of the full mode are evaluated only with ``$ACGAN_MNIST_PATH``.

Cost on 2 CPU cores, offline sample: about 6 minutes in all (exercise 6.3's evaluation draws,
2 minutes, are the largest part; the cpu and full modes share them on the sample). A GPU is
not needed: ``test_full_mode_sizes_run_one_step`` builds every model the full mode trains,
with its batch size, XLA and mixed-precision settings, and runs one step of it on the CPU.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from acgan_lib import conditioning, evidence  # noqa: E402
from acgan_lib.notebook import MODE_SIZES, RUN_MODES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
#: Chapters whose few per-mode sizes stay in the notebook: no conclusion check of theirs
#: depends on them (chapter 4: its live demo; chapter 5: how many article steps it observes).
OWN_TABLES = {"04_acgan": ("DEMO",), "05_trainable_freezing": ("SIZE",)}
#: The name under which each chapter in MODE_SIZES keeps its sizes.


def _cells(chapter: str) -> list[dict]:
    return json.loads((NOTEBOOKS / f"{chapter}.ipynb").read_text())["cells"]


def cell_source(chapter: str, cell_id: str) -> str:
    for cell in _cells(chapter):
        if cell.get("id") == cell_id:
            return "".join(cell["source"])
    raise AssertionError(f"{chapter} has no cell {cell_id!r}: this test runs that cell; update "
                         f"it with the notebook")


class Glued(dict):
    """Stands in for ``glue`` outside the book: records what a cell glues."""

    def __call__(self, name, value, display=False):
        self[name] = value


def setup(chapter: str, mode: str, monkeypatch) -> dict:
    """The namespace a chapter's setup cells leave in ``mode``: its code cells after the
    Colab install cell, up to the one that prints the run mode."""
    monkeypatch.setenv("ACGAN_RUN_MODE", mode)
    namespace: dict = {"__name__": f"notebook_{chapter}"}
    for cell in _cells(chapter)[1:]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        exec(compile(source, f"{chapter}:{cell.get('id')}", "exec"), namespace)
        if 'print("run mode:"' in source:
            break
    else:
        raise AssertionError(f"{chapter}: no setup cell prints the run mode")
    assert namespace["RUN_MODE"] == mode
    namespace["glue"] = Glued()
    return namespace


def run(chapter: str, cell_ids, namespace: dict) -> dict:
    """Execute the chapter's own cells, in order, in ``namespace``."""
    for cell_id in cell_ids:
        exec(compile(cell_source(chapter, cell_id), f"{chapter}:{cell_id}", "exec"), namespace)
    plt.close("all")
    return namespace


# ------------------------------------------------------------------------------- the table
def test_every_chapter_has_the_same_sizes_in_every_mode():
    for chapter, modes in MODE_SIZES.items():
        assert tuple(modes) == RUN_MODES, chapter
        keys = {mode: set(sizes) for mode, sizes in modes.items()}
        assert len({frozenset(k) for k in keys.values()}) == 1, (chapter, keys)
        assert (NOTEBOOKS / f"{chapter}.ipynb").is_file(), chapter


@pytest.mark.parametrize("mode", RUN_MODES)
@pytest.mark.parametrize("chapter", sorted(MODE_SIZES))
def test_the_notebooks_take_their_sizes_from_the_table(chapter, mode, monkeypatch):
    namespace = setup(chapter, mode, monkeypatch)
    assert namespace["SIZES"] == MODE_SIZES[chapter][mode]


def test_no_notebook_keeps_its_own_table_of_sizes_per_mode():
    """A notebook that wrote ``{"smoke": ...}`` again would escape these tests."""
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in _cells(path.stem)
                         if c["cell_type"] == "code")
        own = re.findall(r"^(\w+) = \{\s*(?:#[^\n]*)?\s*\"smoke\"", code, re.M)
        assert tuple(own) == OWN_TABLES.get(path.stem, ()), (path.stem, own)
        # a size or a sentence chosen by comparing the mode itself (chapter 7's note that a
        # smoke build's timings are start-up costs is about the build, not a conclusion)
        rest = code.replace('if RUN_MODE == "smoke" else', "")
        assert not re.search(r"RUN_MODE\s*(==|!=|in\b)", rest), path.stem


def test_exercise_6_3_sizes_are_capped_at_the_rarest_held_out_digit(mnist):
    from types import SimpleNamespace

    cap = int(np.bincount(mnist.y_test).min())
    full = MODE_SIZES["06_evaluation"]["full"]["spread_sizes"]
    assert evidence.draw_sizes(full, mnist) == tuple(n for n in full if n <= cap)
    tiny = SimpleNamespace(y_test=np.repeat(np.arange(10), 30), source="a tiny set")
    with pytest.raises(ValueError, match="at least two sample sizes"):
        evidence.draw_sizes((25, 50, 100), tiny)


def _draws(fd_small, fd_large, spread=1.0):
    """Synthetic draws: two models, sizes 25 and 100, three seeds."""
    rng = np.random.default_rng(0)
    draws = {}
    for m, shift in (("a", 0.0), ("b", 40.0)):
        for n, fd in ((25, fd_small), (100, fd_large)):
            draws[m, n] = {"label_accuracy": 0.9 + 0.005 * rng.standard_normal(3),
                           "frechet_distance": fd + shift + spread * np.array([-1., 0., 1.]),
                           "diversity": np.ones(3)}
    return evidence.EvaluationDraws(("a", "b"), (25, 100), (0, 1, 2), draws)


def test_exercise_6_3_checks_say_which_conclusion_changed():
    training = evidence.ArmValues("a", "label_accuracy", (0.6, 0.8, 0.7))
    evidence.check_evaluation_draws(_draws(20.0, 10.0), training)  # holds
    with pytest.raises(evidence.ConclusionChanged, match="falls from 25 to 100"):
        evidence.check_evaluation_draws(_draws(10.0, 12.0), training)
    with pytest.raises(evidence.ConclusionChanged, match="several .> 3. times its spread"):
        evidence.check_evaluation_draws(_draws(12.0, 10.0), training)  # 2 spreads only
    with pytest.raises(evidence.ConclusionChanged, match="training seeds"):
        evidence.check_evaluation_draws(_draws(20.0, 10.0), evidence.ArmValues(
            "a", "label_accuracy", (0.7, 0.7001, 0.7002)))


# ------------------------------------------------------- the conclusions, in every mode
_DRAWS: dict = {}


@pytest.fixture
def cached_draws(monkeypatch):
    """``evidence.evaluation_draws``, computed once per models, sizes and seeds: on the
    offline sample the full mode's sizes are capped to the cpu mode's, the same draws."""
    compute = evidence.evaluation_draws

    def draws(generators, data, sizes, seeds, classifier=None):
        key = (tuple(generators), data.source, evidence.draw_sizes(sizes, data), tuple(seeds))
        if key not in _DRAWS:
            _DRAWS[key] = compute(generators, data, sizes, seeds, classifier)
        return _DRAWS[key]

    monkeypatch.setattr(evidence, "evaluation_draws", draws)


_DEPENDENCE: dict = {}


@pytest.fixture
def cached_dependence(monkeypatch):
    """``conditioning.label_dependence``, computed once per generator weights and arguments
    (chapters 3 and 8 measure the same shipped generators with the same seed)."""
    compute = conditioning.label_dependence

    def dependence(generator, pairs=1000, seed=0, layer=None, num_classes=10, batch_size=500):
        digest = hashlib.sha256()
        for w in generator.get_weights():
            digest.update(np.ascontiguousarray(w).tobytes())
        key = (digest.hexdigest(), pairs, seed, layer, num_classes)
        if key not in _DEPENDENCE:
            _DEPENDENCE[key] = compute(generator, pairs, seed, layer, num_classes, batch_size)
        return _DEPENDENCE[key]

    monkeypatch.setattr(conditioning, "label_dependence", dependence)


def _slow_unless_smoke(mode):
    return pytest.param(mode, marks=pytest.mark.slow) if mode != "smoke" else mode


MODES = [_slow_unless_smoke(m) for m in RUN_MODES]


@pytest.mark.parametrize("mode", MODES)
def test_chapter_2_shipped_model_draws_as_asked(mode, monkeypatch):
    from acgan_lib.evaluation import label_accuracy
    from acgan_lib.pretrained import load_pretrained

    ns = setup("02_cgan_concat", mode, monkeypatch)
    # cell-15 measures the shipped model so (and the live demo, which is not checked)
    computed = "label_accuracy(gan.generator, n_per_class=EVAL_PER_CLASS, seed=0)"
    assert computed in cell_source("02_cgan_concat", "cell-15")
    assert 'check_draws_as_asked("the shipped cgan-concat", scores["overall"])' in \
        cell_source("02_cgan_concat", "cell-15-b")
    gan = load_pretrained("cgan-concat")
    scores = label_accuracy(gan.generator, n_per_class=ns["EVAL_PER_CLASS"], seed=0)
    evidence.check_draws_as_asked("the shipped cgan-concat", scores["overall"])


@pytest.mark.parametrize("mode", MODES)
def test_chapter_3_label_dependence_holds(mode, monkeypatch, cached_dependence):
    ns = setup("03_multiply_vs_concat", mode, monkeypatch)
    run("03_multiply_vs_concat", ["cell-06", "cell-07"], ns)  # before training, and its check
    run("03_multiply_vs_concat", ["cell-12", "cell-15"], ns)  # the shipped models, after
    check = 'evidence.check_not_drowned({k: after[k]["images"] for k in KINDS})'
    assert check in cell_source("03_multiply_vs_concat", "cell-18")
    evidence.check_not_drowned({k: ns["after"][k]["images"] for k in ns["KINDS"]})


@pytest.mark.parametrize("mode", MODES)
def test_chapter_8_label_dependence_holds(mode, monkeypatch, cached_dependence):
    ns = setup("08_claims", mode, monkeypatch)
    run("08_claims", ["cell-07"], ns)
    assert 'evidence.check_not_drowned(ratio, "3: ")' in cell_source("08_claims", "cell-16")
    evidence.check_not_drowned(ns["ratio"], "3: ")


@pytest.mark.parametrize("mode", MODES)
def test_chapter_6_real_digits_and_exercise_6_3_hold(mode, monkeypatch, cached_draws):
    """The real-against-real distances (cells 05 to 09) and exercise 6.3's solution (cells 49,
    50 and 52) with the mode's sizes, on the shipped acgan-2-epochs and cgan-concat."""
    from acgan_lib.pretrained import load_pretrained

    ns = setup("06_evaluation", mode, monkeypatch)
    run("06_evaluation", ["cell-05", "cell-06", "cell-08", "cell-09"], ns)
    ns["shipped_gan"] = {name: load_pretrained(name).generator
                         for name in ("acgan-2-epochs", "cgan-concat")}
    ns["in_words"] = evidence.in_words
    run("06_evaluation", ["cell-49", "cell-50", "cell-52"], ns)
    glued = set(re.findall(r"\{glue:text\}`(s63_\w+)`", cell_source("06_evaluation", "cell-48")
                           + cell_source("06_evaluation", "cell-51")))
    assert glued and glued <= set(ns["glue"]), glued - set(ns["glue"])


# ------------------------------------------------------------- full mode's training sizes
def _one_step(model, batch_size, jit_compile, mixed, data):
    import keras

    from acgan_lib.data import make_dataset
    from acgan_lib.training import build_gan

    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    try:
        gan = build_gan(model, seed=0, jit_compile=jit_compile)
        batches = make_dataset(data.x_train, data.y_train, batch_size, seed=0, repeat=True)
        logs = gan.fit(batches, epochs=1, steps_per_epoch=1, verbose=0).history
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert all(np.isfinite(v[-1]) for v in logs.values()), (model, batch_size, logs)


@pytest.mark.slow
def test_full_mode_sizes_run_one_step(monkeypatch, mnist):
    """No GPU is needed to know that the full mode's settings build and train: every model
    configuration the full mode trains (chapter 2's demo, chapter 3's live experiment,
    chapter 4's demo, chapter 7's timed configurations and runs: model, batch size, XLA and
    mixed precision) runs one step here, and chapter 5's library step one step at its batch.
    The step counts themselves (1,000 demo steps, 2,000 fallback steps, 100 timed steps) are
    what a GPU pays for, and the machinery around a step (train_run's checkpoints, curves,
    tf.distribute) is the same in every mode and runs in CI's smoke build; neither is run
    again here."""
    from acgan_lib.data import scale_images
    from acgan_lib.freezing import library_step_experiment

    full = {chapter: setup(chapter, "full", monkeypatch) for chapter in
            ("02_cgan_concat", "03_multiply_vs_concat", "04_acgan", "05_trainable_freezing",
             "07_training_fast")}
    configs = set()  # (model, batch size, XLA, mixed precision)
    demo = full["02_cgan_concat"]["DEMO"]
    configs.add(("cgan-concat", demo["batch_size"], demo["jit_compile"], False))
    live = full["03_multiply_vs_concat"]["LIVE"]
    configs |= {(f"cgan-{k}", live["batch_size"], live["xla"], False)
                for k in ("concat", "multiply")}
    demo4 = full["04_acgan"]["DEMO"]
    configs.add(("acgan", demo4["batch_size"], demo4["jit_compile"], False))
    ch7 = full["07_training_fast"]
    assert "def time_training(batch_size, jit_compile, mixed, steps, model=\"acgan\")" in \
        cell_source("07_training_fast", "cell-04-b")
    configs |= {("acgan", batch_size, xla, mixed)
                for batch_size, xla, mixed in ch7["BENCH"]["configs"]}
    configs.add(("acgan", ch7["RUN"]["batch_size"], ch7["RUN"]["jit_compile"], False))
    assert configs  # the distinct ones: each compiles once
    for model, batch_size, jit_compile, mixed in sorted(configs):
        _one_step(model, batch_size, jit_compile, mixed, mnist)

    size = full["05_trainable_freezing"]["SIZE"]
    images = scale_images(mnist.x_train[:size["batch_size"]])
    labels = mnist.y_train[:size["batch_size"]]
    step = library_step_experiment(images, labels, steps=1, batch_size=size["batch_size"])
    assert step["summary"]["d_update"]["d_parameters_moved"] > 0
