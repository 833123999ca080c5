/* The playground (book/playground.md): the course's shipped generators, run in the reader's
 * browser with TensorFlow.js, offline. book/_ext/course_assets.py copies this file, TF.js
 * (from node_modules) and the models (acgan_lib.playground: index.js and models/<name>.js)
 * into _static/playground/ at every build.
 *
 * Each model is a list of operations (the Keras generator with its BatchNorm folded) run with
 * TF.js ops, so the page draws what Keras draws: tests/test_playground.py compares the two.
 * Test hooks: window.acganPlayground (generate, setNoise, idle, pixels, state).
 */
(() => {
  "use strict";
  const SIZE = 28;
  const DIGITS = 10;
  const STEPS = 10; // images of the interpolation
  const DIRECTIONS = 5; // sliders
  const RANGE = 3; // a slider spans -3 to 3: the noise's coordinate along a unit direction
  const DIRECTION_SEED = 1000000; // seeds of the directions, and of the end noises after it
  const END_SEED = 2000000;
  const base = new URL(".", document.currentScript.src);
  const root = document.getElementById("acgan-playground");
  const index = window.acganPlaygroundIndex || [];

  // ---------------------------------------------------------------- seeded noise
  // mulberry32 and Box-Muller: a seed gives the same noise in every browser (not NumPy's).
  function uniform(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function normals(seed, n) {
    const u = uniform(seed);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - u()));
      const angle = 2 * Math.PI * u();
      out[i] = r * Math.cos(angle);
      if (i + 1 < n) out[i + 1] = r * Math.sin(angle);
    }
    return out;
  }

  const dot = (a, b) => a.reduce((sum, v, i) => sum + v * b[i], 0);

  // Fixed orthonormal directions (Gram-Schmidt of seeded noise): the same for every model.
  function directions(latent) {
    const found = [];
    for (let k = 0; k < DIRECTIONS; k++) {
      const v = normals(DIRECTION_SEED + k, latent);
      for (const u of found) {
        const c = dot(v, u);
        v.forEach((_, i) => { v[i] -= c * u[i]; });
      }
      const norm = Math.sqrt(dot(v, v));
      found.push(v.map((x) => x / norm));
    }
    return found;
  }

  // Spherical interpolation, as acgan_lib.diagnostics.slerp (the chapters' interpolations).
  function slerp(a, b, t) {
    const cos = dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
    const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
    if (omega < 1e-6) return a.map((x, i) => (1 - t) * x + t * b[i]);
    const s = Math.sin(omega);
    return a.map((x, i) => (Math.sin((1 - t) * omega) * x + Math.sin(t * omega) * b[i]) / s);
  }

  // ---------------------------------------------------------------- the models
  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`could not load ${src}: rebuild the book`));
      document.head.appendChild(script);
    });
  }

  function decode(spec) {
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
      throw new Error("this browser stores numbers big-endian; the weights are little-endian");
    }
    const text = atob(spec.data);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const tensors = {};
    for (const record of spec.tensors) {
      const size = record.shape.reduce((a, b) => a * b, 1);
      let values;
      if (record.encoding === "int16") {
        const channels = record.shape[record.shape.length - 1];
        const scale = new Float32Array(bytes.buffer, record.scale_offset, channels);
        const q = new Int16Array(bytes.buffer, record.offset, size);
        values = new Float32Array(size);
        for (let i = 0; i < size; i++) values[i] = q[i] * scale[i % channels];
      } else {
        values = new Float32Array(bytes.buffer.slice(record.offset, record.offset + 4 * size));
      }
      tensors[record.name] = tf.tensor(values, record.shape, "float32");
    }
    return tensors;
  }

  const models = {};
  function model(name) {
    if (!models[name]) {
      models[name] = (async () => {
        const entry = index.find((m) => m.name === name);
        if (!entry) {
          const known = index.map((m) => m.name).join(", ");
          throw new Error(`no model ${name} in the playground; it has ${known}`);
        }
        const shipped = () => (window.acganPlaygroundModels || {})[name];
        if (!shipped()) await loadScript(new URL(entry.script, base).href);
        const spec = shipped();
        const tensors = decode(spec);
        delete spec.data; // the decoded tensors are kept instead
        return { entry, spec, tensors };
      })();
      models[name].catch(() => { delete models[name]; });
    }
    return models[name];
  }

  const activate = { linear: (x) => x, relu: tf.relu, tanh: tf.tanh };

  // The generator's operations (acgan_lib.playground.forward is the same in NumPy).
  function forward(m, noise, labels) {
    return tf.tidy(() => {
      const n = labels.length;
      let x = tf.tensor2d(noise, [n, m.spec.latent_dim]);
      const label = tf.tensor1d(labels, "int32");
      for (const op of m.spec.ops) {
        const w = (key) => m.tensors[op[key]];
        if (op.op === "multiply_embedding") {
          x = tf.mul(x, tf.gather(w("embedding"), label));
        } else if (op.op === "dense") {
          x = tf.add(tf.matMul(x, w("kernel")), w("bias"));
          if (op.label_kernel) x = tf.add(x, tf.gather(w("label_kernel"), label));
          x = activate[op.activation](x);
        } else if (op.op === "reshape") {
          x = tf.reshape(x, [n, ...op.shape]);
        } else if (op.op === "upsample") {
          x = tf.image.resizeNearestNeighbor(x, [2 * x.shape[1], 2 * x.shape[2]]);
        } else if (op.op === "conv") {
          x = activate[op.activation](tf.add(tf.conv2d(x, w("kernel"), 1, "same"), w("bias")));
        } else {
          throw new Error(`unknown operation ${op.op}: rebuild the book`);
        }
      }
      return tf.reshape(x, [n, SIZE * SIZE]);
    });
  }

  // Images (arrays of SIZE * SIZE values in [-1, 1]) for noise vectors and labels.
  async function generate(name, noise, labels) {
    const m = await model(name);
    const flat = new Float32Array(noise.length * m.spec.latent_dim);
    noise.forEach((z, i) => flat.set(z, i * m.spec.latent_dim));
    const out = forward(m, flat, Int32Array.from(labels));
    const values = await out.data();
    out.dispose();
    return labels.map((_, i) => values.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE));
  }

  // ---------------------------------------------------------------- the backend
  // The browser's WebGL renderer: null without WebGL, else whether it is a software one
  // (SwiftShader, llvmpipe), which ran these generators slower than TF.js's CPU backend.
  function webgl() {
    try {
      const gl = document.createElement("canvas").getContext("webgl2") ||
        document.createElement("canvas").getContext("webgl");
      if (!gl) return null;
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      const lose = gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext(); // TF.js makes its own context
      return { software: /swiftshader|llvmpipe|softpipe|software/i.test(renderer) };
    } catch (e) {
      return null;
    }
  }

  // WebGL on a graphics card, else TF.js's CPU backend; ?backend=webgl or ?backend=cpu forces
  // one. Returns the backend and why it was chosen.
  async function startBackend() {
    const asked = new URLSearchParams(location.search).get("backend");
    const gl = webgl();
    let order = ["cpu"];
    let why = gl ? " (this browser's WebGL runs in software, which is slower)" :
      " (this browser has no WebGL)";
    if (asked) {
      order = [asked];
      why = " (as the page's address asks)";
    } else if (gl && !gl.software) {
      order = ["webgl", "cpu"];
      why = "";
    }
    for (const name of order) {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { name, where: name === "webgl" ? `WebGL${why}` : `the CPU${why}` };
      }
    }
    throw new Error(`TensorFlow.js could not start (tried ${order.join(", ")})`);
  }

  // ---------------------------------------------------------------- the page
  const el = (tag, props = {}, children = []) => {
    const node = Object.assign(document.createElement(tag), props);
    for (const child of children) node.append(child);
    return node;
  };

  function canvas(label, className) {
    const c = el("canvas", { width: SIZE, height: SIZE, className });
    c.setAttribute("role", "img");
    c.setAttribute("aria-label", label);
    return c;
  }

  function draw(target, values) {
    const context = target.getContext("2d");
    const image = context.createImageData(SIZE, SIZE);
    values.forEach((v, i) => {
      const gray = Math.round(Math.min(1, Math.max(-1, v)) * 127.5 + 127.5);
      image.data.set([gray, gray, gray, 255], 4 * i);
    });
    context.putImageData(image, 0, 0);
  }

  function buttons(labels, onClick) {
    return labels.map((text, i) => {
      const b = el("button", { type: "button", textContent: text });
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", () => onClick(i));
      return b;
    });
  }

  const press = (group, chosen) => group.forEach((b, i) => {
    b.setAttribute("aria-pressed", String(i === chosen));
  });

  const percent = (x) => (x == null ? "not measured" : `${(100 * x).toFixed(1)}%`);
  const kb = (bytes) => `${Math.round(bytes / 1024).toLocaleString("en")} KB`;

  async function start() {
    if (!root) return;
    if (!index.length) throw new Error("no models: index.js is missing; rebuild the book");
    const backend = await startBackend();
    const latent = (await model(index[0].name)).spec.latent_dim;
    const dirs = directions(latent);
    const state = { model: index[0].name, digit: 0, seed: 1, endSeed: 2 };
    state.noise = normals(state.seed, latent);
    state.end = normals(END_SEED + state.endSeed, latent);

    const modelButtons = buttons(index.map((m) => m.name), (i) => {
      state.model = index[i].name;
      update();
    });
    const digitButtons = buttons([...Array(DIGITS).keys()].map(String), (d) => {
      state.digit = d;
      update();
    });
    const about = el("p", { className: "pg-about" });
    const big = canvas("the generated digit", "pg-big");
    const sliders = dirs.map((_, k) => el("input", {
      type: "range", min: -RANGE, max: RANGE, step: 0.01, id: `pg-direction-${k + 1}`,
    }));
    const readouts = sliders.map(() => el("output", { className: "pg-value" }));
    const styles = [...Array(DIGITS).keys()]
      .map((d) => canvas(`digit ${d} in this style`, "pg-tile"));
    const path = [...Array(STEPS).keys()]
      .map((s) => canvas(`step ${s + 1} of ${STEPS}`, "pg-tile"));
    const status = el("p", { className: "pg-status" });
    status.setAttribute("aria-live", "polite");
    const newNoise = el("button", { type: "button", textContent: "Draw new noise" });
    const newEnd = el("button", { type: "button", textContent: "Draw another end noise" });
    const seedLabel = el("span", { className: "pg-seed" });

    newNoise.addEventListener("click", () => {
      state.seed += 1;
      state.noise = normals(state.seed, latent);
      update();
    });
    newEnd.addEventListener("click", () => {
      state.endSeed += 1;
      state.end = normals(END_SEED + state.endSeed, latent);
      update();
    });
    sliders.forEach((slider, k) => slider.addEventListener("input", () => {
      const shift = Number(slider.value) - dot(state.noise, dirs[k]);
      state.noise = state.noise.map((v, i) => v + shift * dirs[k][i]);
      update(k);
    }));
    styles.forEach((tile, d) => tile.addEventListener("click", () => {
      state.digit = d;
      update();
    }));

    const group = (legend, children, className) => el("fieldset", { className }, [
      el("legend", { textContent: legend }), ...children]);
    root.replaceChildren(
      group("Model", modelButtons, "pg-models"), about,
      group("Digit", digitButtons, "pg-digits"),
      el("div", { className: "pg-main" }, [
        big,
        el("div", { className: "pg-controls" }, [
          el("p", {}, [newNoise, " ", seedLabel]),
          ...sliders.map((slider, k) => el("p", { className: "pg-slider" }, [
            el("label", { htmlFor: slider.id, textContent: `Direction ${k + 1}` }),
            slider, readouts[k]])),
        ]),
      ]),
      el("p", { className: "pg-caption", textContent:
        "The same noise drawn as every digit (click one to pick it):" }),
      el("div", { className: "pg-row" }, styles),
      el("p", { className: "pg-caption" }, [
        "This digit, the noise moved spherically from the one above to another: ", newEnd]),
      el("div", { className: "pg-row" }, path),
      status);

    // Redraw: the big digit first, then the rows, dropping work that a newer change replaced.
    let version = 0;
    let idle = Promise.resolve();
    let timing = "";
    function update(moved = -1) {
      version += 1;
      const mine = version;
      const entry = index.find((m) => m.name === state.model);
      press(modelButtons, index.indexOf(entry));
      press(digitButtons, state.digit);
      about.textContent = `${entry.name}: ${entry.role}. Trained ${entry.epochs} epochs at ` +
        `batch ${entry.batch_size}; the classifier reads ${percent(entry.label_accuracy)} ` +
        "of its digits as the digit asked for.";
      seedLabel.textContent = `noise seed ${state.seed}`;
      sliders.forEach((slider, k) => {
        const value = dot(state.noise, dirs[k]);
        if (k !== moved) slider.value = String(value);
        readouts[k].textContent = value.toFixed(2);
      });
      idle = idle.then(async () => {
        if (mine !== version) return;
        const started = performance.now();
        const [image] = await generate(state.model, [state.noise], [state.digit]);
        draw(big, image);
        timing = `${Math.round(performance.now() - started)} ms for the digit`;
        big.setAttribute("aria-label", `digit ${state.digit} drawn by ${state.model}`);
        report(entry);
        await new Promise((resolve) => setTimeout(resolve, 0)); // let a slider move first
        if (mine !== version) return;
        const noise = [...Array(DIGITS).fill(state.noise),
          ...path.map((_, s) => slerp(state.noise, state.end, s / (STEPS - 1)))];
        const labels = [...Array(DIGITS).keys(), ...Array(STEPS).fill(state.digit)];
        const images = await generate(state.model, noise, labels);
        if (mine !== version) return;
        images.slice(0, DIGITS).forEach((values, d) => draw(styles[d], values));
        images.slice(DIGITS).forEach((values, s) => draw(path[s], values));
      }).catch(fail);
    }

    function report(entry) {
      status.textContent = `Computed in this browser with TensorFlow.js on ${backend.where}: ` +
        `${timing}. ${entry.name} has ${entry.parameters.toLocaleString("en")} weights ` +
        `(${kb(entry.bytes)}); when the book was built, it matched the Keras generator to ` +
        `${entry.max_abs_difference.toExponential(1)} per pixel.`;
    }

    window.acganPlayground = {
      backend: backend.name,
      models: index.map((m) => m.name),
      generate: async (name, noise, labels) =>
        (await generate(name, noise, labels)).map((image) => Array.from(image)),
      setNoise: (noise) => { state.noise = Float32Array.from(noise); update(); return idle; },
      idle: () => idle,
      state: () => ({ model: state.model, digit: state.digit, noise: Array.from(state.noise) }),
      pixels: () => Array.from(big.getContext("2d").getImageData(0, 0, SIZE, SIZE).data)
        .filter((_, i) => i % 4 === 0),
    };
    update();
    return idle;
  }

  function fail(error) {
    if (root) {
      root.replaceChildren(el("p", { className: "pg-error", textContent:
        `The playground cannot run in this browser: ${error.message}` }));
    }
    throw error;
  }

  window.acganPlaygroundReady = start().catch(fail);
})();
