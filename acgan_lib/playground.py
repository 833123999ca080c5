"""The shipped generators, exported for the book's playground page (``book/playground.md``).

Why: the page lets a reader of the static book move a generator's inputs and watch its digit
change, with no Python. TensorFlow.js runs the generators in the browser; the TF.js converter
(pip ``tensorflowjs``) pulls in heavy, conflicting dependencies, so this module writes the
weights and a list of operations, and the page builds the same computation with TF.js's ops.
It must draw what the Keras generator draws in inference mode, so the export:

* folds each BatchNormalization into the convolution before it, with its moving mean and
  variance (``k * s``, ``(b - mean) * s + beta``, ``s = gamma / sqrt(var + epsilon)``), and
  merges the ReLU after it: the page runs only the conditioning, Dense, Conv2D and x2 nearest
  upsampling (a fused ``UpSamplingConv2D`` becomes the upsampling and its convolution);
* stores every kernel as int16 with one float32 scale per output channel, and the label's rows
  of a concatenating generator's Dense kernel as a kernel of their own: measured on 2,000
  images of each shipped generator, float16 kernels moved pixels (in [-1, 1]) by up to 9.4e-3,
  one shared scale for the noise and label rows by up to 1.5e-3, this by at most 6e-4
  (:data:`TOLERANCE` is 1e-3). Embeddings and biases stay float32;
* writes each model as a JavaScript file (``window.acganPlaygroundModels[name] = {...}`` with
  base64 data) because a page opened from a downloaded copy (``file://``) may load scripts but
  not ``fetch()`` files;
* checks itself: :func:`forward` runs the exported numbers in NumPy and must match the Keras
  generator on :data:`CHECK_IMAGES` images, or nothing is written.

:func:`write_playground` writes ``OUT/models/<name>.js`` and ``OUT/index.js``; the book's
extension (``book/_ext/course_assets.py``) calls it at every build, from the shipped checkpoints.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import keras
import numpy as np

from acgan_lib.files import write_text
from acgan_lib.models import UpSamplingConv2D, generate, latent_dim_of
from acgan_lib.pretrained import SHIPPED_NAMES, load_pretrained, pretrained_manifest
from acgan_lib.validation import NUM_CLASSES

#: The models the page offers, in its order, and what each is in the course.
PLAYGROUND_MODELS = {
    "acgan": "the article's ACGAN (chapter 4)",
    "acgan-real-aux-concat": "the ACGAN the course recommends (chapter 4)",
    "cgan-concat": "the CGAN that concatenates the label (chapters 2 and 3)",
}
#: The largest difference allowed between a page's pixel and Keras' (both in [-1, 1]).
TOLERANCE = 1e-3
CHECK_IMAGES = 20  # images of the self-check: two of each digit, noise seed 0
FORMAT = "acgan-playground-1"
ACTIVATIONS = ("linear", "relu", "tanh")


def _activation(layer) -> str:
    name = keras.activations.serialize(layer.activation)
    name = name if isinstance(name, str) else name.get("config", {}).get("name", name)
    if name not in ACTIVATIONS:
        raise ValueError(f"layer {layer.name!r}: the playground supports the activations "
                         f"{', '.join(ACTIVATIONS)}, not {name!r}")
    return name


def _check_conv(layer) -> None:
    config = layer.get_config()
    wanted = {"strides": (1, 1), "padding": "same", "dilation_rate": (1, 1), "groups": 1,
              "data_format": "channels_last"}
    for key, value in wanted.items():
        got = config.get(key, value)
        if (tuple(got) if isinstance(got, list) else got) != value:
            raise ValueError(f"layer {layer.name!r}: the playground supports {key}={value!r} "
                             f"convolutions only, got {got!r}")


def graph(generator: keras.Model) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The generator as a list of operations and their float32 arrays (BatchNorm folded).

    Raises ``ValueError`` naming the first layer that the page could not compute exactly.
    """
    names = [layer.name for layer in generator.layers]
    ops, arrays = [], {}
    if "label_embedding" in names:
        arrays["embedding"] = generator.get_layer("label_embedding").embeddings.numpy()
        ops.append({"op": "multiply_embedding", "embedding": "embedding"})
        start = names.index("multiply") + 1
    elif "one_hot" in names:
        start = names.index("concat") + 1  # the next Dense splits its kernel: noise, label
    else:
        raise ValueError("the playground exports generators built by "
                         "acgan_lib.models.build_generator (no 'label_embedding' or 'one_hot' "
                         "layer in this one)")
    layers = generator.layers[start:]
    latent = latent_dim_of(generator)
    i = 0
    while i < len(layers):
        layer, n = layers[i], len(ops)
        if isinstance(layer, keras.layers.Dense):
            kernel, bias = (w.numpy() for w in layer.weights)
            op = {"op": "dense", "kernel": f"k{n}", "bias": f"b{n}",
                  "activation": _activation(layer)}
            if "one_hot" in names and not any(o["op"] == "dense" for o in ops):
                arrays[f"l{n}"], kernel = kernel[latent:], kernel[:latent]
                op["label_kernel"] = f"l{n}"
            arrays[f"k{n}"], arrays[f"b{n}"] = kernel, bias
            ops.append(op)
        elif isinstance(layer, keras.layers.Reshape):
            ops.append({"op": "reshape", "shape": list(layer.target_shape)})
        elif isinstance(layer, keras.layers.UpSampling2D):
            if tuple(layer.size) != (2, 2) or layer.interpolation != "nearest":
                raise ValueError(f"layer {layer.name!r}: only x2 nearest upsampling is supported")
            ops.append({"op": "upsample"})
        elif isinstance(layer, keras.layers.Conv2D):
            _check_conv(layer)
            if isinstance(layer, UpSamplingConv2D):
                ops.append({"op": "upsample"})
                n += 1
            kernel, bias = (w.numpy() for w in layer.weights)
            activation = _activation(layer)
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(nxt, keras.layers.BatchNormalization) and activation == "linear":
                gamma, beta, mean, var = (w.numpy().astype(np.float64) for w in nxt.weights)
                scale = gamma / np.sqrt(var + nxt.epsilon)
                kernel, bias = kernel * scale, (bias - mean) * scale + beta
                i += 1
                nxt = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(nxt, keras.layers.ReLU) and activation == "linear":
                config = nxt.get_config()
                if config.get("max_value") is None and not config.get("negative_slope") \
                        and not config.get("threshold"):
                    activation = "relu"
                    i += 1
            arrays[f"k{n}"] = np.asarray(kernel, np.float32)
            arrays[f"b{n}"] = np.asarray(bias, np.float32)
            ops.append({"op": "conv", "kernel": f"k{n}", "bias": f"b{n}",
                        "activation": activation})
        else:
            raise ValueError(f"the playground cannot compute layer {layer.name!r} "
                             f"({type(layer).__name__}) in the browser")
        i += 1
    return ops, {k: np.asarray(v, np.float32) for k, v in arrays.items()}


