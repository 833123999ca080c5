"""Resumable, repeatable, safe training: real signals to real training processes.

The central test kills a command-line training run twice, with SIGTERM and then SIGKILL, each
time right after a checkpoint appears, and re-runs the same command until it finishes. The run
is compared with the same command run without interruption: the same metrics, the same final
weights and the same final picture, to the last bit (CPU, deterministic kernels). That is only
possible if every resume restored both networks, both optimizers and the step counter and
continued the same sequence of batches.

Runs are tiny (3 steps of 32 images per epoch, no XLA) on the offline MNIST sample; most of the
time goes into starting TensorFlow in each process.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("ACGAN_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import acgan_lib  # noqa: E402
from acgan_lib import checkpoint as ckpt  # noqa: E402
from acgan_lib.callbacks import GANCheckpoint, TrainingDivergedError  # noqa: E402
from acgan_lib.cli import main  # noqa: E402
from acgan_lib.data import load_mnist, make_dataset  # noqa: E402
from acgan_lib.reproducibility import make_repeatable  # noqa: E402
from acgan_lib.runs import load_run, train_run  # noqa: E402
from acgan_lib.catalogue import build_gan  # noqa: E402
from acgan_lib.runs import TrainConfig  # noqa: E402
from acgan_lib.viz import save_grid  # noqa: E402

EPOCHS, STEPS, BATCH = 6, 3, 32
ENV = {**os.environ, "ACGAN_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1",
       "CUDA_VISIBLE_DEVICES": ""}


# ------------------------------------------------------------------ helpers
@pytest.fixture(scope="module")
def sample():
    return load_mnist(verbose=False)


@pytest.fixture(scope="module")
def sample_npz(sample, tmp_path_factory) -> Path:
    """The offline sample as an .npz in Keras' layout: each process loads it in milliseconds."""
    path = tmp_path_factory.mktemp("data") / "mnist_sample.npz"
    np.savez(path, x_train=sample.x_train, y_train=sample.y_train, x_test=sample.x_test,
             y_test=sample.y_test)
    return path


def train_command(out: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "acgan_lib", "train", "--model", "acgan",
            "--epochs", str(EPOCHS), "--steps-per-epoch", str(STEPS), "--batch-size", str(BATCH),
            "--no-xla", "--deterministic", "--keep", "2", "--quiet", "--seed", "0",
            "--source", "path", "--data", str(data), "--out", str(out)]


class Process:
    """A training process whose stdout and stderr go to files (never a full pipe)."""

    def __init__(self, command, logs: Path):
        self.stdout_path, self.stderr_path = logs.with_suffix(".out"), logs.with_suffix(".err")
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.popen = subprocess.Popen(command, stdout=out, stderr=err, env=ENV)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait_until(self, condition, what: str, limit: float = 1800) -> None:
        """Poll ``condition`` until it holds; fail if the process ends first.

        ``limit`` only guards against a hung process (a loaded CI machine can be slow)."""
        deadline = time.monotonic() + limit
        while not condition():
            if self.popen.poll() is not None:
                pytest.fail(f"training ended (exit {self.popen.returncode}) before {what}:\n"
                            f"{self.stdout}\n{self.stderr}")
            if time.monotonic() > deadline:
                self.popen.kill()
                pytest.fail(f"gave up waiting for {what}")
            time.sleep(0.02)


def epochs_saved(run: Path) -> list[int]:
    return [int(ckpt.CHECKPOINT_PATTERN.match(p.name).group(1))
            for p in ckpt.list_checkpoints(run / "checkpoints")]


def temporaries(run: Path) -> list[Path]:
    return [p for p in run.rglob("*") if ".tmp" in p.name or ".acgan-probe" in p.name]


def weights_of(path: Path) -> dict:
    return ckpt.read_npz(path)[1]


# ------------------------------------------------------------------ the kill chain
@pytest.fixture(scope="module")
def chain(sample_npz, tmp_path_factory) -> dict:
    """Train, SIGTERM after the first checkpoint, resume, SIGKILL after the next, finish."""
    root = tmp_path_factory.mktemp("chain")
    run = root / "run"
    command = train_command(run, sample_npz)
    facts: dict = {"run": run}
    started: list[Process] = []
    try:
        facts.update(_interrupt_and_resume(run, command, root, sample_npz, started))
    finally:
        for process in started:  # a failure above must not leave training processes behind
            if process.popen.poll() is None:
                process.popen.kill()
                process.popen.wait()
    return facts


