"""The install a Colab student gets: the built wheel, not this checkout.

CI installs the library editable (``pip install -e``), which reads every file from the
repository, so a file missing from the wheel (a shipped checkpoint, a training history, the
study's results) would go unnoticed. This test builds the wheel, installs it **non-editable**
into a fresh virtual environment, and from a folder outside the repository loads every shipped
checkpoint and executes a chapter, as a student on Colab would.

The fresh environment sees the packages already installed for CI (TensorFlow and the rest)
through a ``.pth`` line naming CI's site-packages; such a line adds the folder to ``sys.path``
without running its ``.pth`` files, so CI's editable ``acgan_lib`` stays invisible and only the
wheel's copy can be imported (the test checks which one it got). The wheel is installed with
its dependencies resolved from its own metadata (``Requires-Dist``), with ``--no-index``: every
declared dependency must be satisfied by what is installed, and nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import acgan_lib

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("wheel-install")
    dist = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True, text=True)
    wheels = sorted(dist.glob("acgan_lib-*.whl"))
    assert [w.name for w in wheels] == [f"acgan_lib-{acgan_lib.__version__}-py3-none-any.whl"]
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    fresh_site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    ours = [p for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]]
            if Path(p).is_dir()]
    (fresh_site / "_ci_dependencies.pth").write_text("\n".join(dict.fromkeys(ours)) + "\n")
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-index",
                                str(wheels[0])], capture_output=True, text=True)
    assert installed.returncode == 0, ("the wheel's declared dependencies are not all "
                                       "installed: " + installed.stdout[-2000:]
                                       + installed.stderr[-2000:])
    outside = base / "student"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update({"CI": "true", "ACGAN_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"})
    env.pop("MPLBACKEND", None)  # the kernel's inline backend draws the chapter's figures
    return {"python": python, "site": fresh_site, "cwd": outside, "env": env, "base": base}


def _run(fresh_env: dict, code: str) -> str:
    result = subprocess.run([str(fresh_env["python"]), "-c", textwrap.dedent(code)],
                            cwd=fresh_env["cwd"], env=fresh_env["env"], capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_wheel_holds_every_shipped_file_and_loads_every_checkpoint(fresh_env):
    out = _run(fresh_env, """
        import json
        from pathlib import Path
        import acgan_lib
        from acgan_lib.classifier import load_classifier
        from acgan_lib.pretrained import SHIPPED_NAMES, load_pretrained, pretrained_manifest
        from acgan_lib.study import load_study

        package = Path(acgan_lib.__file__).parent
        shipped = {}
        for name in SHIPPED_NAMES:
            gan = load_pretrained(name)
            files = pretrained_manifest(name)["files"]
            missing = [f for f in [*files.get("grids", []), files.get("animation")]
                       if f and not (package / "pretrained" / f).is_file()]
            shipped[name] = {"params": gan.count_params(), "missing": missing}
        load_classifier()
        print(json.dumps({"file": acgan_lib.__file__, "version": acgan_lib.__version__,
                          "shipped": shipped, "study_runs": len(load_study()["runs"])}))
    """)
    info = json.loads(out.strip().splitlines()[-1])
    assert info["file"].startswith(str(fresh_env["site"])), info["file"]  # the wheel's copy
    assert info["version"] == acgan_lib.__version__
    for name, entry in info["shipped"].items():
        assert entry["params"] > 0 and entry["missing"] == [], (name, entry)
    assert info["study_runs"] >= 1


def test_a_chapter_runs_from_the_wheel_outside_the_repository(fresh_env):
    """Chapter 2 (shipped checkpoints and a live training demo), executed by a kernel of the
    fresh environment in a folder outside the repository, smoke-sized (``CI`` is set)."""
    import nbformat
    from nbclient import NotebookClient

    kernels = fresh_env["base"] / "jupyter" / "kernels" / "wheel"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(fresh_env["python"]), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": "acgan_lib wheel", "language": "python"}))
    nb = nbformat.read(ROOT / "notebooks" / "02_cgan_concat.ipynb", as_version=4)
    saved = dict(os.environ)
    os.environ.update(fresh_env["env"])
    os.environ["JUPYTER_PATH"] = str(fresh_env["base"] / "jupyter")
    try:
        client = NotebookClient(nb, kernel_name="wheel", timeout=900,
                                resources={"metadata": {"path": str(fresh_env["cwd"])}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # it drew its figures
