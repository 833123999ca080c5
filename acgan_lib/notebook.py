"""Small helpers shared by the course notebooks: the run mode and gluing numbers into prose.

Every chapter starts with::

    from acgan_lib.notebook import glue, run_mode
    RUN_MODE = run_mode()

``run_mode()`` is ``"smoke"`` when the environment variable ``CI`` is set (continuous
integration: tiny live demos that only prove the code runs), ``"full"`` on a machine with a GPU,
and ``"cpu"`` otherwise (demos of a few minutes). ``ACGAN_RUN_MODE`` overrides the choice.
The chapters' main results never depend on the mode: they come from the shipped checkpoints.

What does change with the mode (demo steps, batch sizes, numbers of generated images, seeds of
an evaluation) is in one table, :data:`MODE_SIZES`, which the chapters read with
:func:`mode_sizes`; ``tests/test_run_modes.py`` evaluates every conclusion check whose inputs
come from it with the sizes of every mode, so that a conclusion that holds at CI's sizes and
not at a reader's fails a test, not the reader's build.

:func:`glue` is myst-nb's ``glue`` when myst-nb is installed (building the book), so that the
prose can quote computed numbers with ``{glue:text}`name```; elsewhere (Colab, plain Jupyter)
it prints the value, so a reader still sees the number the sentence refers to.
"""

from __future__ import annotations

import os

from acgan_lib.files import write_notebook

RUN_MODES = ("smoke", "cpu", "full")
ENV_RUN_MODE = "ACGAN_RUN_MODE"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no")