def _interrupt_and_resume(run, command, root, sample_npz, started) -> dict:
    facts: dict = {}
    # The same command, never interrupted (in parallel: most of a start is single-threaded).
    reference = root / "reference"
    uninterrupted = Process(train_command(reference, sample_npz), root / "reference")
    started.append(uninterrupted)

    # 1. SIGTERM right after the first checkpoint appears.
    first = Process(command, root / "first")
    started.append(first)
    first.wait_until(lambda: epochs_saved(run), "the first checkpoint")
    first.popen.send_signal(signal.SIGTERM)
    facts["term_code"] = first.popen.wait(timeout=300)
    facts["term_stderr"] = first.stderr
    facts["after_term"] = epochs_saved(run)
    facts["temporaries_after_term"] = temporaries(run)
    facts["readable_after_term"] = [
        ckpt.read_npz(p)[0]["epoch"] for p in ckpt.list_checkpoints(run / "checkpoints")]
    assert facts["after_term"] and facts["after_term"][-1] < EPOCHS, \
        "the first run finished before it could be interrupted"

    # 2. Re-run; SIGKILL as soon as it has written one more checkpoint.
    e1 = facts["after_term"][-1]
    second = Process(command, root / "second")
    started.append(second)
    second.wait_until(lambda: epochs_saved(run) and epochs_saved(run)[-1] > e1,
                      "a checkpoint after the resume")
    second.popen.send_signal(signal.SIGKILL)
    facts["kill_code"] = second.popen.wait(timeout=300)
    facts["second_stdout"] = second.stdout
    facts["after_kill"] = epochs_saved(run)
    e2 = facts["after_kill"][-1]
    assert e2 < EPOCHS, "the second run finished before it could be killed"
    latest = ckpt.checkpoint_path(run / "checkpoints", e2)
    facts["latest_header"], facts["latest_arrays"] = ckpt.read_npz(latest)

    # What a kill in the middle of a write leaves: temporary files, and the metrics row and
    # grid of an epoch whose checkpoint was never written. Plant them, as a kill at the
    # worst moment would, to check that the next run ignores and removes them.
    planted = [run / "checkpoints" / f".ckpt-{e2 + 1:06d}.npz.k1ll.tmp",
               run / ".manifest.json.tmp",
               run / "grids" / f".grid_epoch_{e2 + 1:03d}.png.k1ll.tmp"]
    planted[0].write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])
    planted[1].write_text('{"half": ')
    planted[2].write_bytes(b"\x89PNG half")
    assert ckpt.list_checkpoints(run / "checkpoints")[-1] == latest  # the half file is ignored
    metrics = run / "metrics.csv"
    lines = metrics.read_text().splitlines(keepends=True)
    if len(lines) - 1 == e2:  # no row yet for the epoch after the checkpoint: add a bogus one
        metrics.write_text("".join(lines) + f"{e2 + 1}," + ",".join(["9.9"] * 7) + "\n")
    (run / "grids" / f"grid_epoch_{e2 + 1:03d}.png").write_bytes(b"not the real grid")

    # The documented resume API on those files: weights equal the saved ones.
    gan = build_gan("acgan", jit_compile=False)
    facts["restored_epoch"] = ckpt.restore_latest(gan, run / "checkpoints", "acgan",
                                                  verbose=False)
    # Same order as saved; names differ only in Keras' per-process optimizer numbering.
    restored = [v.numpy() for v in ckpt.gan_variables(gan).values()]
    saved = list(facts["latest_arrays"].items())
    facts["restore_mismatches"] = [k for (k, v), r in zip(saved, restored)
                                   if not np.array_equal(v, r)]
    facts["restore_counts"] = (len(saved), len(restored))
    facts["restored_step"] = int(gan.g_optimizer.iterations.numpy())

    # 3. Re-run to the end.
    third = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=1800)
    facts["third"] = third

    facts["reference"] = reference
    facts["reference_code"] = uninterrupted.popen.wait(timeout=1800)
    facts["reference_stderr"] = uninterrupted.stderr
    facts.update(e1=e1, e2=e2, planted=planted)
    return facts