def encode(arrays: dict[str, np.ndarray]) -> tuple[list[dict], bytes]:
    """Pack arrays into one blob: kernels (``k``, ``l``) as int16 with one float32 scale per
    output channel (the last axis), the rest float32; returns the records and the bytes."""
    records, parts, offset = [], [], 0
    for name, array in arrays.items():
        record = {"name": name, "shape": list(array.shape)}
        if name[0] in "kl":
            top = np.abs(array).reshape(-1, array.shape[-1]).max(axis=0)
            scale = (np.where(top > 0, top, 1.0) / 32767).astype(np.float32)
            chunks = [scale.tobytes(), np.round(array / scale).astype("<i2").tobytes()]
            record.update(encoding="int16", scale_offset=offset, offset=offset + len(chunks[0]))
        else:
            chunks = [array.astype("<f4").tobytes()]
            record.update(encoding="float32", offset=offset)
        for chunk in chunks:
            chunk += b"\0" * (-len(chunk) % 4)  # keep every array aligned for typed arrays
            parts.append(chunk)
            offset += len(chunk)
        records.append(record)
    return records, b"".join(parts)


def decode(records: list[dict], blob: bytes) -> dict[str, np.ndarray]:
    """The arrays :func:`encode` packed, as the page reads them (float32)."""
    arrays = {}
    for record in records:
        shape, size = record["shape"], int(np.prod(record["shape"]))
        if record["encoding"] == "int16":
            scale = np.frombuffer(blob, "<f4", shape[-1], record["scale_offset"])
            values = np.frombuffer(blob, "<i2", size, record["offset"]).reshape(shape)
            arrays[record["name"]] = (values * scale).astype(np.float32)
        else:
            arrays[record["name"]] = np.frombuffer(blob, "<f4", size, record["offset"]) \
                .reshape(shape).copy()
    return arrays