def has_gpu() -> bool:
    """Whether TensorFlow sees at least one GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def run_mode(environ: dict | None = None, gpu: bool | None = None) -> str:
    """``"smoke"`` if ``$CI`` is set, else ``"full"`` with a GPU, else ``"cpu"``.

    ``$ACGAN_RUN_MODE`` (one of ``smoke``, ``cpu``, ``full``) takes precedence over both.
    """
    environ = os.environ if environ is None else environ
    chosen = (environ.get(ENV_RUN_MODE) or "").strip().lower()
    if chosen:
        if chosen not in RUN_MODES:
            raise ValueError(f"{ENV_RUN_MODE}={chosen!r} is not a run mode; use one of "
                             f"{', '.join(RUN_MODES)}, or unset it to choose automatically")
        return chosen
    if _truthy(environ.get("CI")):
        return "smoke"
    return "full" if (has_gpu() if gpu is None else gpu) else "cpu"


#: Everything that changes with the run mode, chapter by chapter (by notebook name), mode by
#: mode: the one table the notebooks read (:func:`mode_sizes`) and the tests check every
#: mode's conclusions with. Chapters 1, 4 and 5 keep their few sizes in their notebooks: no
#: conclusion check of theirs depends on them (``tests/test_run_modes.py`` still runs one
#: training step of each of their ``full`` sizes).
MODE_SIZES: dict[str, dict[str, dict]] = {
    "02_cgan_concat": {
        # demo: the live training run; fallback_steps: trained only if no checkpoint ships;
        # eval_per_class: generated images per digit for label accuracy
        "smoke": dict(demo=dict(epochs=2, steps_per_epoch=5, batch_size=32, jit_compile=False),
                      fallback_steps=5, eval_per_class=30),
        "cpu": dict(demo=dict(epochs=6, steps_per_epoch=50, batch_size=64, jit_compile=True),
                    fallback_steps=300, eval_per_class=100),
        "full": dict(demo=dict(epochs=10, steps_per_epoch=100, batch_size=64, jit_compile=True),
                     fallback_steps=2000, eval_per_class=500),
    },
    "03_multiply_vs_concat": {
        # live: the experiment trained in front of the reader; measure: the label dependence at
        # initialisation (after training it is measured at fixed sizes, evidence.shipped)
        "smoke": dict(live=dict(rounds=1, steps=5, batch_size=32, seeds=(0,), n=10,
                                xla=False, fallback_steps=5),
                      measure=dict(init_seeds=2, init_pairs=100)),
        "cpu": dict(live=dict(rounds=4, steps=100, batch_size=64, seeds=(0,), n=100,
                              xla=True, fallback_steps=300),
                    measure=dict(init_seeds=5, init_pairs=300)),
        "full": dict(live=dict(rounds=6, steps=300, batch_size=64, seeds=(0, 1, 2), n=100,
                               xla=True, fallback_steps=2000),
                     measure=dict(init_seeds=5, init_pairs=500)),
    },
    "06_evaluation": {
        # n_per_class: the comparison table's generated images per digit; fallback_*: a model
        # trained here only if no checkpoint ships; spread_*: exercise 6.3's evaluation draws
        # (sizes per digit, capped at the held-out set's smallest digit, and seeds 0, 1, ...)
        "smoke": dict(n_per_class=30, fallback_steps=5, fallback_xla=False,
                      spread_sizes=(10, 25), spread_seeds=3),
        "cpu": dict(n_per_class=100, fallback_steps=300, fallback_xla=True,
                    spread_sizes=(25, 50, 100), spread_seeds=5),
        "full": dict(n_per_class=500, fallback_steps=2000, fallback_xla=True,
                     spread_sizes=(25, 50, 100, 500), spread_seeds=5),
    },
    "07_training_fast": {
        # bench: what to time, (batch size, XLA, mixed precision); run: the checkpoint,
        # TensorBoard and tf.distribute demos (XLA off in smoke runs: compiling costs more
        # than the few steps they take)
        "smoke": dict(bench=dict(steps=3, configs=((32, False, False), (32, True, False))),
                      run=dict(steps_per_epoch=3, batch_size=32, jit_compile=False)),
        "cpu": dict(bench=dict(steps=30, configs=((64, False, False), (64, True, False),
                                                  (256, True, False))),
                    run=dict(steps_per_epoch=20, batch_size=64, jit_compile=True)),
        "full": dict(bench=dict(steps=100, configs=((64, False, False), (64, True, False),
                                                    (256, True, False), (256, True, True),
                                                    (1024, True, True))),
                     run=dict(steps_per_epoch=200, batch_size=256, jit_compile=True)),
    },
}


def mode_sizes(chapter: str, mode: str | None = None) -> dict:
    """``chapter``'s sizes (:data:`MODE_SIZES`) in run ``mode`` (default: :func:`run_mode`),
    as a fresh copy that the notebook may change."""
    import copy

    if chapter not in MODE_SIZES:
        raise ValueError(f"no run-mode sizes for {chapter!r}; MODE_SIZES has "
                         f"{', '.join(MODE_SIZES)}")
    mode = run_mode() if mode is None else mode
    if mode not in RUN_MODES:
        raise ValueError(f"{mode!r} is not a run mode; use one of {', '.join(RUN_MODES)}")
    return copy.deepcopy(MODE_SIZES[chapter][mode])


def glue(name: str, value, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the book's ``{glue:text}`` roles (or print it).

    Returns nothing, so that a cell ending with ``glue(...)`` shows no stray output.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        print(f"[{name}] {value}")
        return
    myst_glue(name, value, display=display)


def install_requirement() -> str:
    """The pip requirement for this course version: the repository at its release tag."""
    from acgan_lib import RELEASE_TAG, REPOSITORY_URL

    return f"acgan_lib @ git+{REPOSITORY_URL}@{RELEASE_TAG}"


#: Chapters that also compare with Keras 2 (the ``tf-keras`` package) and install it on Colab.
KERAS2_CHAPTERS = ("05_trainable_freezing",)


def colab_install_source(keras2: bool = False) -> str:
    """The first cell of every chapter (hidden in the book): on Colab, install the course
    version the book was built for, so a push to the repository during a semester does not
    change a class's course. ``keras2`` also installs Keras 2 (``tf-keras`` matching the
    installed TensorFlow). Written into the notebooks by :func:`sync_install_cells`."""
    from acgan_lib import __version__

    lines = [f"# On Colab only: install the course library, acgan_lib {__version__}, the version "
             "this book was built for"
             + (",\n# and Keras 2 (tf-keras, matching the installed TensorFlow) for this "
                "chapter's comparison." if keras2 else "."),
             "# (Locally, install it once with `pip install -e \".[dev]\"` from a clone; see the "
             "introduction.)",
             "import sys", "", "if \"google.colab\" in sys.modules:"]
    if keras2:
        lines += ["    import importlib.metadata", "    import importlib.util"]
    lines += ["    import subprocess", "", f"    packages = [\"{install_requirement()}\"]"]
    if keras2:
        lines += ["    if importlib.util.find_spec(\"tf_keras\") is None:",
                  "        tf_minor = \".\".join(importlib.metadata.version(\"tensorflow\")"
                  ".split(\".\")[:2])",
                  "        packages.append(f\"tf-keras=={tf_minor}.*\")"]
    lines.append("    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", "
                 "*packages], check=True)")
    return "\n".join(lines)


def point_colab_badges(nb: dict, ref: str, repo: str | None = None,
                       old_repo: str | None = None) -> dict:
    """Point the "Open in Colab" links of ``nb``'s markdown cells to notebooks of ``old_repo``
    (``owner/name``; default: the course's) at ``repo`` (default: the same) and its branch or
    tag ``ref``. Changes ``nb`` in place and returns it."""
    import re

    from acgan_lib import REPOSITORY_URL

    old_repo = old_repo or REPOSITORY_URL.removeprefix("https://github.com/")
    pattern = re.compile(rf"(colab\.research\.google\.com/github/){re.escape(old_repo)}"
                         r"/blob/[^/\s)]+/")
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = pattern.sub(rf"\g<1>{repo or old_repo}/blob/{ref}/", "".join(cell["source"]))
            cell["source"] = text.splitlines(keepends=True)
    return nb


def sync_install_cells(notebooks) -> list:
    """Rewrite the install cell of each notebook to :func:`colab_install_source`, and point its
    Colab badge at :data:`acgan_lib.RELEASE_TAG`; returns the notebooks that changed. Run it
    after changing ``acgan_lib.__version__``::

        python -m acgan_lib.notebook notebooks/*.ipynb
    """
    import json
    from pathlib import Path

    from acgan_lib import RELEASE_TAG

    changed = []
    for path in map(Path, notebooks):
        nb = json.loads(path.read_text())
        before = json.dumps(nb["cells"])
        wanted = colab_install_source(keras2=path.stem in KERAS2_CHAPTERS)
        nb["cells"][0]["source"] = wanted.splitlines(keepends=True)
        point_colab_badges(nb, RELEASE_TAG)
        if json.dumps(nb["cells"]) != before:
            write_notebook(path, nb)
            changed.append(path)
    return changed


if __name__ == "__main__":
    import sys

    for changed_path in sync_install_cells(sys.argv[1:]):
        print(f"updated {changed_path}")
