"""Files: atomic writes, JSON, SHA-256, the versions and the command line that manifests record.

Every file the library writes goes through :func:`atomic_write`: the bytes go to a temporary
file in the same folder (``.<name>.XXXXXXXX.tmp``), are flushed to disk, and the file is renamed
over the target (``os.replace`` is atomic on one file system). A kill at any moment leaves the
old file or the new one, never half of one; a temporary file left by a kill is recognised by
:data:`TEMPORARY_PATTERN` and removed when training starts again.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import acgan_lib

#: The names of the temporary files that :func:`atomic_write` creates.
TEMPORARY_PATTERN = re.compile(r"^\..+\.tmp$")


@contextmanager
def atomic_write(path: str | os.PathLike, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    The caller writes the temporary file (by name, so any writer works: NumPy, OpenCV,
    Pillow); it is then fsynced and renamed. On any exception, or a kill turned into one, the
    temporary file is deleted and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(path.parent, os.W_OK):
        raise PermissionError(f"cannot write to {path.parent}: choose a writable output directory")
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode)  # mkstemp's files are private; these are for everyone to read
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, obj) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    return write_text(path, json.dumps(obj, indent=2) + "\n")


def write_notebook(path: str | os.PathLike, nb: dict) -> Path:
    """Write a notebook (a dict in nbformat 4) the way Jupyter does: one-space indents, UTF-8."""
    return write_text(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def read_json(path: str | os.PathLike, error: Callable[[str], Exception] = ValueError):
    """A JSON file's content; a missing or unreadable file raises ``error(message)`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise error(f"file not found: {path}")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path} is not valid JSON ({exc}); it may be truncated") from exc


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file (recorded in manifests, checked when loading)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def command_line() -> str:
    """The command being run, as ``python -m acgan_lib ...`` (for manifests)."""
    return "python -m acgan_lib " + shlex.join(sys.argv[1:])


def cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo`` on Linux): CPU kernels differ between
    processors, so a run that does not reproduce on another machine can be traced to it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions() -> dict:
    """Library, TensorFlow, Keras and Python versions, and the device used (and the CPU's
    model: see :func:`cpu_model`)."""
    # Imported when called: the Keras 2 subprocess of acgan_lib.freezing imports this module.
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {"acgan_lib": acgan_lib.__version__, "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": platform.python_version(), "platform": platform.platform(),
            "device": ", ".join(g.name for g in gpus) if gpus else f"CPU ({os.cpu_count()} cores)",
            "cpu": cpu_model()}
