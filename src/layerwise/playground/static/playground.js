// layerwise playground: the page. It holds the settings (mirrored in the URL), sends them to
// the server over a WebSocket and draws what comes back: the data, the network with a heat map
// per unit and its weights as links, the cost curves and the output over the plane.
// Plain JavaScript, no build step, nothing loaded from elsewhere.
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const COLORS = ["#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#17becf"];
  const CHOICES = {
    learning_rate: [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10],
    l2: [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10],
    dropout: [0, 0.1, 0.2, 0.3, 0.5],
    batch_size: [1, 4, 8, 16, 32, 64, 128, null],
    speed: [1, 5, 20, 100, 500, 0],
  };
  const LABELS = {
    batch_size: (v) => (v === null ? "full batch" : String(v)),
    speed: (v) => (v === 0 ? "as fast as possible" : `${v} epochs/s`),
    dropout: (v) => (v === 0 ? "none" : `${v * 100} %`),
  };
  const ICONS = {
    play: '<svg viewBox="0 0 24 24" width="22" height="22"><path d="M7 4l13 8-13 8z" fill="currentColor"/></svg>',
    pause: '<svg viewBox="0 0 24 24" width="22" height="22"><rect x="6" y="4" width="4" height="16" fill="currentColor"/><rect x="14" y="4" width="4" height="16" fill="currentColor"/></svg>',
  };
  const NEW_LAYER_UNITS = 2;
  const UNIT = 40; // px, one unit's heat map
  const UNIT_GAP = 12;
  const DIAGRAM_TOP = 74; // room for the layer controls above the units

  let options = null; // GET /api/options
  let config = null; // the settings, as sent to the server
  let socket = null;
  let sessionId = null;
  let view = null; // the last "data" message: points, bounds, architecture
  let frame = null; // the last "frame" message
  let curve = { epoch: [], train: [], test: [] };
  let playing = false;
  let links = []; // links[l][j][i]: the SVG path of W[l+1][j][i]
  let units = []; // units[l][i]: the canvas of unit i of layer l (0 = the inputs)
  const uploads = {}; // id -> name

  // ---- colours ---------------------------------------------------------------------------------

  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const RGB = COLORS.map(rgb);
  const WHITE = [255, 255, 255];
  const mix = (a, b, t) => [0, 1, 2].map((k) => a[k] + (b[k] - a[k]) * t);

  // v in [-1, 1]: orange (negative), white (0), blue (positive)
  function diverging(v, strength) {
    return mix(WHITE, v < 0 ? RGB[0] : RGB[1], Math.min(1, Math.abs(v)) * strength);
  }

  function decode(b64) {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // ---- settings <-> URL ------------------------------------------------------------------------

  function toHash(c) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(c)) p.set(k, Array.isArray(v) ? v.join(",") : v === null ? "" : String(v));
    return "#" + p.toString();
  }

  function parseSetting(key, text, fallback) {
    if (key === "layers") return text === "" ? [] : text.split(",").map(Number);
    if (key === "activations") return text === "" ? [] : text.split(",");
    if (typeof fallback === "string") return text;
    if (typeof fallback === "boolean") return text === "true";
    if (text === "") return null;
    return Number(text);
  }

  function fromHash(hash) {
    const c = structuredClone(options.defaults);
    for (const [k, v] of new URLSearchParams(hash.replace(/^#/, ""))) {
      if (k in c) c[k] = parseSetting(k, v, options.defaults[k]);
    }
    if (c.noise === null && options.datasets[c.dataset]) c.noise = options.datasets[c.dataset].noise;
    return c;
  }

  // ---- messages --------------------------------------------------------------------------------

  function showMessage(text) {
    $("message-text").textContent = text;
    $("message").hidden = false;
  }

  function clearMessage() {
    $("message").hidden = true;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function command(type) {
    clearMessage();
    send({ type });
  }

  function settingsChanged() {
    history.replaceState(null, "", toHash(config));
    $("share").href = location.href;
    renderControls();
    clearMessage();
    send({ type: "config", config });
  }

  function connect() {
    socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
    socket.onmessage = (event) => receive(JSON.parse(event.data));
    socket.onclose = () => {
      setPlaying(false);
      showMessage("The connection to the playground server closed: is `layerwise playground` still running? Reload the page to reconnect.");
    };
  }

  function receive(message) {
    switch (message.type) {
      case "hello":
        sessionId = message.session;
        settingsChanged();
        break;
      case "data":
        view = message;
        curve = { epoch: [], train: [], test: [] };
        buildNetwork();
        renderLegend();
        break;
      case "frame":
        renderFrame(message);
        break;
      case "status":
        setPlaying(message.playing);
        break;
      case "error":
        showMessage(message.message);
        break;
    }
  }

  // ---- controls --------------------------------------------------------------------------------

  function fillSelect(select, values, label) {
    select.innerHTML = "";
    for (const v of values) select.add(new Option(label ? label(v) : String(v), JSON.stringify(v)));
  }

  function setSelect(select, value, label) {
    const key = JSON.stringify(value);
    if (![...select.options].some((o) => o.value === key)) select.add(new Option(label ? label(value) : String(value), key));
    select.value = key;
  }

  function buildControls() {
    for (const [key, values] of Object.entries(CHOICES)) {
      fillSelect($(key), values, LABELS[key]);
      $(key).addEventListener("change", () => {
        config[key] = JSON.parse($(key).value);
        settingsChanged();
      });
    }
    fillSelect($("optimizer"), options.optimizers);
    fillSelect($("init"), options.inits);
    for (const key of ["optimizer", "init"]) {
      $(key).addEventListener("change", () => {
        config[key] = JSON.parse($(key).value);
        settingsChanged();
      });
    }
    $("seed").addEventListener("change", () => {
      config.seed = $("seed").value === "" ? null : Number($("seed").value);
      settingsChanged();
    });
    $("noise").addEventListener("input", () => ($("noise-value").textContent = Number($("noise").value).toFixed(2)));
    $("noise").addEventListener("change", () => {
      config.noise = Number($("noise").value);
      settingsChanged();
    });
    $("test_fraction").addEventListener("input", () => ($("test-value").textContent = `${Math.round($("test_fraction").value * 100)} %`));
    $("test_fraction").addEventListener("change", () => {
      config.test_fraction = Number($("test_fraction").value);
      settingsChanged();
    });
    $("standardize").addEventListener("change", () => {
      config.standardize = $("standardize").checked;
      settingsChanged();
    });
    $("show-test").addEventListener("change", renderBoundary);

    for (const [name, info] of Object.entries(options.datasets)) {
      addDatasetButton(name, name, (canvas) => drawPreview(canvas, info.preview));
    }
    $("upload").addEventListener("change", upload);

    $("add-layer").addEventListener("click", () => {
      config.layers.push(NEW_LAYER_UNITS);
      config.activations.push(config.activations.at(-1) || "tanh");
      settingsChanged();
    });
    $("remove-layer").addEventListener("click", () => {
      config.layers.pop();
      config.activations.pop();
      settingsChanged();
    });
    $("play").addEventListener("click", () => command(playing ? "pause" : "play"));
    $("step").addEventListener("click", () => command("step"));
    $("reset").addEventListener("click", () => command("reset"));
    $("download").addEventListener("click", download);
    $("message-close").addEventListener("click", clearMessage);
    window.addEventListener("resize", () => {
      if (!view) return;
      buildNetwork();
      if (frame) renderUnits(), renderLinks();
    });
  }

  function addDatasetButton(key, name, draw) {
    const button = document.createElement("button");
    button.dataset.name = key;
    button.title = name;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 54;
    draw(canvas);
    button.append(canvas, name.length > 12 ? name.slice(0, 11) + "…" : name);
    button.addEventListener("click", () => {
      config.dataset = key;
      const info = options.datasets[key];
      if (info) config.noise = info.noise;
      settingsChanged();
    });
    $("datasets").append(button);
    return button;
  }

  function drawPreview(canvas, points) {
    const ctx = canvas.getContext("2d");
    const n = canvas.width;
    points.x.forEach((x, k) => {
      ctx.fillStyle = COLORS[points.label[k] % COLORS.length];
      ctx.fillRect(3 + x * (n - 8), 3 + (1 - points.y[k]) * (n - 8), 2.5, 2.5);
    });
  }

  async function upload() {
    const file = $("upload").files[0];
    $("upload").value = "";
    if (!file) return;
    if (file.size > options.max_upload_bytes) {
      showMessage(`${file.name} is ${file.size} bytes; the playground takes files up to ${options.max_upload_bytes} bytes.`);
      return;
    }
    clearMessage();
    let reply;
    try {
      const response = await fetch(`/api/upload?filename=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
      reply = await response.json();
    } catch (error) {
      showMessage(`The upload failed: ${error}`);
      return;
    }
    if (reply.error) {
      showMessage(reply.error);
      return;
    }
    uploads[reply.id] = reply.name;
    addDatasetButton(reply.id, reply.name, (canvas) => {
      const ctx = canvas.getContext("2d");
      ctx.font = "11px sans-serif";
      ctx.fillStyle = "#777";
      ctx.fillText("CSV", 16, 24);
      ctx.fillText(`${reply.m} pts`, 8, 40);
    });
    config.dataset = reply.id;
    settingsChanged();
  }

  async function download() {
    if (!sessionId) return;
    const response = await fetch(`/api/sessions/${sessionId}/model`);
    if (!response.ok) {
      const reply = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
      showMessage(reply.error);
      return;
    }
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = name ? name[1] : "playground-model.npz";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  function renderControls() {
    for (const key of Object.keys(CHOICES)) setSelect($(key), config[key], LABELS[key]);
    setSelect($("optimizer"), config.optimizer);
    setSelect($("init"), config.init);
    $("seed").value = config.seed ?? "";
    const info = options.datasets[config.dataset];
    $("noise-field").hidden = !info;
    if (info) {
      $("noise").max = info.max_noise;
      $("noise").step = info.max_noise / 60;
      $("noise").value = config.noise ?? info.noise;
      $("noise-value").textContent = Number($("noise").value).toFixed(2);
    }
    $("test_fraction").value = config.test_fraction;
    $("test-value").textContent = `${Math.round(config.test_fraction * 100)} %`;
    $("standardize").checked = !!config.standardize;
    for (const button of $("datasets").children) button.classList.toggle("selected", button.dataset.name === config.dataset);
    const n = config.layers.length;
    $("n-layers").textContent = n;
    $("layers-word").textContent = n === 1 ? "hidden layer" : "hidden layers";
    $("add-layer").disabled = n >= options.limits.hidden_layers;
    $("remove-layer").disabled = n === 0;
  }

  function setPlaying(value) {
    playing = value;
    $("play").classList.toggle("playing", value);
    $("play").innerHTML = value ? ICONS.pause : ICONS.play;
    $("play").setAttribute("aria-label", value ? "Pause" : "Play");
  }

  // ---- the network -----------------------------------------------------------------------------

  function columnX(l, L, width) {
    return 30 + (l * (width - UNIT - 60)) / L;
  }

  function unitY(i) {
    return DIAGRAM_TOP + i * (UNIT + UNIT_GAP);
  }

  function buildNetwork() {
    const dims = view.layer_dims;
    const L = dims.length - 1;
    const diagram = $("network");
    const svg = $("links");
    diagram.querySelectorAll(".unit, .layer-head, .unit-label").forEach((e) => e.remove());
    svg.innerHTML = "";
    const width = Math.max(420, diagram.clientWidth);
    const height = unitY(Math.max(...dims)) + 10;
    diagram.style.height = `${height}px`;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);

    links = [];
    for (let l = 1; l <= L; l++) {
      const x0 = columnX(l - 1, L, width) + UNIT;
      const x1 = columnX(l, L, width);
      links.push(
        Array.from({ length: dims[l] }, (_, j) =>
          Array.from({ length: dims[l - 1] }, (_, i) => {
            const y0 = unitY(i) + UNIT / 2;
            const y1 = unitY(j) + UNIT / 2;
            const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
            const xm = (x0 + x1) / 2;
            path.setAttribute("d", `M${x0},${y0} C${xm},${y0} ${xm},${y1} ${x1},${y1}`);
            path.setAttribute("stroke", "#ccc");
            path.setAttribute("stroke-width", "1");
            svg.append(path);
            return path;
          }),
        ),
      );
    }

    units = dims.map((n, l) =>
      Array.from({ length: n }, (_, i) => {
        const box = document.createElement("div");
        box.className = "unit";
        box.style.left = `${columnX(l, L, width)}px`;
        box.style.top = `${unitY(i)}px`;
        box.style.width = box.style.height = `${UNIT}px`;
        box.title = l === 0 ? view.feature_names[i] : `unit ${i + 1} of layer ${l} (${view.activations[l - 1]})`;
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = view.thumb;
        box.append(canvas);
        diagram.append(box);
        return canvas;
      }),
    );
    view.feature_names.forEach((name, i) => {
      const label = document.createElement("div");
      label.className = "unit-label";
      label.textContent = name.length > 4 ? name.slice(0, 3) + "…" : name;
      label.style.left = "4px";
      label.style.top = `${unitY(i) + UNIT / 2 - 8}px`;
      diagram.append(label);
    });

    for (let l = 0; l <= L; l++) {
      const head = document.createElement("div");
      head.className = "layer-head";
      head.style.left = `${columnX(l, L, width) + UNIT / 2 - 48}px`;
      head.style.width = "96px";
      head.style.top = "0px";
      if (l === 0) head.textContent = "features";
      else if (l === L) head.innerHTML = `output<br>${view.activations[L - 1]}<br>${view.loss.replace("_", " ")}`;
      else head.append(...layerControls(l - 1));
      diagram.append(head);
    }
  }

  function layerControls(k) {
    const buttons = document.createElement("div");
    buttons.className = "unit-buttons";
    const add = document.createElement("button");
    add.className = "round add-unit";
    add.textContent = "+";
    add.title = "Add a unit";
    add.disabled = config.layers[k] >= options.limits.units;
    add.addEventListener("click", () => {
      config.layers[k] += 1;
      settingsChanged();
    });
    const remove = document.createElement("button");
    remove.className = "round remove-unit";
    remove.textContent = "−";
    remove.title = "Remove a unit";
    remove.disabled = config.layers[k] <= 1;
    remove.addEventListener("click", () => {
      config.layers[k] -= 1;
      settingsChanged();
    });
    buttons.append(add, remove);
    const count = document.createElement("span");
    count.className = "units";
    count.textContent = `${view.layer_dims[k + 1]} ${view.layer_dims[k + 1] === 1 ? "unit" : "units"}`;
    const select = document.createElement("select");
    select.className = "activation";
    select.setAttribute("aria-label", `Activation of hidden layer ${k + 1}`);
    for (const name of options.activations) select.add(new Option(name, name));
    select.value = view.activations[k];
    select.addEventListener("change", () => {
      config.activations[k] = select.value;
      settingsChanged();
    });
    const wrapper = document.createElement("div");
    wrapper.className = "layer-controls";
    wrapper.dataset.layer = k;
    wrapper.append(buttons, count, select);
    return [wrapper];
  }

  // ---- a frame ---------------------------------------------------------------------------------

  function renderFrame(f) {
    frame = f;
    setPlaying(f.playing);
    $("epoch").textContent = f.epoch.toLocaleString("en-US");
    $("updates").textContent = `${f.updates.toLocaleString("en-US")} updates`;
    for (const part of ["train", "test"]) {
      const cost = f[part].cost;
      $(`${part}-cost`).textContent = cost === null ? "∞" : cost.toFixed(3);
      const accuracy = $(`${part}-accuracy`);
      accuracy.textContent = `${(f[part].accuracy * 100).toFixed(1)} %`;
      accuracy.dataset.value = f[part].accuracy;
    }
    const c = f.curve;
    for (const key of ["epoch", "train", "test"]) {
      curve[key].length = c.start;
      curve[key].push(...c[key]);
    }
    if (f.message) showMessage(f.message);
    renderCurve();
    renderBoundary();
    renderUnits();
    renderLinks();
  }

  function renderUnits() {
    const n = view.thumb;
    frame.units.forEach((layer, l) =>
      layer.forEach((b64, i) => {
        const canvas = units[l] && units[l][i];
        if (!canvas) return;
        const values = decode(b64);
        const image = canvas.getContext("2d").createImageData(n, n);
        for (let p = 0; p < n * n; p++) {
          const color = diverging(values[p] / 127.5 - 1, 1);
          image.data.set([color[0], color[1], color[2], 255], 4 * p);
        }
        canvas.getContext("2d").putImageData(image, 0, 0);
      }),
    );
  }

  function renderLinks() {
    frame.weights.forEach((W, l) =>
      W.forEach((row, j) =>
        row.forEach((w, i) => {
          const path = links[l] && links[l][j] && links[l][j][i];
          if (!path) return;
          path.setAttribute("stroke", w < 0 ? COLORS[0] : COLORS[1]);
          path.setAttribute("stroke-width", Math.min(8, 0.4 + 2.2 * Math.abs(w)).toFixed(2));
          path.setAttribute("stroke-opacity", Math.min(1, 0.25 + Math.abs(w)).toFixed(2));
        }),
      ),
    );
  }

  function renderCurve() {
    const canvas = $("curve");
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const n = curve.epoch.length;
    if (!n) return;
    const values = [...curve.train, ...curve.test].filter((v) => v !== null);
    const top = Math.max(...values, 1e-9);
    const last = Math.max(curve.epoch[n - 1], 1);
    const x = (e) => 2 + (e / last) * (canvas.width - 4);
    const y = (v) => canvas.height - 2 - (Math.min(v ?? top, top) / top) * (canvas.height - 8);
    for (const [key, color] of [["train", "#999"], ["test", "#111"]]) {
      ctx.beginPath();
      curve[key].forEach((v, k) => (k ? ctx.lineTo(x(curve.epoch[k]), y(v)) : ctx.moveTo(x(curve.epoch[k]), y(v))));
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    ctx.fillStyle = "#777";
    ctx.font = "10px sans-serif";
    ctx.fillText(top.toPrecision(3), 4, 10);
  }

  function renderBoundary() {
    if (!view || !frame) return;
    const canvas = $("boundary");
    const ctx = canvas.getContext("2d");
    const G = view.grid;
    const probabilities = decode(frame.boundary);
    const k = probabilities.length / (G * G); // 1 for a sigmoid output, n_classes for softmax
    const grid = document.createElement("canvas");
    grid.width = grid.height = G;
    const image = grid.getContext("2d").createImageData(G, G);
    for (let p = 0; p < G * G; p++) {
      let color;
      if (k === 1) {
        color = diverging((probabilities[p] / 255) * 2 - 1, 0.75);
      } else {
        let sum = [0, 0, 0];
        let best = 0;
        for (let c = 0; c < k; c++) {
          const q = probabilities[c * G * G + p] / 255;
          sum = sum.map((s, d) => s + q * RGB[c % RGB.length][d]);
          best = Math.max(best, q);
        }
        color = mix(WHITE, sum, Math.max(0, (best - 1 / k) / (1 - 1 / k)) * 0.75);
      }
      image.data.set([color[0], color[1], color[2], 255], 4 * p);
    }
    grid.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(grid, 0, 0, canvas.width, canvas.height);

    const [x0, x1, y0, y1] = view.bounds;
    const px = (x) => ((x - x0) / (x1 - x0)) * canvas.width;
    const py = (y) => ((y1 - y) / (y1 - y0)) * canvas.height;
    ctx.strokeStyle = "rgba(0,0,0,0.15)";
    ctx.beginPath();
    if (x0 < 0 && x1 > 0) ctx.moveTo(px(0), 0), ctx.lineTo(px(0), canvas.height);
    if (y0 < 0 && y1 > 0) ctx.moveTo(0, py(0)), ctx.lineTo(canvas.width, py(0));
    ctx.stroke();
    const sets = $("show-test").checked ? [["train", "#fff"], ["test", "#000"]] : [["train", "#fff"]];
    for (const [part, edge] of sets) {
      const points = view[part];
      points.x.forEach((x, i) => {
        ctx.beginPath();
        ctx.arc(px(x), py(points.y[i]), 3.5, 0, 2 * Math.PI);
        ctx.fillStyle = COLORS[points.label[i] % COLORS.length];
        ctx.fill();
        ctx.strokeStyle = edge;
        ctx.lineWidth = 1;
        ctx.stroke();
      });
    }
    ctx.fillStyle = "rgba(0,0,0,0.55)";
    ctx.font = "10px sans-serif";
    ctx.fillText(`${x0.toPrecision(2)}`, 3, canvas.height - 4);
    ctx.fillText(`${x1.toPrecision(2)}`, canvas.width - 28, canvas.height - 4);
    ctx.fillText(`${y1.toPrecision(2)}`, 3, 11);
  }

  function renderLegend() {
    $("legend").innerHTML = "";
    view.classes.forEach((name, c) => {
      const item = document.createElement("span");
      const dot = document.createElement("i");
      dot.style.background = COLORS[c % COLORS.length];
      item.append(dot, `${view.name}: ${name}`);
      $("legend").append(item);
    });
  }

  // ---- start -----------------------------------------------------------------------------------

  async function start() {
    try {
      options = await (await fetch("/api/options")).json();
    } catch (error) {
      showMessage(`Could not reach the playground server: ${error}`);
      return;
    }
    config = fromHash(location.hash);
    buildControls();
    renderControls();
    setPlaying(false);
    connect();
  }

  start();
})();
