"""Small helpers shared by the course notebooks: the run mode and gluing numbers into prose.

Every chapter starts with::

    from acgan_lib.notebook import glue, run_mode
    RUN_MODE = run_mode()

``run_mode()`` is ``"smoke"`` when the environment variable ``CI`` is set (continuous
integration: tiny live demos that only prove the code runs), ``"full"`` on a machine with a GPU,
and ``"cpu"`` otherwise (demos of a few minutes). ``ACGAN_RUN_MODE`` overrides the choice.
The chapters' main results never depend on the mode: they come from the shipped checkpoints.

:func:`glue` is myst-nb's ``glue`` when myst-nb is installed (building the book), so that the
prose can quote computed numbers with ``{glue:text}`name```; elsewhere (Colab, plain Jupyter)
it prints the value, so a reader still sees the number the sentence refers to.
"""

from __future__ import annotations

import os

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
    from acgan_lib import REPOSITORY_URL, __version__

    return f"acgan_lib @ git+{REPOSITORY_URL}@v{__version__}"


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


def sync_install_cells(notebooks) -> list:
    """Rewrite the install cell of each notebook to :func:`colab_install_source`; returns the
    notebooks that changed. Run it after changing ``acgan_lib.__version__``::

        python -m acgan_lib.notebook notebooks/*.ipynb
    """
    import json
    from pathlib import Path

    changed = []
    for path in map(Path, notebooks):
        wanted = colab_install_source(keras2=path.stem in KERAS2_CHAPTERS)
        nb = json.loads(path.read_text())
        first = nb["cells"][0]
        if "".join(first["source"]) != wanted:
            first["source"] = wanted.splitlines(keepends=True)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            changed.append(path)
    return changed


if __name__ == "__main__":
    import sys

    for changed_path in sync_install_cells(sys.argv[1:]):
        print(f"updated {changed_path}")