def test_sigterm_stops_cleanly(chain):
    assert chain["term_code"] == 128 + signal.SIGTERM, chain["term_stderr"]
    assert "interrupted (SIGTERM)" in chain["term_stderr"]
    assert "run the same command again to resume" in chain["term_stderr"]
    assert chain["temporaries_after_term"] == []
    assert chain["readable_after_term"] == chain["after_term"]  # every checkpoint is complete


def test_sigkill_then_resume_says_where_it_resumed(chain):
    run, e1, e2 = chain["run"], chain["e1"], chain["e2"]
    assert chain["kill_code"] == -signal.SIGKILL
    assert (f"Resuming from {ckpt.checkpoint_path(run / 'checkpoints', e1)} "
            f"(epoch {e1}, step {e1 * STEPS}).") in chain["second_stdout"]
    third = chain["third"]
    assert third.returncode == 0, third.stderr
    assert (f"Resuming from {ckpt.checkpoint_path(run / 'checkpoints', e2)} "
            f"(epoch {e2}, step {e2 * STEPS}).") in third.stdout
    removed = re.search(r"Removed (\d+) temporary file\(s\) left by an interrupted run",
                        third.stdout)
    assert removed and int(removed.group(1)) >= 3  # the three planted (a kill may leave more)


def test_weights_at_resume_equal_saved(chain):
    assert chain["restored_epoch"] == chain["e2"] == chain["latest_header"]["epoch"]
    assert chain["restored_step"] == chain["e2"] * STEPS == chain["latest_header"]["step"]
    assert chain["restore_mismatches"] == []
    saved, restored = chain["restore_counts"]
    assert saved == restored > 100  # both networks and both optimizers


def test_resumed_run_finishes_complete_and_clean(chain):
    run = chain["run"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["epochs"] == EPOCHS and manifest["steps"] == EPOCHS * STEPS
    assert manifest["resumed_from_epoch"] == chain["e2"]
    assert epochs_saved(run) == [EPOCHS - 1, EPOCHS]  # --keep 2
    for path in ckpt.list_checkpoints(run / "checkpoints"):
        assert ckpt.read_npz(path)[0]["step"] == int(path.stem[-6:]) * STEPS
    assert temporaries(run) == []
    assert not any(p.exists() for p in chain["planted"])
    rows = (run / "metrics.csv").read_text().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == list(range(1, EPOCHS + 1))  # epochs done
    assert sorted(p.name for p in (run / "grids").iterdir()) == \
        [f"grid_epoch_{e:03d}.png" for e in range(1, EPOCHS + 1)]


def test_interrupted_run_equals_uninterrupted_run(chain):
    """Same seed: the same losses from the first step on, and the same final weights and grid."""
    run, reference = chain["run"], chain["reference"]
    assert chain["reference_code"] == 0, chain["reference_stderr"]
    ours = (run / "metrics.csv").read_text()
    theirs = (reference / "metrics.csv").read_text()
    assert ours.splitlines()[1] == theirs.splitlines()[1]  # the first epoch, another process
    assert ours == theirs  # every epoch, across two resumes
    mine, other = weights_of(run / "weights.npz"), weights_of(reference / "weights.npz")
    assert mine.keys() == other.keys()
    assert all(np.array_equal(mine[k], other[k]) for k in mine)
    for epoch in range(1, EPOCHS + 1):
        grid = f"grids/grid_epoch_{epoch:03d}.png"
        assert (run / grid).read_bytes() == (reference / grid).read_bytes(), grid


def test_same_seed_and_weights_give_byte_identical_grids(chain, tmp_path):
    run = chain["run"]
    written_by_training = (run / "grids" / f"grid_epoch_{EPOCHS:03d}.png").read_bytes()
    pictures = []
    for i in range(2):  # two models loaded from the same weights
        gan, _ = load_run(run)
        pictures.append(save_grid(gan.generator, tmp_path / f"{i}.png", seed=0))
    # compared by digest: on a mismatch pytest's diff of two PNGs' bytes would take minutes
    expected = hashlib.sha256(written_by_training).hexdigest()
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in pictures] == [expected] * 2
    other_seed = save_grid(gan.generator, tmp_path / "seed1.png", seed=1)
    assert hashlib.sha256(other_seed.read_bytes()).hexdigest() != expected
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["generate", str(run), "--seed", "0", "--out", str(tmp_path / "cli.png")]) == 0
    assert hashlib.sha256((tmp_path / "cli.png").read_bytes()).hexdigest() == expected