def _conv_same(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    kh, kw = kernel.shape[:2]
    h, w = x.shape[1:3]
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    return sum(padded[:, i:i + h, j:j + w] @ kernel[i, j] for i in range(kh) for j in range(kw))


def forward(ops: list[dict], arrays: dict[str, np.ndarray], noise, labels) -> np.ndarray:
    """The exported generator in NumPy: images ``(n, 28, 28)`` in [-1, 1], as the page
    computes them (in float64 here, so only the export's rounding differs from Keras)."""
    x = np.asarray(noise, np.float64)
    labels = np.asarray(labels).reshape(-1)
    act = {"linear": lambda v: v, "relu": lambda v: np.maximum(v, 0), "tanh": np.tanh}
    for op in ops:
        if op["op"] == "multiply_embedding":
            x = x * arrays[op["embedding"]][labels]
        elif op["op"] == "dense":
            x = x @ arrays[op["kernel"]] + arrays[op["bias"]]
            if "label_kernel" in op:
                x = x + arrays[op["label_kernel"]][labels]
            x = act[op["activation"]](x)
        elif op["op"] == "reshape":
            x = x.reshape(-1, *op["shape"])
        elif op["op"] == "upsample":
            x = x.repeat(2, axis=1).repeat(2, axis=2)
        else:
            x = act[op["activation"]](_conv_same(x, arrays[op["kernel"]]) + arrays[op["bias"]])
    return x[..., 0]


def export_generator(generator: keras.Model) -> tuple[dict, bytes]:
    """The page's manifest for ``generator`` and its weights blob, checked against Keras."""

    ops, arrays = graph(generator)
    records, blob = encode(arrays)
    labels = np.arange(CHECK_IMAGES) % NUM_CLASSES
    noise = np.random.default_rng(0).standard_normal((CHECK_IMAGES, latent_dim_of(generator)))
    expected = generate(generator, labels, noise=noise)[..., 0]
    difference = float(np.abs(forward(ops, decode(records, blob), noise, labels) - expected).max())
    if not difference < TOLERANCE:
        raise ValueError(f"the exported generator differs from Keras by {difference:.2e} "
                         f"(over the {TOLERANCE:g} tolerance): it cannot be shown in the page")
    manifest = {"format": FORMAT, "latent_dim": latent_dim_of(generator),
                "num_classes": NUM_CLASSES, "ops": ops, "tensors": records,
                "parameters": int(sum(a.size for a in arrays.values())), "bytes": len(blob),
                "check": {"images": CHECK_IMAGES, "max_abs_difference": difference}}
    return manifest, blob


def _check_out(out: str | os.PathLike) -> Path:
    out = Path(out)
    existing = next((p for p in (out, *out.parents) if p.exists()), out)
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise PermissionError(f"cannot write the playground into {out}: {existing} is not a "
                              "writable folder; choose another output folder")
    return out


def write_playground(out: str | os.PathLike, names=None, directory=None) -> list[Path]:
    """Export the shipped generators ``names`` (default :data:`PLAYGROUND_MODELS`) into
    ``out/models/<name>.js`` and list them in ``out/index.js``; returns the files written.

    Every name and the output folder are checked, and every model exported, before anything
    is written.
    """

    names = list(PLAYGROUND_MODELS if names is None else names)
    unknown = [n for n in names if n not in SHIPPED_NAMES]
    if unknown or not names:
        raise ValueError(f"unknown playground model(s) {unknown or names}: choose among the "
                         f"shipped models {', '.join(SHIPPED_NAMES)}")
    out = _check_out(out)
    scripts, index = {}, []
    for name in names:
        manifest, blob = export_generator(load_pretrained(name, directory).generator)
        shipped = pretrained_manifest(name, directory)
        manifest.update(name=name, weights_sha256=shipped.get("weights_sha256"))
        payload = {**manifest, "data": base64.b64encode(blob).decode("ascii")}
        scripts[name] = (f"// {name}: generated by acgan_lib.playground from the shipped "
                         f"checkpoint; do not edit.\n(window.acganPlaygroundModels = window"
                         f".acganPlaygroundModels || {{}})[{json.dumps(name)}] = "
                         f"{json.dumps(payload)};\n")
        evaluation = shipped.get("evaluation", {})
        index.append({"name": name, "role": PLAYGROUND_MODELS.get(name, shipped.get("model")),
                      "script": f"models/{name}.js", "bytes": len(scripts[name]),
                      "parameters": manifest["parameters"],
                      "max_abs_difference": manifest["check"]["max_abs_difference"],
                      "epochs": shipped.get("epochs"), "batch_size": shipped.get("batch_size"),
                      "label_accuracy": evaluation.get("label_accuracy")})
    written = [write_text(out / "models" / f"{name}.js", text) for name, text in scripts.items()]
    written.append(write_text(out / "index.js", "// generated by acgan_lib.playground\n"
                              f"window.acganPlaygroundIndex = {json.dumps(index, indent=1)};\n"))
    return written

