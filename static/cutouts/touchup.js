// The matte editor: restore and erase brushes on a display-size copy of the
// matte, shown live over the chosen background (or as a mask over the photo).
// Save posts the strokes, in display pixels with the display size, and the
// server paints them on the full-size matte (cutouts/lib/strokes.py). The
// brush here is the server's: full cover within radius × hardness of the
// path, fading to nothing at the radius, the maximum over one stroke;
// restore a + c·(1 − a), erase a·(1 − c). Edge-aware strokes are refined, once
// the stroke ends, with the server's guided filter on the photo's brightness.
"use strict";

(function () {
  const root = document.querySelector(".touchup");
  if (!root) return;
  const data = JSON.parse(document.getElementById("touchup-data").textContent);
  const viewport = root.querySelector(".touchup-viewport");
  const canvas = root.querySelector(".touchup-canvas");
  const view = canvas.getContext("2d");
  const form = root.querySelector(".touchup-controls");
  const status = root.querySelector(".touchup-status");
  const saveButton = form.querySelector(".touchup-save");
  const undoButton = form.querySelector('[data-action="undo"]');
  const redoButton = form.querySelector('[data-action="redo"]');
  const scaleOut = form.querySelector(".touchup-scale");
  const MAX_SCALE = 16;
  const STEP = 1.25;
  const MASK_RGB = [230, 30, 80];

  let width = 0; // the display copy's size, which strokes are painted at
  let height = 0;
  let grey = null; // the photo's brightness, 0..1, for edge-aware strokes
  let original = null; // the matte as loaded
  let alpha = null; // the matte as painted so far
  let cover = null; // the stroke being painted: how much it covers each pixel
  let cutout = null; // the photo with `alpha`, and the mask overlay, as canvases
  let overlay = null;
  let photoCanvas = null;
  const strokes = [];
  const undone = [];
  let painting = null; // { stroke, base, box }
  let scale = 1; // screen px per display px
  let x = 0; // where the picture's top-left corner is, in viewport px
  let y = 0;
  let fitted = true;
  let spaceHeld = false;
  let gesture = null;
  const pointers = new Map();
  let hover = null;
  let drawPending = false;
  let pendingInput = [];
  let saved = false;
  // Stroke-to-screen times in ms, for the browser test: input event to the frame that shows it.
  const latencies = [];
  root.touchupLatencies = latencies;

  function control(name) {
    return form.elements[name];
  }

  function brush() {
    return {
      mode: form.querySelector('[name="mode"]:checked').value,
      radius: Number(control("size").value),
      hardness: Number(control("hardness").value) / 100,
      edge_aware: control("edge_aware").checked,
    };
  }

  // Loading

  function loadImage(url) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => reject(new Error(`Could not load ${url}`));
      img.src = url;
    });
  }

  function makeCanvas() {
    const made = document.createElement("canvas");
    made.width = width;
    made.height = height;
    return made;
  }

  function pixelsOf(img) {
    const drawn = makeCanvas().getContext("2d", { willReadFrequently: true });
    drawn.drawImage(img, 0, 0, width, height);
    return drawn.getImageData(0, 0, width, height);
  }

  function start(photoImg, matteImg) {
    width = matteImg.naturalWidth;
    height = matteImg.naturalHeight;
    const photo = pixelsOf(photoImg);
    const matte = pixelsOf(matteImg).data;
    const count = width * height;
    original = new Uint8ClampedArray(count);
    grey = new Float32Array(count);
    cover = new Float32Array(count);
    for (let i = 0; i < count; i += 1) {
      original[i] = matte[4 * i];
      const r = photo.data[4 * i];
      const g = photo.data[4 * i + 1];
      const b = photo.data[4 * i + 2];
      grey[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    }
    alpha = original.slice();
    photoCanvas = makeCanvas();
    photoCanvas.getContext("2d").putImageData(photo, 0, 0);
    cutout = layer(photo.data, null);
    overlay = layer(null, MASK_RGB);
    refresh({ x0: 0, y0: 0, x1: width, y1: height });
    resize();
    fit();
    root.querySelector(".touchup-loading").hidden = true;
    root.dataset.ready = "true";
  }

  function layer(rgba, rgb) {
    const made = makeCanvas();
    const context = made.getContext("2d");
    const image = context.createImageData(width, height);
    for (let i = 0; i < width * height; i += 1) {
      for (let c = 0; c < 3; c += 1) image.data[4 * i + c] = rgba ? rgba[4 * i + c] : rgb[c];
    }
    return { canvas: made, context, image };
  }

  // Painting, as the server does

  function applyCover(i, base) {
    const a = base / 255;
    const c = cover[i];
    return Math.round(255 * (painting.stroke.mode === "restore" ? a + c * (1 - a) : a * (1 - c)));
  }

  function paintSegment(a, b) {
    const { stroke, base } = painting;
    const r = stroke.radius;
    // The server keeps at least one full-size pixel of fade, so edges are not jagged.
    const fade = Math.max(width / data.fullWidth, r * (1 - stroke.hardness));
    const box = {
      x0: Math.max(0, Math.floor(Math.min(a[0], b[0]) - r - 1)),
      y0: Math.max(0, Math.floor(Math.min(a[1], b[1]) - r - 1)),
      x1: Math.min(width, Math.ceil(Math.max(a[0], b[0]) + r + 1)),
      y1: Math.min(height, Math.ceil(Math.max(a[1], b[1]) + r + 1)),
    };
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const length = dx * dx + dy * dy;
    for (let py = box.y0; py < box.y1; py += 1) {
      for (let px = box.x0; px < box.x1; px += 1) {
        const cx = px + 0.5 - a[0];
        const cy = py + 0.5 - a[1];
        const t = length ? Math.min(1, Math.max(0, (cx * dx + cy * dy) / length)) : 0;
        const distance = Math.hypot(cx - t * dx, cy - t * dy);
        const c = Math.min(1, (r - distance) / fade);
        const i = py * width + px;
        if (c > cover[i]) {
          cover[i] = c;
          alpha[i] = applyCover(i, base[i]);
        }
      }
    }
    grow(box);
    refresh(box);
  }

  function grow(box) {
    const seen = painting.box;
    if (!seen) {
      painting.box = { ...box };
      return;
    }
    seen.x0 = Math.min(seen.x0, box.x0);
    seen.y0 = Math.min(seen.y0, box.y0);
    seen.x1 = Math.max(seen.x1, box.x1);
    seen.y1 = Math.max(seen.y1, box.y1);
  }

  function boxMean(values, w, h, radius) {
    // Window means from a summed-area table; windows are cut at the box's edges.
    const sums = new Float64Array((w + 1) * (h + 1));
    for (let row = 0; row < h; row += 1) {
      let line = 0;
      for (let col = 0; col < w; col += 1) {
        line += values[row * w + col];
        sums[(row + 1) * (w + 1) + col + 1] = sums[row * (w + 1) + col + 1] + line;
      }
    }
    const means = new Float32Array(w * h);
    for (let row = 0; row < h; row += 1) {
      const top = Math.max(0, row - radius);
      const bottom = Math.min(h, row + radius + 1);
      for (let col = 0; col < w; col += 1) {
        const left = Math.max(0, col - radius);
        const right = Math.min(w, col + radius + 1);
        const total =
          sums[bottom * (w + 1) + right] -
          sums[top * (w + 1) + right] -
          sums[bottom * (w + 1) + left] +
          sums[top * (w + 1) + left];
        means[row * w + col] = total / ((bottom - top) * (right - left));
      }
    }
    return means;
  }

  function followEdges() {
    // The server's guided filter (cutouts/lib/strokes.py), at display size.
    const { stroke, base } = painting;
    const edge = data.edge;
    const radius = Math.max(1, Math.round(stroke.radius * edge.windowShare));
    const box = {
      x0: Math.max(0, painting.box.x0 - radius),
      y0: Math.max(0, painting.box.y0 - radius),
      x1: Math.min(width, painting.box.x1 + radius),
      y1: Math.min(height, painting.box.y1 + radius),
    };
    const w = box.x1 - box.x0;
    const h = box.y1 - box.y0;
    const guide = new Float32Array(w * h);
    const source = new Float32Array(w * h);
    for (let row = 0; row < h; row += 1) {
      for (let col = 0; col < w; col += 1) {
        const i = (box.y0 + row) * width + box.x0 + col;
        guide[row * w + col] = grey[i];
        source[row * w + col] = cover[i];
      }
    }
    const product = (one, two) => one.map((value, i) => value * two[i]);
    const meanGuide = boxMean(guide, w, h, radius);
    const meanSource = boxMean(source, w, h, radius);
    const meanSquare = boxMean(product(guide, guide), w, h, radius);
    const meanProduct = boxMean(product(guide, source), w, h, radius);
    const a = new Float32Array(w * h);
    const b = new Float32Array(w * h);
    for (let i = 0; i < w * h; i += 1) {
      const variance = meanSquare[i] - meanGuide[i] * meanGuide[i];
      a[i] = (meanProduct[i] - meanGuide[i] * meanSource[i]) / (variance + edge.eps);
      b[i] = meanSource[i] - a[i] * meanGuide[i];
    }
    const meanA = boxMean(a, w, h, radius);
    const meanB = boxMean(b, w, h, radius);
    for (let row = 0; row < h; row += 1) {
      for (let col = 0; col < w; col += 1) {
        const k = row * w + col;
        const i = (box.y0 + row) * width + box.x0 + col;
        if (source[k] <= 0) continue;
        const filtered = meanA[k] * guide[k] + meanB[k];
        cover[i] = Math.min(1, Math.max(0, (filtered - edge.low) / (edge.high - edge.low)));
        alpha[i] = applyCover(i, base[i]);
      }
    }
    refresh(painting.box);
  }

  function beginStroke(point) {
    painting = { stroke: { ...brush(), points: [point] }, base: alpha.slice(), box: null };
    paintSegment(point, point);
  }

  function extendStroke(point) {
    const points = painting.stroke.points;
    const last = points[points.length - 1];
    if (Math.hypot(point[0] - last[0], point[1] - last[1]) < 1) return;
    if (points.length >= data.maxPointsPerStroke) {
      // The server takes this many points a stroke: go on in a new one.
      endStroke();
      beginStroke(last);
    }
    painting.stroke.points.push(point);
    paintSegment(last, point);
  }

  function endStroke() {
    if (!painting) return;
    if (painting.stroke.edge_aware) followEdges();
    clearCover();
    strokes.push(painting.stroke);
    undone.length = 0;
    painting = null;
    updateButtons();
  }

  function cancelStroke() {
    if (!painting) return;
    alpha.set(painting.base);
    clearCover();
    refresh(painting.box);
    painting = null;
  }

  function clearCover() {
    const box = painting.box;
    for (let row = box.y0; row < box.y1; row += 1) cover.fill(0, row * width + box.x0, row * width + box.x1);
  }

  function replay() {
    // Undo and redo paint every kept stroke again on the matte as loaded.
    alpha.set(original);
    for (const stroke of strokes) {
      painting = { stroke, base: alpha.slice(), box: null };
      paintSegment(stroke.points[0], stroke.points[0]);
      for (let i = 1; i < stroke.points.length; i += 1) paintSegment(stroke.points[i - 1], stroke.points[i]);
      if (stroke.edge_aware) followEdges();
      clearCover();
    }
    painting = null;
    refresh({ x0: 0, y0: 0, x1: width, y1: height });
    updateButtons();
  }

  function undo() {
    if (painting || !strokes.length) return;
    undone.push(strokes.pop());
    replay();
  }

  function redo() {
    if (painting || !undone.length) return;
    strokes.push(undone.pop());
    replay();
  }

  function updateButtons() {
    undoButton.disabled = !strokes.length;
    redoButton.disabled = !undone.length;
    saveButton.disabled = !strokes.length;
  }

  // Showing it

  function refresh(box) {
    const w = box.x1 - box.x0;
    const h = box.y1 - box.y0;
    if (w <= 0 || h <= 0) return;
    for (let row = box.y0; row < box.y1; row += 1) {
      for (let col = box.x0; col < box.x1; col += 1) {
        const i = row * width + col;
        cutout.image.data[4 * i + 3] = alpha[i];
        overlay.image.data[4 * i + 3] = (255 - alpha[i]) * 0.55;
      }
    }
    cutout.context.putImageData(cutout.image, 0, 0, box.x0, box.y0, w, h);
    overlay.context.putImageData(overlay.image, 0, 0, box.x0, box.y0, w, h);
    requestDraw();
  }

  function requestDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(draw);
  }

  let checks = null;
  function checkerboard() {
    if (checks) return checks;
    const tile = document.createElement("canvas");
    tile.width = tile.height = 16;
    const context = tile.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, 16, 16);
    context.fillStyle = "#d9dde5";
    context.fillRect(0, 0, 8, 8);
    context.fillRect(8, 8, 8, 8);
    checks = view.createPattern(tile, "repeat");
    return checks;
  }

  function draw() {
    drawPending = false;
    if (!alpha) return;
    const ratio = window.devicePixelRatio || 1;
    view.setTransform(1, 0, 0, 1, 0, 0);
    view.clearRect(0, 0, canvas.width, canvas.height);
    view.setTransform(ratio, 0, 0, ratio, 0, 0);
    const shownWidth = width * scale;
    const shownHeight = height * scale;
    const background = control("background").value;
    view.fillStyle = {
      checker: checkerboard(),
      white: "#ffffff",
      black: "#000000",
      colour: control("colour").value,
    }[background];
    view.fillRect(x, y, shownWidth, shownHeight);
    // Pixels stay sharp squares when zoomed in, so edges can be judged.
    view.imageSmoothingEnabled = scale < 2;
    if (control("mask").checked) {
      view.drawImage(photoCanvas, x, y, shownWidth, shownHeight);
      view.drawImage(overlay.canvas, x, y, shownWidth, shownHeight);
    } else {
      view.drawImage(cutout.canvas, x, y, shownWidth, shownHeight);
    }
    if (hover && !gesture?.pan) {
      const radius = Math.max(1, Number(control("size").value) * scale);
      view.lineWidth = 1;
      for (const [colour, extra] of [["rgba(0,0,0,.7)", 1], ["rgba(255,255,255,.9)", 0]]) {
        view.strokeStyle = colour;
        view.beginPath();
        view.arc(hover.x, hover.y, radius + extra, 0, 2 * Math.PI);
        view.stroke();
      }
    }
    scaleOut.textContent = `${Math.round((scale * width * 100) / data.fullWidth)} %`;
    const now = performance.now();
    for (const at of pendingInput) latencies.push(now - at);
    pendingInput = [];
  }

  // Zoom and pan

  function resize() {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(viewport.clientWidth * ratio);
    canvas.height = Math.round(viewport.clientHeight * ratio);
    if (fitted) fit();
    requestDraw();
  }

  function fitScale() {
    return Math.min(viewport.clientWidth / width, viewport.clientHeight / height);
  }

  function fit() {
    if (!width) return;
    scale = fitScale();
    x = (viewport.clientWidth - width * scale) / 2;
    y = (viewport.clientHeight - height * scale) / 2;
    fitted = true;
    requestDraw();
  }

  function zoomTo(next, aroundX, aroundY) {
    if (!width) return;
    const bounded = Math.min(MAX_SCALE, Math.max(fitScale() / 2, next));
    x = aroundX - ((aroundX - x) * bounded) / scale;
    y = aroundY - ((aroundY - y) * bounded) / scale;
    scale = bounded;
    fitted = false;
    requestDraw();
  }

  function zoomCentred(factor) {
    zoomTo(scale * factor, viewport.clientWidth / 2, viewport.clientHeight / 2);
  }

  function local(event) {
    const box = viewport.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  function onPicture(point) {
    const round = (value) => Math.round(value * 100) / 100;
    return [round((point.x - x) / scale), round((point.y - y) / scale)];
  }

  // Input

  viewport.addEventListener("pointerdown", (event) => {
    if (!alpha) return;
    viewport.focus({ preventScroll: true });
    viewport.setPointerCapture(event.pointerId);
    const point = local(event);
    pointers.set(event.pointerId, point);
    if (pointers.size === 2) {
      // A second finger: the first one was not painting, it was the start of a pinch.
      cancelStroke();
      const [a, b] = [...pointers.values()];
      gesture = { pinch: true, distance: Math.hypot(a.x - b.x, a.y - b.y), scale, x, y, mid: midpoint(a, b) };
    } else if (spaceHeld || event.button === 1) {
      gesture = { pan: true, from: point, x, y };
      viewport.classList.add("panning");
    } else if (event.button === 0) {
      gesture = { paint: true };
      pendingInput.push(event.timeStamp);
      beginStroke(onPicture(point));
    }
    event.preventDefault();
  });

  function midpoint(a, b) {
    return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }

  viewport.addEventListener("pointermove", (event) => {
    const point = local(event);
    hover = event.pointerType === "mouse" ? point : null;
    if (!pointers.has(event.pointerId) || !gesture) {
      requestDraw();
      return;
    }
    pointers.set(event.pointerId, point);
    if (gesture.paint && painting) {
      pendingInput.push(event.timeStamp);
      const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const move of moves.length ? moves : [event]) extendStroke(onPicture(local(move)));
    } else if (gesture.pan) {
      x = gesture.x + point.x - gesture.from.x;
      y = gesture.y + point.y - gesture.from.y;
      fitted = false;
      requestDraw();
    } else if (gesture.pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const mid = midpoint(a, b);
      x = gesture.x + mid.x - gesture.mid.x;
      y = gesture.y + mid.y - gesture.mid.y;
      scale = gesture.scale;
      zoomTo((gesture.scale * Math.hypot(a.x - b.x, a.y - b.y)) / gesture.distance, mid.x, mid.y);
    }
  });

  function release(event) {
    pointers.delete(event.pointerId);
    if (gesture?.paint) endStroke();
    if (pointers.size === 0) {
      gesture = null;
      viewport.classList.remove("panning");
    }
  }
  viewport.addEventListener("pointerup", release);
  viewport.addEventListener("pointercancel", (event) => {
    if (gesture?.paint) cancelStroke();
    gesture = null;
    release(event);
  });
  viewport.addEventListener("pointerleave", () => {
    hover = null;
    requestDraw();
  });

  viewport.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const point = local(event);
      zoomTo(scale * Math.exp(-event.deltaY / 400), point.x, point.y);
    },
    { passive: false },
  );

  function typing(target) {
    return target.matches?.("input:not([type=range]):not([type=radio]):not([type=checkbox]), select, textarea");
  }

  document.addEventListener("keydown", (event) => {
    if (typing(event.target)) return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === "z") {
      if (event.shiftKey) redo();
      else undo();
    } else if ((event.ctrlKey || event.metaKey) && key === "y") {
      redo();
    } else if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    } else if (key === " " && !event.target.matches?.("button, a, summary")) {
      spaceHeld = true;
      viewport.classList.add("panning");
    } else if (key === "b" || key === "e") {
      form.querySelector(`[name="mode"][value="${key === "b" ? "restore" : "erase"}"]`).checked = true;
    } else if (key === "[" || key === "]") {
      const size = control("size");
      const now = Number(size.value);
      size.value = String(key === "]" ? Math.ceil(now * 1.2) : Math.floor(now / 1.2));
      showSettings();
    } else if (key === "+" || key === "=") {
      zoomCentred(STEP);
    } else if (key === "-" || key === "_") {
      zoomCentred(1 / STEP);
    } else if (key === "0") {
      fit();
    } else if (key === "m") {
      control("mask").checked = !control("mask").checked;
      requestDraw();
    } else {
      return;
    }
    event.preventDefault();
  });

  document.addEventListener("keyup", (event) => {
    if (event.key === " ") {
      spaceHeld = false;
      if (!gesture?.pan) viewport.classList.remove("panning");
    }
  });

  function showSettings() {
    control("size").nextElementSibling.textContent = `${control("size").value} px`;
    control("hardness").nextElementSibling.textContent = `${control("hardness").value} %`;
    requestDraw();
  }

  form.addEventListener("input", showSettings);
  form.addEventListener("change", (event) => {
    if (event.target.name === "colour") control("background").value = "colour";
    requestDraw();
  });

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-zoom], button[data-action]");
    if (!button) return;
    const action = button.dataset.zoom || button.dataset.action;
    if (action === "in") zoomCentred(STEP);
    else if (action === "out") zoomCentred(1 / STEP);
    else if (action === "fit") fit();
    else if (action === "actual") zoomTo(data.fullWidth / width, viewport.clientWidth / 2, viewport.clientHeight / 2);
    else if (action === "undo") undo();
    else if (action === "redo") redo();
  });

  // Saving

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!strokes.length || painting) return;
    saveButton.disabled = true;
    status.classList.remove("error");
    status.textContent = "Saving: the strokes are painted on the full-size matte…";
    let answer = {};
    try {
      const response = await fetch(root.dataset.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": control("csrfmiddlewaretoken").value,
        },
        body: JSON.stringify({ width, height, strokes }),
      });
      answer = await response.json().catch(() => ({}));
      if (response.status === 201) {
        saved = true;
        status.textContent = `Saved as version ${answer.version}.`;
        window.location.assign(answer.image_url);
        return;
      }
      status.textContent = answer.error || `The save failed (error ${response.status}). Try again.`;
    } catch {
      status.textContent = "The server could not be reached. Your strokes are still here: try again.";
    }
    status.classList.add("error");
    saveButton.disabled = false;
  });

  window.addEventListener("beforeunload", (event) => {
    if (strokes.length && !saved) event.preventDefault();
  });

  new ResizeObserver(resize).observe(viewport);
  showSettings();
  Promise.all([loadImage(root.dataset.photoUrl), loadImage(root.dataset.matteUrl)])
    .then(([photoImg, matteImg]) => start(photoImg, matteImg))
    .catch(() => {
      status.textContent = "The photo or its matte could not be loaded. Reload the page.";
      status.classList.add("error");
    });
})();
