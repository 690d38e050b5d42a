// Before and after in one frame (the image page): the original on the left of
// the split, the cutout over the chosen background on the right. The split
// moves by dragging its handle, or with the arrow keys once it has focus; the
// picture zooms with the wheel, a pinch, the +/− buttons, Fit and 100 %, and
// pans by dragging. 100 % is one pixel of the full-size original to one screen
// pixel: past the display copies' own size the full-size files are loaded.
"use strict";

(function () {
  const root = document.querySelector("[data-compare]");
  if (!root) return;
  const frame = root.querySelector(".compare-frame");
  const before = root.querySelector(".compare-before img");
  const after = root.querySelector(".compare-after img");
  const afterLayer = root.querySelector(".compare-after");
  const handle = root.querySelector(".compare-handle");
  const scaleOut = root.querySelector(".compare-scale");
  const colour = root.querySelector(".compare-colour");
  const fullWidth = Number(root.dataset.fullWidth);
  const fullHeight = Number(root.dataset.fullHeight);
  const displayScale = Number(root.dataset.displayWidth) / fullWidth;
  const MAX_SCALE = 8;
  const STEP = 1.25;

  let scale = 1; // screen px per full-size px
  let x = 0; // where the picture's top-left corner is, in frame px
  let y = 0;
  let split = 0.5; // share of the frame's width left of the split
  let fitted = true;
  let fullLoaded = false;
  const pointers = new Map();
  let gesture = null;

  for (const img of [before, after]) {
    img.width = fullWidth;
    img.height = fullHeight;
  }
  frame.style.aspectRatio = `${fullWidth} / ${fullHeight}`;

  function frameSize() {
    return { width: frame.clientWidth, height: frame.clientHeight };
  }

  function fitScale() {
    const { width, height } = frameSize();
    return Math.min(width / fullWidth, height / fullHeight);
  }

  function fit() {
    const { width, height } = frameSize();
    scale = fitScale();
    x = (width - fullWidth * scale) / 2;
    y = (height - fullHeight * scale) / 2;
    fitted = true;
    draw();
  }

  function zoomTo(next, aroundX, aroundY) {
    const bounded = Math.min(MAX_SCALE, Math.max(fitScale() / 2, next));
    // The point under (aroundX, aroundY) stays where it is.
    x = aroundX - ((aroundX - x) * bounded) / scale;
    y = aroundY - ((aroundY - y) * bounded) / scale;
    scale = bounded;
    fitted = false;
    draw();
  }

  function zoomCentred(factor) {
    const { width, height } = frameSize();
    zoomTo(scale * factor, width / 2, height / 2);
  }

  function keepInView() {
    // At least a quarter of the frame keeps showing picture, so it never pans away.
    const { width, height } = frameSize();
    const shownWidth = fullWidth * scale;
    const shownHeight = fullHeight * scale;
    x = Math.min(width * 0.75, Math.max(width * 0.25 - shownWidth, x));
    y = Math.min(height * 0.75, Math.max(height * 0.25 - shownHeight, y));
  }

  function draw() {
    keepInView();
    const transform = `translate(${x}px, ${y}px) scale(${scale})`;
    before.style.transform = transform;
    after.style.transform = transform;
    const { width } = frameSize();
    const at = Math.round(split * width);
    afterLayer.style.clipPath = `inset(0 0 0 ${at}px)`;
    handle.style.left = `${at}px`;
    handle.setAttribute("aria-valuenow", String(Math.round(split * 100)));
    handle.setAttribute("aria-valuetext", `${Math.round(split * 100)} % original`);
    scaleOut.textContent = `${Math.round(scale * 100)} %`;
    if (!fullLoaded && scale > displayScale * 1.05) loadFullSize();
  }

  function loadFullSize() {
    // The display copies blur past their own size; the full-size files are big, so only now.
    fullLoaded = true;
    for (const img of [before, after]) {
      if (img.dataset.fullSrc) img.src = img.dataset.fullSrc;
    }
  }

  function moveSplit(share) {
    split = Math.min(1, Math.max(0, share));
    draw();
  }

  function framePoint(event) {
    const box = frame.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  frame.addEventListener("pointerdown", (event) => {
    frame.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, framePoint(event));
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      gesture = { kind: "pinch", distance: Math.hypot(a.x - b.x, a.y - b.y), scale };
    } else if (event.target === handle || handle.contains(event.target)) {
      gesture = { kind: "split" };
      handle.focus();
    } else {
      const point = framePoint(event);
      gesture = { kind: "pan", from: point, x, y };
    }
    event.preventDefault();
  });

  frame.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId) || !gesture) return;
    const point = framePoint(event);
    pointers.set(event.pointerId, point);
    if (gesture.kind === "split") {
      moveSplit(point.x / frameSize().width);
    } else if (gesture.kind === "pan") {
      x = gesture.x + point.x - gesture.from.x;
      y = gesture.y + point.y - gesture.from.y;
      fitted = false;
      draw();
    } else if (gesture.kind === "pinch" && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      zoomTo((gesture.scale * distance) / gesture.distance, (a.x + b.x) / 2, (a.y + b.y) / 2);
    }
  });

  function release(event) {
    pointers.delete(event.pointerId);
    if (pointers.size === 0) gesture = null;
  }
  frame.addEventListener("pointerup", release);
  frame.addEventListener("pointercancel", release);

  frame.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const point = framePoint(event);
      zoomTo(scale * Math.exp(-event.deltaY / 400), point.x, point.y);
    },
    { passive: false },
  );

  handle.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 0.2 : 0.05;
    const moves = { ArrowLeft: -step, ArrowDown: -step, ArrowRight: step, ArrowUp: step };
    if (event.key in moves) moveSplit(split + moves[event.key]);
    else if (event.key === "Home") moveSplit(0);
    else if (event.key === "End") moveSplit(1);
    else if (event.key === "+" || event.key === "=") zoomCentred(STEP);
    else if (event.key === "-") zoomCentred(1 / STEP);
    else return;
    event.preventDefault();
  });

  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-zoom]");
    if (!button) return;
    const action = button.dataset.zoom;
    if (action === "in") zoomCentred(STEP);
    else if (action === "out") zoomCentred(1 / STEP);
    else if (action === "fit") fit();
    else {
      const { width, height } = frameSize();
      zoomTo(1, width / 2, height / 2);
    }
  });

  function showBackground() {
    const chosen = root.querySelector('[name="compare-background"]:checked').value;
    afterLayer.dataset.background = chosen;
    afterLayer.style.backgroundColor = chosen === "colour" ? colour.value : "";
  }
  root.addEventListener("change", (event) => {
    if (event.target.name === "compare-background") showBackground();
  });
  colour.addEventListener("input", () => {
    root.querySelector('[name="compare-background"][value="colour"]').checked = true;
    showBackground();
  });

  new ResizeObserver(() => (fitted ? fit() : draw())).observe(frame);
  showBackground();
  fit();
  root.dataset.ready = "true";
})();