# ------------------------------------------------------------------ in-process checks
class LossRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append((float(logs["d_loss"]), float(logs["g_loss"])))


def test_same_seed_gives_identical_first_losses(sample):
    def first_losses(seed: int):
        make_repeatable(seed)
        gan = build_gan("acgan", seed=seed, jit_compile=False)
        recorder = LossRecorder()
        gan.fit(make_dataset(sample.x_train, sample.y_train, BATCH, seed=seed, repeat=True),
                epochs=1, steps_per_epoch=3, verbose=0, callbacks=[recorder])
        return recorder.losses

    first, second = first_losses(0), first_losses(0)
    assert len(first) == 3 and all(math.isfinite(v) for pair in first for v in pair)
    assert first[0] != first[2]  # the recorder saw three different steps
    assert first == second


class BlowUp(keras.callbacks.Callback):
    """After the first epoch (and its checkpoint), set both learning rates to 1e30."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.model.d_optimizer.learning_rate = 1e30
            self.model.g_optimizer.learning_rate = 1e30


def test_nan_loss_stops_with_step_and_keeps_last_checkpoint(sample, tmp_path):
    out = tmp_path / "run"
    config = TrainConfig(model="acgan", epochs=3, batch_size=BATCH, jit_compile=False)
    with pytest.raises(TrainingDivergedError) as info:
        train_run(config, out, sample, steps_per_epoch=2, verbose=0, callbacks=[BlowUp()])
    message = str(info.value)
    first = ckpt.checkpoint_path(out / "checkpoints", 1)
    assert re.search(r"[dg]_loss became nan at training step 3: training stopped", message)
    assert f"The last complete checkpoint, {first}, is kept" in message
    assert ckpt.list_checkpoints(out / "checkpoints") == [first]
    assert temporaries(out) == []
    assert not (out / "weights.npz").exists() and not (out / "manifest.json").exists()
    header, arrays = ckpt.read_npz(first)
    assert header["step"] == 2 and all(np.isfinite(a).all() for a in arrays.values())

    # It was written before the blow-up: its learning rates are the configured ones, so
    # resuming from it continues the healthy run.
    rates = [float(v) for k, v in arrays.items() if k.endswith("/learning_rate")]
    assert len(rates) == 2 and all(math.isclose(r, 2e-4, rel_tol=1e-6) for r in rates)


def test_cli_reports_nan_and_exits_nonzero(sample_npz, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--learning-rate", "1e30", "--epochs", "2", "--steps-per-epoch", "2",
                 "--batch-size", str(BATCH), "--no-xla", "--quiet", "--source", "path",
                 "--data", str(sample_npz), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert re.search(r"^error: [dg]_loss became nan at training step 1: training stopped\. "
                     r"No checkpoint had been written yet", err, re.M), err
    assert ckpt.list_checkpoints(out / "checkpoints") == [] and temporaries(out) == []


def test_fit_user_can_checkpoint_and_restore(sample, tmp_path):
    """The callback and ``restore_latest`` without ``train_run``: what a notebook does."""
    make_repeatable(0)
    gan = build_gan("acgan", jit_compile=False)
    folder = tmp_path / "ckpts"
    gan.fit(make_dataset(sample.x_train, sample.y_train, BATCH, repeat=True), epochs=2,
            steps_per_epoch=2, verbose=0, callbacks=[GANCheckpoint(folder, "acgan", keep=1)])
    assert [p.name for p in ckpt.list_checkpoints(folder)] == ["ckpt-000002.npz"]

    fresh = build_gan("acgan", jit_compile=False, seed=0)
    assert ckpt.restore_latest(fresh, tmp_path / "empty", "acgan") == 0
    assert ckpt.restore_latest(fresh, folder, "acgan") == 2
    assert int(fresh.g_optimizer.iterations.numpy()) == 4
    assert int(fresh.d_optimizer.iterations.numpy()) == 4
    # Keras numbers optimizers per process (adam_3, adam_4, ...): the names differ, the
    # checkpoint still matches by position and variable name.
    saved = list(ckpt.gan_variables(gan).items())
    restored = list(ckpt.gan_variables(fresh).items())
    assert len(saved) == len(restored) > 100
    assert saved[-1][0] != restored[-1][0]  # e.g. 'g_optimizer/035:adam_3/...' vs 'adam_5'
    for (name, variable), (_, original) in zip(restored, saved):
        assert np.array_equal(variable.numpy(), original.numpy()), name


# ------------------------------------------------------------------ atomic files
def test_interrupted_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = ckpt.atomic_savez(tmp_path / "ckpt-000001.npz", {"w": np.ones(3)}, {"format": "x"})
    before = target.read_bytes()

    def half_then_killed(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt  # what SIGTERM becomes in the command line

    monkeypatch.setattr(np, "savez", half_then_killed)
    with pytest.raises(KeyboardInterrupt):
        ckpt.atomic_savez(target, {"w": np.zeros(3)}, {"format": "x"})
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-000001.npz"]


def test_list_checkpoints_ignores_temporaries_and_cleanup_removes_only_them(tmp_path):
    keep = ["ckpt-000001.npz", "ckpt-000002.npz", "notes.txt", "ckpt-2.npz"]
    stale = [".ckpt-000003.npz.ab12cd.tmp", ".config.json.tmp", ".grid_epoch_003.png.ab12cd.tmp"]
    for name in keep + stale:
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == keep[:2]
    assert sorted(p.name for p in ckpt.remove_stale_temporaries(tmp_path)) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)


def test_newest_unreadable_checkpoint_is_skipped_for_the_one_before(tmp_path, capsys):
    gan = build_gan("acgan", jit_compile=False)
    ckpt.save_gan(gan, ckpt.checkpoint_path(tmp_path, 1), "acgan", optimizers=True,
                  extra={"epoch": 1, "step": 5})
    ckpt.checkpoint_path(tmp_path, 2).write_bytes(b"damaged after it was written")
    assert ckpt.restore_latest(gan, tmp_path, "acgan") == 1
    out = capsys.readouterr().out
    assert "Skipping unreadable checkpoint" in out and "ckpt-000002.npz" in out
    assert f"Resuming from {ckpt.checkpoint_path(tmp_path, 1)} (epoch 1, step 5)." in out


# ------------------------------------------------------------------ weights only
def test_library_never_unpickles():
    """No loader in the library can run code: numpy refuses pickles, nothing else unpickles."""
    assert inspect.signature(np.load).parameters["allow_pickle"].default is False
    package = Path(acgan_lib.__file__).parent
    forbidden = re.compile(r"allow_pickle\s*=\s*True|\bpickle\.loads?\(|\bimport pickle|"
                           r"torch\.load|joblib\.load|safe_mode\s*=\s*False|\bdill\b")
    offenders = [f"{p.name}:{i}" for p in package.rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if forbidden.search(line)]
    assert offenders == []


def test_object_array_npz_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    header = np.frombuffer(json.dumps({"format": ckpt.FORMAT, "model": "acgan"}).encode(),
                           np.uint8)
    np.savez(path, __header__=header, payload=np.array([print], dtype=object))
    with pytest.raises(ckpt.CheckpointError, match="pickled"):
        ckpt.read_npz(path)


def _weight_files():
    package = Path(acgan_lib.__file__).parent
    return sorted((package / "pretrained").glob("*.npz"))


@pytest.mark.parametrize("path", _weight_files(), ids=lambda p: p.name)
def test_shipped_weights_are_weights_only(path):
    with np.load(path, allow_pickle=False) as npz:
        for key in npz.files:
            assert npz[key].dtype.kind in "fiub", f"{path.name}:{key} is {npz[key].dtype}"
    ckpt.read_npz(path)  # and has the library's header


def test_run_outputs_are_weights_only(chain):
    run = chain["run"]
    for path in [run / "weights.npz", *ckpt.list_checkpoints(run / "checkpoints")]:
        with np.load(path, allow_pickle=False) as npz:
            assert all(npz[k].dtype.kind in "fiub" for k in npz.files), path
