"""A self-contained book: the pages load nothing from other sites.

The rendered book is read online, but also from a downloaded copy in a classroom without a
network, and its browser test (tests/test_browser.py) runs offline. Two assets would otherwise
come from other sites:

- MathJax: Sphinx links the CDN's copy by default. ``_config.yml`` sets ``mathjax_path`` to
  ``mathjax/tex-mml-chtml.js`` (relative to ``_static``), and this extension copies MathJax 3
  from the ``django-static-mathjax`` package (a plain copy of MathJax's ``es5`` files, in the
  ``dev`` extra) into ``_static/mathjax`` of every HTML build.
- The "Open in Colab" badge at the top of each chapter: the notebooks link Google's image, which
  GitHub and Colab show; in the book it is replaced by ``book/images/open-in-colab.svg``. The
  link under the badge is left as it is.

- TensorFlow.js, for the playground page (``book/playground.md``): the build copies its
  minified browser files from ``node_modules`` (``npm ci`` installs ``package-lock.json``'s
  versions) into ``_static/playground/vendor``, with the page's own script and style
  (``book/_static/playground``) and the shipped generators exported by
  :mod:`acgan_lib.playground`, so the page always runs the checkpoints the chapters discuss.
  Only that page loads them.

It also removes a script that a page would otherwise include twice: sphinx-thebe adds its
inline configuration (``const THEBE_JS_URL = ...``) both to Sphinx's registry and to the HTML
builder, once with ``filename=None`` and once with ``""``, so Sphinx does not see the two as
equal, and the second ``const`` throws "Identifier 'THEBE_JS_URL' has already been declared" on
every page (found by tests/test_browser.py).
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

COLAB_BADGE_URL = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE = "/book/images/open-in-colab.svg"  # "/": relative to the book's source folder
MATHJAX_ENTRY = "tex-mml-chtml.js"
PLAYGROUND_PAGE = "book/playground"
PLAYGROUND_SOURCE = Path(__file__).resolve().parents[1] / "_static" / "playground"
#: The npm packages of TensorFlow.js the page loads, in order, and each one's browser build.
TFJS_FILES = {"@tensorflow/tfjs-core": "dist/tf-core.es2017.min.js",
              "@tensorflow/tfjs-backend-cpu": "dist/tf-backend-cpu.es2017.min.js",
              "@tensorflow/tfjs-backend-webgl": "dist/tf-backend-webgl.es2017.min.js"}


def mathjax_source() -> Path:
    """The installed MathJax (``es5/`` and ``LICENSE``), or an error that says how to install it."""
    try:
        root = Path(str(importlib.resources.files("mathjax"))) / "static" / "mathjax"
    except ModuleNotFoundError:
        root = None
    if root is None or not (root / "es5" / MATHJAX_ENTRY).is_file():
        raise ExtensionError(
            "MathJax for the self-contained book is not installed: pip install "
            "django-static-mathjax (it is in the dev extra: pip install -e '.[dev]')")
    return root


def tfjs_sources(srcdir: str | os.PathLike) -> list[Path]:
    """TensorFlow.js's browser files from ``node_modules`` in the book's folder or else in the
    checkout that ``acgan_lib`` is imported from (a student edition builds from a copy), or an
    error that says how to install them."""
    import acgan_lib

    tried = [Path(srcdir) / "node_modules",
             Path(acgan_lib.__file__).resolve().parents[1] / "node_modules"]
    for folder in tried:
        files = [folder / package / file for package, file in TFJS_FILES.items()]
        if all(f.is_file() for f in files):
            return files
    raise ExtensionError(
        "TensorFlow.js for the playground page is not installed: run `npm ci` in the "
        "repository's root (it installs package-lock.json's versions into node_modules/); "
        f"looked in {', '.join(str(t) for t in dict.fromkeys(tried))}")


def _playground_config(app: Sphinx, config) -> None:
    # npm's packages are no pages (their README.md files would otherwise be read as sources).
    config.exclude_patterns = [*config.exclude_patterns, "node_modules", "**/node_modules"]
    tfjs_sources(app.srcdir)  # fail before the build, not after it
    from acgan_lib.playground import CHECK_IMAGES, TOLERANCE

    config.myst_substitutions = {**config.myst_substitutions,
                                 "playground_tolerance": f"{TOLERANCE:g}",
                                 "playground_check_images": str(CHECK_IMAGES)}


def _write_playground(app: Sphinx) -> None:
    """Copy TF.js and the page's files into ``_static/playground``; export the generators."""
    if app.builder.format != "html":
        return
    from acgan_lib.files import write_bytes
    from acgan_lib.playground import write_playground

    target = Path(app.outdir) / "_static" / "playground"
    for source in tfjs_sources(app.srcdir):  # without the source map the files point to
        text = source.read_text(encoding="utf-8").split("\n//# sourceMappingURL=")[0]
        write_bytes(target / "vendor" / source.name, (text + "\n").encode("utf-8"))
    for source in PLAYGROUND_SOURCE.iterdir():
        write_bytes(target / source.name, source.read_bytes())
    write_playground(target)


def _playground_scripts(app: Sphinx, pagename: str, templatename: str, context: dict,
                        doctree) -> None:
    if pagename != PLAYGROUND_PAGE:
        return
    app.add_css_file("playground/playground.css")
    scripts = [f"vendor/{Path(f).name}" for f in TFJS_FILES.values()]
    for script in [*scripts, "index.js", "playground.js"]:  # deferred: run in this order
        app.add_js_file(f"playground/{script}", loading_method="defer")


def _local_badge(app: Sphinx, doctree: nodes.document) -> None:
    for image in doctree.findall(nodes.image):
        if image.get("uri") == COLAB_BADGE_URL:
            image["uri"] = LOCAL_BADGE


def _check_mathjax_path(app: Sphinx, config) -> None:
    if config.mathjax_path != f"mathjax/{MATHJAX_ENTRY}":
        raise ExtensionError(f"course_assets serves MathJax from _static: set "
                             f"mathjax_path: mathjax/{MATHJAX_ENTRY} (not {config.mathjax_path!r})")
    mathjax_source()  # fail before the build, not after it


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = mathjax_source()
    target = Path(app.outdir) / "_static" / "mathjax"
    es5 = source / "es5"

    def other_builds(folder: str, names: list[str]) -> list[str]:
        # MathJax's other single-file builds, beside the one used; all of its folders are
        # used (fonts, TeX extensions that load on demand, the accessibility menu).
        if Path(folder) != es5:
            return []
        return [n for n in names if n.endswith(".js") and n != MATHJAX_ENTRY]

    shutil.copytree(es5, target, dirs_exist_ok=True, ignore=other_builds)
    shutil.copy2(source / "LICENSE", target / "LICENSE")


def _one_of_each_script(app: Sphinx, pagename: str, templatename: str, context: dict,
                        doctree) -> None:
    seen, scripts = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            scripts.append(script)
    context["script_files"] = scripts  # a new list: the builder reuses its own for every page


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _check_mathjax_path)
    app.connect("config-inited", _playground_config)
    app.connect("builder-inited", _write_playground)
    app.connect("html-page-context", _playground_scripts)
    # Before Sphinx's image collector (priority 500) records the image's file.
    app.connect("doctree-read", _local_badge, priority=400)
    # Last (999): a handler after this one that adds a script would add it to the builder's
    # list, which the page no longer reads.
    app.connect("html-page-context", _one_of_each_script, priority=999)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
