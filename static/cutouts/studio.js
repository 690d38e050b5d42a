// The studio page: a live preview composited in the browser, and Save.
//
// The preview is made from the display-size original and matte only: moving
// a control sends nothing to the server. Framing (the output's size and where
// the subject lands) is cutouts/compositor.py's _frame_box and _layout ported
// line for line, so the preview's layout is the render's; edges, shadows and
// the blurred background are close approximations. Save posts the spec, or
// the slug of a preset left untouched, and the render list below is polled
// until the full-size render is done.
"use strict";

(function () {
  const root = document.querySelector(".studio");
  if (!root) return;

  // The compositor's constants (cutouts/compositor.py).
  const SUBJECT_ALPHA = 32;
  const WEBP_MAX_SIDE = 16383;
  const MAX_OUTPUT_PIXELS = 100000000;
  const CONTACT_ALPHA = 128;
  // The preview canvas's longest side; CSS shrinks it further to fit the page.
  const PREVIEW_SIDE = 1000;
  // The blurred background's source is worked on at about this size.
  const BLUR_SOURCE_SIDE = 320;
  const POLL_MS = 1000;

  const data = JSON.parse(document.getElementById("studio-data").textContent);
  const form = root.querySelector(".studio-controls");
  const canvas = root.querySelector(".studio-canvas");
  const loading = root.querySelector(".studio-loading");
  const outputNote = root.querySelector(".studio-output");
  const saveStatus = root.querySelector(".studio-save-status");
  const renderList = root.querySelector(".studio-render-list");
  const backdropForm = document.getElementById("backdrop-form");
  const backdropSelect = form.querySelector(".studio-backdrops");
  const uploadStatus = form.querySelector(".studio-upload-status");
  const fullW = data.width;
  const fullH = data.height;
  const displayW = data.displayWidth;
  const displayH = data.displayHeight;
  const detail = displayW / fullW; // display pixels per full-size pixel

  let base = clone(data.defaultSpec); // settings without a control come from here
  let presetSlug = ""; // the preset the controls show, while untouched
  let inputs = null; // the decoded original, matte and derived pictures
  let shiftCache = { shift: null, radius: 0, mask: null, footprint: null }; // the matte grown or shrunk
  let edgesCache = { key: "", cutout: null, footprint: null }; // and then feathered
  const backdrops = new Map(); // backdrop id → loaded picture, or a promise of one
  let frameRequest = 0;
  let pollTimer = 0;

  function clone(value) {
    return JSON.parse(JSON.stringify(value));
  }

  function makeCanvas(width, height) {
    const made = document.createElement("canvas");
    made.width = Math.max(1, width);
    made.height = Math.max(1, height);
    return made;
  }

  function loadPicture(url) {
    return new Promise((resolve, reject) => {
      const picture = new Image();
      picture.onload = () => resolve(picture);
      picture.onerror = () => reject(new Error(`Could not load ${url}`));
      picture.src = url;
    });
  }

  // Controls ⇄ spec. Inputs are named by their path in the spec
  // ("shadow.blur"); background and shadow show the inputs of their type only.

  function activeScope(group) {
    const select = group.querySelector(`[name="${group.dataset.group}.type"]`);
    if (!select) return group;
    return group.querySelector(`[data-variant="${select.value}"]`);
  }

  function readInput(input) {
    switch (input.dataset.kind) {
      case "int":
        return Math.round(Number(input.value));
      case "float":
        return Number(input.value);
      case "bool":
        return input.checked;
      case "nullable":
        return input.value || null;
      case "nullable-int":
        return input.value ? Math.round(Number(input.value)) : null;
      default:
        return input.value;
    }
  }

  function writeInput(input, value) {
    if (input.dataset.kind === "bool") input.checked = Boolean(value);
    else input.value = value === null || value === undefined ? "" : String(value);
  }

  function settingInputs(group) {
    const prefix = `${group.dataset.group}.`;
    const scope = activeScope(group);
    if (!scope) return [];
    return [...scope.querySelectorAll("[name]")].filter(
      (input) => input.name.startsWith(prefix) && !input.name.endsWith(".type") && input.dataset.kind !== "canvas",
    );
  }

  function canvasInputs() {
    return [form.elements["framing.canvas.0"], form.elements["framing.canvas.1"]];
  }

  function readCanvas() {
    const [width, height] = canvasInputs().map((input) => Math.round(Number(input.value)));
    return width > 0 && height > 0 ? [width, height] : null;
  }

  function readSpec() {
    const spec = clone(base);
    for (const group of form.querySelectorAll(".studio-group")) {
      const name = group.dataset.group;
      const select = group.querySelector(`[name="${name}.type"]`);
      const section = select ? { type: select.value } : spec[name];
      for (const input of settingInputs(group)) {
        section[input.name.slice(name.length + 1)] = readInput(input);
      }
      spec[name] = section;
    }
    spec.framing.canvas = readCanvas();
    // A canvas size and an aspect ratio exclude each other (cutouts.presets).
    if (spec.framing.canvas) spec.framing.aspect = null;
    if (spec.background.type === "image" && !spec.background.backdrop_id) {
      spec.background = { type: "transparent" };
    }
    return spec;
  }

  function applySpec(spec) {
    base = clone(spec);
    for (const group of form.querySelectorAll(".studio-group")) {
      const name = group.dataset.group;
      const section = spec[name];
      const select = group.querySelector(`[name="${name}.type"]`);
      if (select) select.value = section.type;
      showVariants();
      for (const input of settingInputs(group)) {
        const key = input.name.slice(name.length + 1);
        if (key in section) writeInput(input, section[key]);
      }
    }
    const size = spec.framing.canvas || ["", ""];
    canvasInputs().forEach((input, index) => writeInput(input, size[index]));
    refreshControls();
  }

  function showVariants() {
    for (const group of form.querySelectorAll(".studio-group")) {
      const select = group.querySelector(`[name="${group.dataset.group}.type"]`);
      if (!select) continue;
      for (const variant of group.querySelectorAll("[data-variant]")) {
        variant.hidden = variant.dataset.variant !== select.value;
      }
    }
  }

  function refreshControls() {
    showVariants();
    // Fill only means something on a canvas; an aspect only without one.
    const hasCanvas = readCanvas() !== null;
    form.elements["framing.aspect"].disabled = hasCanvas;
    form.elements["framing.fill"].disabled = !hasCanvas;
    for (const range of form.querySelectorAll('input[type="range"]')) {
      const shown = range.parentElement.querySelector("output");
      if (shown) shown.textContent = formatValue(range);
    }
  }

  function formatValue(range) {
    const value = Number(range.value);
    switch (range.dataset.unit) {
      case "%":
        return `${Math.round(value * 100)} %`;
      case "deg":
        return `${value}°`;
      case "px":
        return `${value} px`;
      default:
        return String(value);
    }
  }

  function fitPixelRanges() {
    // Pixel settings are in pixels of the full-size original: give the sliders
    // a reach that suits this picture, within what cutouts.presets accepts.
    const longest = Math.max(fullW, fullH);
    for (const range of form.querySelectorAll("input[data-reach]")) {
      const [share, limit] = range.dataset.reach.split(" ").map(Number);
      const reach = Math.min(limit, Math.max(50, Math.round(longest * share)));
      range.max = String(reach);
      if (Number(range.min) < 0) range.min = String(-reach);
    }
  }

  // Framing: compositor._frame_box and compositor._layout.

  function frameBox(crop) {
    if (crop === "subject" && inputs.box) return inputs.box;
    return [0, 0, fullW, fullH];
  }

  function aspectRatio(aspect) {
    const [width, height] = aspect.split(":").map(Number);
    return width / height;
  }

  function layout(spec) {
    const framing = spec.framing;
    const output = spec.output;
    const [x0, y0, x1, y1] = frameBox(framing.crop);
    const boxW = x1 - x0;
    const boxH = y1 - y0;
    const padding = framing.padding * Math.max(boxW, boxH);
    let width;
    let height;
    let scale;
    let offset;
    if (framing.canvas) {
      [width, height] = framing.canvas;
      scale = framing.fill * Math.min(width / boxW, height / boxH);
      const spareH = height - scale * boxH;
      const left = (width - scale * boxW) / 2;
      const top = framing.align === "bottom" ? spareH - Math.min(scale * padding, spareH) : spareH / 2;
      offset = [left - scale * x0, top - scale * y0];
    } else {
      let [fx0, fy0, fx1, fy1] = [x0 - padding, y0 - padding, x1 + padding, y1 + padding];
      if (framing.aspect) {
        const ratio = aspectRatio(framing.aspect);
        const frameW = fx1 - fx0;
        const frameH = fy1 - fy0;
        if (frameW / frameH < ratio) {
          const extra = frameH * ratio - frameW;
          [fx0, fx1] = [fx0 - extra / 2, fx1 + extra / 2];
        } else {
          const extra = frameW / ratio - frameH;
          const above = framing.align === "bottom" ? extra : extra / 2;
          [fy0, fy1] = [fy0 - above, fy1 + extra - above];
        }
      }
      width = Math.max(1, pyRound(fx1 - fx0));
      height = Math.max(1, pyRound(fy1 - fy0));
      scale = 1;
      offset = [-fx0, -fy0];
    }
    let longest = output.max_side || Infinity;
    if (output.format === "WEBP") longest = Math.min(longest, WEBP_MAX_SIDE);
    const shrink = Math.min(1, longest / Math.max(width, height), Math.sqrt(MAX_OUTPUT_PIXELS / (width * height)));
    if (shrink < 1) {
      width = Math.max(1, pyRound(width * shrink));
      height = Math.max(1, pyRound(height * shrink));
      scale *= shrink;
      offset = [offset[0] * shrink, offset[1] * shrink];
    }
    return { size: [width, height], scale, offset };
  }

  function pyRound(value) {
    // Python's round(): halves go to the even neighbour.
    const floor = Math.floor(value);
    const rest = value - floor;
    if (rest !== 0.5) return Math.round(value);
    return floor % 2 === 0 ? floor : floor + 1;
  }

  // The inputs, decoded once.

  async function loadInputs() {
    const [original, mattePicture] = await Promise.all([
      loadPicture(root.dataset.originalUrl),
      loadPicture(root.dataset.matteUrl),
    ]);
    const matteCanvas = makeCanvas(displayW, displayH);
    const matteContext = matteCanvas.getContext("2d", { willReadFrequently: true });
    matteContext.drawImage(mattePicture, 0, 0, displayW, displayH);
    const rgba = matteContext.getImageData(0, 0, displayW, displayH).data;
    const matte = new Uint8ClampedArray(displayW * displayH);
    for (let i = 0; i < matte.length; i += 1) matte[i] = rgba[i * 4];
    const originalCanvas = makeCanvas(displayW, displayH);
    originalCanvas.getContext("2d").drawImage(original, 0, 0, displayW, displayH);
    inputs = { original: originalCanvas, matte, box: subjectBoxOf(matte) };
    inputs.blurSource = blurSource(originalCanvas, matteCanvas);
  }

  function subjectBoxOf(matte) {
    // compositor._frame_box at display size, in full-size pixels.
    let x0 = displayW;
    let y0 = displayH;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < displayH; y += 1) {
      const row = y * displayW;
      for (let x = 0; x < displayW; x += 1) {
        if (matte[row + x] >= SUBJECT_ALPHA) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          y1 = y;
        }
      }
    }
    if (x1 < 0) return null;
    const toFull = (value, limit) => Math.min(limit, Math.round(value / detail));
    return [toFull(x0, fullW), toFull(y0, fullH), toFull(x1 + 1, fullW), toFull(y1 + 1, fullH)];
  }

  // Edges: the matte grown or shrunk (an octagon standing in for the
  // compositor's disc), then feathered (a Gaussian, σ = feather / 2).

  function cutoutFor(edges) {
    const key = `${edges.shift}|${edges.feather}|${edges.decontaminate}`;
    if (edgesCache.key === key) return edgesCache;
    const shifted = shiftedMatte(edges.shift);
    const cutout = makeCanvas(displayW, displayH);
    const context = cutout.getContext("2d");
    context.drawImage(inputs.original, 0, 0);
    if (edges.shift > 0 && edges.decontaminate) smearSubject(context, shifted.radius);
    context.globalCompositeOperation = "destination-in";
    const sigma = (edges.feather * detail) / 2;
    if (sigma >= 0.5) context.filter = `blur(${sigma}px)`;
    context.drawImage(shifted.mask, 0, 0);
    edgesCache = { key, cutout, footprint: shifted.footprint };
    return edgesCache;
  }

  function shiftedMatte(shift) {
    if (shiftCache.shift === shift) return shiftCache;
    const radius = Math.round(Math.abs(shift) * detail);
    const alpha = radius ? morph(inputs.matte, radius, shift > 0) : inputs.matte;
    shiftCache = { shift, radius, mask: alphaCanvas(alpha), footprint: footprintOf(alpha) };
    return shiftCache;
  }

  function alphaCanvas(alpha) {
    const mask = makeCanvas(displayW, displayH);
    const pixels = new ImageData(displayW, displayH);
    for (let i = 0; i < alpha.length; i += 1) pixels.data[i * 4 + 3] = alpha[i];
    mask.getContext("2d").putImageData(pixels, 0, 0);
    return mask;
  }

  function smearSubject(context, radius) {
    // With colour clean-up, grown edges take the colour of the subject beside
    // them, not the photo's background: smear the subject outwards under itself.
    if (!inputs.subject) {
      inputs.subject = makeCanvas(displayW, displayH);
      const subject = inputs.subject.getContext("2d");
      subject.drawImage(inputs.original, 0, 0);
      subject.globalCompositeOperation = "destination-in";
      subject.drawImage(alphaCanvas(inputs.matte.map((value) => (value >= 250 ? 255 : 0))), 0, 0);
    }
    const step = Math.max(1, Math.ceil(radius / 4));
    for (let reach = radius; reach > 0; reach -= step) {
      for (let turn = 0; turn < 8; turn += 1) {
        const angle = (turn * Math.PI) / 4;
        context.drawImage(inputs.subject, Math.round(reach * Math.cos(angle)), Math.round(reach * Math.sin(angle)));
      }
    }
    context.drawImage(inputs.subject, 0, 0);
  }

  function morph(matte, radius, grow) {
    // Grey dilation (grow) or erosion by an octagon of about this radius:
    // running max/min along rows, columns and both diagonals.
    const straight = radius <= 2 ? radius : Math.round(radius * 0.414);
    const diagonal = radius <= 2 ? 0 : Math.round(radius * 0.293);
    let result = matte;
    for (const [dx, dy, reach] of [
      [1, 0, straight],
      [0, 1, straight],
      [1, 1, diagonal],
      [1, -1, diagonal],
    ]) {
      if (reach > 0) result = runLines(result, dx, dy, reach, grow);
    }
    return result;
  }

  function runLines(source, dx, dy, reach, grow) {
    const result = new Uint8ClampedArray(source.length);
    const longest = displayW + displayH;
    const line = new Uint8ClampedArray(longest);
    const ahead = new Uint8ClampedArray(longest);
    const behind = new Uint8ClampedArray(longest);
    const step = dy * displayW + dx; // index step along the line
    for (const [startX, startY] of lineStarts(dx, dy)) {
      let length = 0;
      for (let x = startX, y = startY; x >= 0 && x < displayW && y >= 0 && y < displayH; x += dx, y += dy) {
        length += 1;
      }
      const start = startY * displayW + startX;
      for (let i = 0, at = start; i < length; i += 1, at += step) line[i] = source[at];
      slidingPick(line, ahead, behind, length, reach, grow);
      for (let i = 0, at = start; i < length; i += 1, at += step) result[at] = line[i];
    }
    return result;
  }

  function lineStarts(dx, dy) {
    const starts = [];
    if (dy === 0) for (let y = 0; y < displayH; y += 1) starts.push([0, y]);
    else if (dx === 0) for (let x = 0; x < displayW; x += 1) starts.push([x, 0]);
    else {
      const firstRow = dy > 0 ? 0 : displayH - 1;
      for (let x = 0; x < displayW; x += 1) starts.push([x, firstRow]);
      for (let y = 0; y < displayH; y += 1) if (y !== firstRow) starts.push([0, y]);
    }
    return starts;
  }

  function slidingPick(line, ahead, behind, length, reach, grow) {
    // van Herk / Gil-Werman: max (grow) or min over [i - reach, i + reach] in
    // O(length), in place in `line`.
    const size = 2 * reach + 1;
    for (let i = 0; i < length; i += 1) {
      const value = line[i];
      const previous = ahead[i - 1];
      ahead[i] = i % size === 0 ? value : grow ? (previous > value ? previous : value) : previous < value ? previous : value;
    }
    for (let i = length - 1; i >= 0; i -= 1) {
      const value = line[i];
      const next = behind[i + 1];
      const blockEnd = i === length - 1 || (i + 1) % size === 0;
      behind[i] = blockEnd ? value : grow ? (next > value ? next : value) : next < value ? next : value;
    }
    for (let i = 0; i < length; i += 1) {
      const low = behind[i - reach > 0 ? i - reach : 0];
      const high = ahead[i + reach < length - 1 ? i + reach : length - 1];
      line[i] = grow ? (low > high ? low : high) : low < high ? low : high;
    }
  }

  function footprintOf(alpha) {
    // compositor._contact_ellipse's footprint, in display pixels.
    let top = -1;
    let bottom = -1;
    for (let y = 0; y < displayH; y += 1) {
      const row = y * displayW;
      for (let x = 0; x < displayW; x += 1) {
        if (alpha[row + x] >= CONTACT_ALPHA) {
          if (top < 0) top = y;
          bottom = y;
          break;
        }
      }
    }
    if (top < 0) return null;
    const baseTop = bottom - Math.max(1, Math.floor((bottom - top) / 20));
    let left = displayW;
    let right = -1;
    for (let y = Math.max(0, baseTop); y <= bottom; y += 1) {
      const row = y * displayW;
      for (let x = 0; x < displayW; x += 1) {
        if (alpha[row + x] >= CONTACT_ALPHA) {
          if (x < left) left = x;
          if (x > right) right = x;
        }
      }
    }
    return { left, right, bottom };
  }

  // The blurred background's source: the photo with its subject filled in from
  // the background around it (compositor._spread's push-pull), small.

  function blurSource(originalCanvas, matteCanvas) {
    const scale = Math.min(1, BLUR_SOURCE_SIDE / Math.max(displayW, displayH));
    const width = Math.max(1, Math.round(displayW * scale));
    const height = Math.max(1, Math.round(displayH * scale));
    const colours = readPixels(originalCanvas, width, height);
    const matte = readPixels(matteCanvas, width, height);
    const known = new Float32Array(width * height);
    const colour = new Float32Array(width * height * 3);
    for (let i = 0; i < known.length; i += 1) {
      known[i] = matte[i * 4] === 0 ? 1 : 0;
      for (let c = 0; c < 3; c += 1) colour[i * 3 + c] = colours[i * 4 + c];
    }
    const filled = spread(colour, known, width, height) || colour;
    const result = makeCanvas(width, height);
    const pixels = new ImageData(width, height);
    for (let i = 0; i < known.length; i += 1) {
      for (let c = 0; c < 3; c += 1) pixels.data[i * 4 + c] = filled[i * 3 + c];
      pixels.data[i * 4 + 3] = 255;
    }
    result.getContext("2d").putImageData(pixels, 0, 0);
    return result;
  }

  function readPixels(source, width, height) {
    const small = makeCanvas(width, height);
    const context = small.getContext("2d", { willReadFrequently: true });
    context.drawImage(source, 0, 0, width, height);
    return context.getImageData(0, 0, width, height).data;
  }

  function spread(colour, known, width, height) {
    if (!known.some((value) => value > 0)) return null;
    const levels = [];
    let summed = colour.map((value, index) => value * known[Math.floor(index / 3)]);
    let weight = known;
    let [w, h] = [width, height];
    while (Math.max(w, h) > 1) {
      levels.push({ summed, weight, w, h });
      const [nw, nh] = [Math.ceil(w / 2), Math.ceil(h / 2)];
      [summed, weight] = [halve(summed, w, h, nw, nh, 3), halve(weight, w, h, nw, nh, 1)];
      [w, h] = [nw, nh];
    }
    const top = Math.max(...weight, 1e-12);
    let filled = summed.map((value) => value / top);
    let [fw, fh] = [w, h];
    for (const level of levels.reverse()) {
      const coarse = enlarge(filled, fw, fh, level.w, level.h);
      filled = new Float32Array(level.w * level.h * 3);
      for (let i = 0; i < level.w * level.h; i += 1) {
        const trust = Math.min(level.weight[i] * 4, 1);
        const own = Math.max(level.weight[i], 1e-12);
        for (let c = 0; c < 3; c += 1) {
          filled[i * 3 + c] = trust * (level.summed[i * 3 + c] / own) + (1 - trust) * coarse[i * 3 + c];
        }
      }
      [fw, fh] = [level.w, level.h];
    }
    return filled;
  }

  function halve(values, w, h, nw, nh, channels) {
    // Area averaging to half size, as cv2.INTER_AREA does.
    const result = new Float32Array(nw * nh * channels);
    for (let y = 0; y < nh; y += 1) {
      for (let x = 0; x < nw; x += 1) {
        for (let c = 0; c < channels; c += 1) {
          let sum = 0;
          let count = 0;
          for (let yy = 2 * y; yy < Math.min(h, 2 * y + 2); yy += 1) {
            for (let xx = 2 * x; xx < Math.min(w, 2 * x + 2); xx += 1) {
              sum += values[(yy * w + xx) * channels + c];
              count += 1;
            }
          }
          result[(y * nw + x) * channels + c] = sum / count;
        }
      }
    }
    return result;
  }

  function enlarge(values, w, h, nw, nh) {
    // Bilinear, pixel centres aligned, as cv2.INTER_LINEAR does.
    const result = new Float32Array(nw * nh * 3);
    for (let y = 0; y < nh; y += 1) {
      const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / nh - 0.5));
      const y0 = Math.floor(sy);
      const y1 = Math.min(h - 1, y0 + 1);
      const fy = sy - y0;
      for (let x = 0; x < nw; x += 1) {
        const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / nw - 0.5));
        const x0 = Math.floor(sx);
        const x1 = Math.min(w - 1, x0 + 1);
        const fx = sx - x0;
        for (let c = 0; c < 3; c += 1) {
          const top = values[(y0 * w + x0) * 3 + c] * (1 - fx) + values[(y0 * w + x1) * 3 + c] * fx;
          const low = values[(y1 * w + x0) * 3 + c] * (1 - fx) + values[(y1 * w + x1) * 3 + c] * fx;
          result[(y * nw + x) * 3 + c] = top * (1 - fy) + low * fy;
        }
      }
    }
    return result;
  }

  // Painting, at preview size: background, shadow, subject.

  function draw() {
    frameRequest = 0;
    if (!inputs) return;
    const spec = readSpec();
    const frame = layout(spec);
    const [outW, outH] = frame.size;
    const zoom = Math.min(1, PREVIEW_SIDE / Math.max(outW, outH)); // preview px per output px
    const width = Math.max(1, Math.round(outW * zoom));
    const height = Math.max(1, Math.round(outH * zoom));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const place = {
      // Full-size pixels → preview pixels: preview = perFull · full + (x, y).
      perFull: frame.scale * zoom,
      x: frame.offset[0] * zoom,
      y: frame.offset[1] * zoom,
    };
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, width, height);
    // JPEG has no transparency: what shows through is white, as in the render.
    if (spec.output.format === "JPEG") fill(context, "#ffffff", width, height);
    paintBackground(context, spec, place, width, height);
    const edges = cutoutFor(spec.edges);
    const subject = makeCanvas(width, height);
    subject
      .getContext("2d")
      .drawImage(edges.cutout, place.x, place.y, (displayW / detail) * place.perFull, (displayH / detail) * place.perFull);
    paintShadow(context, spec.shadow, subject, edges.footprint, place);
    context.drawImage(subject, 0, 0);
    outputNote.textContent = `Output ${outW} × ${outH} px, ${spec.output.format}`;
  }

  function fill(context, colour, width, height) {
    context.fillStyle = colour;
    context.fillRect(0, 0, width, height);
  }

  function paintBackground(context, spec, place, width, height) {
    const background = spec.background;
    if (background.type === "color") fill(context, background.color, width, height);
    else if (background.type === "gradient") paintGradient(context, background, width, height);
    else if (background.type === "blur") paintBlur(context, background, place, width, height);
    else if (background.type === "image") paintBackdrop(context, background, width, height);
  }

  function paintGradient(context, background, width, height) {
    // CSS's linear-gradient(angle, from, to), as compositor._gradient.
    const angle = (background.angle * Math.PI) / 180;
    const [dx, dy] = [Math.sin(angle), -Math.cos(angle)];
    const half = (Math.abs(width * dx) + Math.abs(height * dy)) / 2;
    const [cx, cy] = [width / 2, height / 2];
    const gradient = context.createLinearGradient(cx - dx * half, cy - dy * half, cx + dx * half, cy + dy * half);
    gradient.addColorStop(0, background.from);
    gradient.addColorStop(1, background.to);
    context.fillStyle = gradient;
    context.fillRect(0, 0, width, height);
  }

  function paintBlur(context, background, place, width, height) {
    // The filled-in photo placed as the subject is, edges repeated, then blurred
    // with σ = strength / 2000 of the original's short side.
    const sigma = ((background.strength * Math.min(fullW, fullH)) / 2000) * place.perFull;
    const margin = Math.ceil(3 * sigma) + 2;
    const spreadOut = makeCanvas(width + 2 * margin, height + 2 * margin);
    drawClamped(
      spreadOut.getContext("2d"),
      inputs.blurSource,
      place.x + margin,
      place.y + margin,
      fullW * place.perFull,
      fullH * place.perFull,
    );
    context.save();
    if (sigma >= 0.3) context.filter = `blur(${sigma}px)`;
    context.drawImage(spreadOut, -margin, -margin);
    context.restore();
  }

  function drawClamped(context, source, x, y, width, height) {
    // drawImage, with the source's edge pixels stretched to every side of the
    // canvas (OpenCV's BORDER_REPLICATE).
    const [sw, sh] = [source.width, source.height];
    const [cw, ch] = [context.canvas.width, context.canvas.height];
    const [right, bottom] = [x + width, y + height];
    context.imageSmoothingEnabled = true;
    context.drawImage(source, x, y, width, height);
    if (x > 0) context.drawImage(source, 0, 0, 1, sh, 0, y, x, height);
    if (right < cw) context.drawImage(source, sw - 1, 0, 1, sh, right, y, cw - right, height);
    if (y > 0) context.drawImage(source, 0, 0, sw, 1, x, 0, width, y);
    if (bottom < ch) context.drawImage(source, 0, sh - 1, sw, 1, x, bottom, width, ch - bottom);
    const corners = [
      [0, 0, 0, 0, x, y],
      [sw - 1, 0, right, 0, cw - right, y],
      [0, sh - 1, 0, bottom, x, ch - bottom],
      [sw - 1, sh - 1, right, bottom, cw - right, ch - bottom],
    ];
    for (const [sx, sy, dx, dy, dw, dh] of corners) {
      if (dw > 0 && dh > 0) context.drawImage(source, sx, sy, 1, 1, dx, dy, dw, dh);
    }
  }

  function paintBackdrop(context, background, width, height) {
    const picture = backdrops.get(background.backdrop_id);
    if (!(picture instanceof HTMLImageElement)) {
      loadBackdrop(background.backdrop_id);
      return;
    }
    const [pw, ph] = [picture.naturalWidth, picture.naturalHeight];
    if (background.fit === "cover") {
      const scale = Math.max(width / pw, height / ph);
      context.drawImage(picture, (width - pw * scale) / 2, (height - ph * scale) / 2, pw * scale, ph * scale);
      return;
    }
    const scale = Math.min(width / pw, height / ph);
    const [iw, ih] = [Math.max(1, Math.round(pw * scale)), Math.max(1, Math.round(ph * scale))];
    context.drawImage(picture, Math.floor((width - iw) / 2), Math.floor((height - ih) / 2), iw, ih);
  }

  function loadBackdrop(id) {
    if (backdrops.has(id) || !data.backdrops[id]) return;
    backdrops.set(
      id,
      loadPicture(data.backdrops[id]).then((picture) => {
        backdrops.set(id, picture);
        schedule();
      }),
    );
  }

  function paintShadow(context, shadow, subject, footprint, place) {
    if (shadow.type === "none" || shadow.opacity <= 0) return;
    const sigma = (shadow.blur * place.perFull) / 2;
    const shape = makeCanvas(subject.width, subject.height);
    const shapeContext = shape.getContext("2d");
    let [dx, dy] = [0, 0];
    if (shadow.type === "drop") {
      shapeContext.drawImage(subject, 0, 0);
      shapeContext.globalCompositeOperation = "source-in";
      fill(shapeContext, shadow.color, shape.width, shape.height);
      [dx, dy] = [shadow.offset_x * place.perFull, shadow.offset_y * place.perFull];
    } else {
      if (!footprint) return;
      // compositor._contact_ellipse: a flat ellipse under the subject's base.
      const perDisplay = place.perFull / detail;
      const halfW = Math.max(1, ((footprint.right - footprint.left + 1) / 2) * (0.5 + shadow.spread)) * perDisplay;
      const centreX = place.x + ((footprint.left + footprint.right) / 2) * perDisplay;
      const bottom = place.y + footprint.bottom * perDisplay;
      shapeContext.beginPath();
      shapeContext.ellipse(centreX, bottom, halfW, Math.max(1, halfW * 0.12), 0, 0, 2 * Math.PI);
      shapeContext.fillStyle = "#000000";
      shapeContext.fill();
    }
    context.save();
    context.globalAlpha = shadow.opacity;
    if (sigma >= 0.5) context.filter = `blur(${sigma}px)`;
    context.drawImage(shape, dx, dy);
    context.restore();
  }

  function schedule() {
    if (!frameRequest) frameRequest = requestAnimationFrame(draw);
  }

  // Presets, controls, Save, the render list and background pictures.

  function choosePreset(button) {
    applySpec(data.presets[button.value]);
    presetSlug = button.value;
    for (const other of form.querySelectorAll(".studio-preset")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    schedule();
  }

  function forgetPreset() {
    presetSlug = "";
    for (const button of form.querySelectorAll(".studio-preset")) button.setAttribute("aria-pressed", "false");
  }

  async function save() {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    if (presetSlug) body.append("preset", presetSlug);
    else body.append("spec", JSON.stringify(readSpec()));
    showSaveStatus("Saving…", false);
    try {
      const response = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" } });
      const answer = await response.json();
      if (!response.ok) {
        showSaveStatus(answer.error || "Could not save.", true);
        return;
      }
      showSaveStatus("Rendering at full size…", false);
      refreshRenders();
    } catch (error) {
      showSaveStatus("Could not reach the server. Try again.", true);
    }
  }

  function showSaveStatus(message, isError) {
    saveStatus.textContent = message;
    saveStatus.classList.toggle("error", isError);
  }

  async function refreshRenders() {
    clearTimeout(pollTimer);
    try {
      const response = await fetch(root.dataset.rendersUrl, { headers: { Accept: "text/html" } });
      if (response.ok) renderList.innerHTML = await response.text();
    } catch (error) {
      // Offline for a moment: the next poll tries again.
    }
    if (renderList.querySelector('[data-status="queued"]')) pollTimer = setTimeout(refreshRenders, POLL_MS);
    else if (saveStatus.textContent === "Rendering at full size…") showSaveStatus("Saved: download it below.", false);
  }

  async function uploadBackdrop() {
    const picked = form.querySelector('input[name="file"]');
    if (!picked.files.length) {
      uploadStatus.textContent = "Choose a picture first.";
      return;
    }
    const body = new FormData(backdropForm); // the file input belongs to this form
    uploadStatus.textContent = "Uploading…";
    try {
      const response = await fetch(backdropForm.action, { method: "POST", body, headers: { Accept: "application/json" } });
      const answer = await response.json();
      if (!response.ok) {
        uploadStatus.textContent = answer.error;
        return;
      }
      const backdrop = answer.backdrop;
      data.backdrops[backdrop.id] = backdrop.url;
      backdropSelect.add(new Option(backdrop.name, String(backdrop.id), true, true));
      picked.value = "";
      uploadStatus.textContent = "";
      forgetPreset();
      schedule();
    } catch (error) {
      uploadStatus.textContent = "Could not reach the server. Try again.";
    }
  }

  for (const button of form.querySelectorAll(".studio-preset")) {
    // Without this script they save the preset at once; here they set the controls.
    button.type = "button";
    button.addEventListener("click", () => choosePreset(button));
  }
  form.addEventListener("input", (event) => {
    if (event.target.name === "file") return;
    forgetPreset();
    refreshControls();
    schedule();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  backdropForm.addEventListener("submit", (event) => {
    event.preventDefault();
    uploadBackdrop();
  });

  fitPixelRanges();
  applySpec(base);
  if (renderList.querySelector('[data-status="queued"]')) refreshRenders();
  loadInputs()
    .then(() => {
      loading.hidden = true;
      canvas.dataset.ready = "true";
      draw();
    })
    .catch(() => {
      loading.textContent = "The preview could not be loaded. Reload the page to try again.";
    });
})();
