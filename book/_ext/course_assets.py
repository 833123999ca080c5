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

It also removes a script that a page would otherwise include twice: sphinx-thebe adds its
inline configuration (``const THEBE_JS_URL = ...``) both to Sphinx's registry and to the HTML
builder, once with ``filename=None`` and once with ``""``, so Sphinx does not see the two as
equal, and the second ``const`` throws "Identifier 'THEBE_JS_URL' has already been declared" on
every page (found by tests/test_browser.py).
"""

from __future__ import annotations

import importlib.resources
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

COLAB_BADGE_URL = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE = "/book/images/open-in-colab.svg"  # "/": relative to the book's source folder
MATHJAX_ENTRY = "tex-mml-chtml.js"


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
    # Before Sphinx's image collector (priority 500) records the image's file.
    app.connect("doctree-read", _local_badge, priority=400)
    # Last (999): a handler after this one that adds a script would add it to the builder's
    # list, which the page no longer reads.
    app.connect("html-page-context", _one_of_each_script, priority=999)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
