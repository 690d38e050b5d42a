// The upload widget (templates/cutouts/partials/upload_widget.html).
// Dropped or picked files become one batch; each file is then posted on its
// own with XMLHttpRequest, because fetch cannot report upload progress.
// The server is the authority on what is accepted; the size check here only
// saves a long wait for a file that will be refused anyway.
"use strict";

(function () {
  const PARALLEL_UPLOADS = 3;
  const widget = document.querySelector(".uploader");
  if (!widget) return;

  const form = widget.querySelector(".dropzone");
  const input = form.querySelector(".dropzone-input");
  const list = widget.querySelector(".upload-list");
  const summary = widget.querySelector(".upload-summary");
  const estimateLine = widget.querySelector(".upload-estimate");
  const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const maxBytes = Number(widget.dataset.maxBytes);

  widget.classList.add("enhanced");

  input.addEventListener("change", () => {
    start(Array.from(input.files));
    input.value = "";
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("dragover", (event) => {
    event.preventDefault();
    form.classList.add("dragging");
  });
  form.addEventListener("dragleave", (event) => {
    if (!form.contains(event.relatedTarget)) form.classList.remove("dragging");
  });
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    form.classList.remove("dragging");
    start(Array.from(event.dataTransfer.files));
  });
  // A file dropped beside the zone would otherwise replace the page with itself.
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());

  async function start(files) {
    if (!files.length) return;
    summary.hidden = true;
    estimateLine.hidden = true;
    const rows = files.map(makeRow);
    list.prepend(...rows.map((row) => row.element));
    let batch = null;
    const queue = rows.filter((row) => {
      if (row.file.size <= maxBytes) return true;
      row.fail(`This file is ${formatBytes(row.file.size)}; the limit is ${widget.dataset.maxSize}.`);
      return false;
    });
    if (queue.length) {
      try {
        batch = await createBatch();
        showEstimate(queue.map((row) => row.file), batch.batch);
        const workers = Array.from({ length: Math.min(PARALLEL_UPLOADS, queue.length) }, async () => {
          while (queue.length) await send(queue.shift(), batch.batch);
        });
        await Promise.all(workers);
      } catch (error) {
        // Only making the batch can throw: send() reports its failures on the row.
        queue.forEach((row) => row.fail(error.message));
      }
    }
    showSummary(rows, batch);
  }

  // What the drop will cost and when it should be done, from the files'
  // digests: pictures Cutouts already has cost nothing. Told while they
  // upload; the server leaves this drop's own batch out of what it has.
  async function showEstimate(files, batchId) {
    try {
      const digests = [];
      for (const file of files) {
        const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
        digests.push(Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""));
      }
      if (!digests.length) return;
      const response = await fetch(widget.dataset.estimateUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken, "Content-Type": "application/json" },
        body: JSON.stringify({ sha256: digests, batch: batchId }),
      });
      if (!response.ok) return;
      estimateLine.textContent = (await response.json()).text;
      estimateLine.hidden = false;
    } catch (error) {
      // Only a courtesy: the upload goes on without it (crypto.subtle needs HTTPS or localhost).
    }
  }

  async function createBatch() {
    let response;
    try {
      response = await fetch(widget.dataset.batchUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch {
      throw new Error("The connection failed. Check your network and try again.");
    }
    const body = response.ok ? await response.json().catch(() => null) : null;
    if (!body || !body.batch) throw new Error(failureMessage(response.status, response.url));
    return body;
  }

  // While the server is busy checking other uploads (503), try the file again a few times.
  const BUSY_RETRIES = 5;

  async function send(row, batch) {
    for (let retries = BUSY_RETRIES; ; retries--) {
      const retryAfter = await sendOnce(row, batch, retries > 0);
      if (retryAfter === null) return;
      row.waiting("Server busy, trying again…");
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    }
  }

  // Resolves with the seconds to wait before trying again, or null once the row shows the outcome.
  function sendOnce(row, batch, mayRetry) {
    return new Promise((resolve) => {
      const data = new FormData();
      data.append("batch", batch);
      data.append("files", row.file, row.file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", widget.dataset.uploadUrl);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrfToken);
      xhr.responseType = "json";
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) row.progress(event.loaded / event.total);
      };
      xhr.upload.onload = () => row.checking();
      xhr.onload = () => {
        const body = xhr.response;
        if (xhr.status === 503 && mayRetry) {
          resolve(Number(xhr.getResponseHeader("Retry-After")) || 3);
          return;
        }
        if (xhr.status === 201 && body && body.image) row.done(body.image);
        else row.fail(body && body.error ? body.error : failureMessage(xhr.status, xhr.responseURL));
        resolve(null);
      };
      xhr.onerror = () => {
        row.fail("The connection failed. Check your network and try again.");
        resolve(null);
      };
      row.progress(0);
      xhr.send(data);
    });
  }

  function failureMessage(status, url) {
    if (url && url.includes("/accounts/login/")) return "You have been signed out. Sign in and try again.";
    if (status === 413) return "This file is too large for the server.";
    return `The server could not take this file (error ${status}). Try again later.`;
  }

  function makeRow(file) {
    const row = element("li", "upload-row waiting");
    const thumb = element("span", "upload-thumb");
    const name = element("span", "upload-name", file.name);
    const bar = element("span", "upload-bar");
    const fill = element("span", "upload-bar-fill");
    const status = element("span", "upload-status", "Waiting…");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", `Upload of ${file.name}`);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.append(fill);
    row.append(thumb, name, bar, status);

    let state = "waiting";
    const setState = (newState, text) => {
      state = newState;
      row.className = `upload-row ${state}`;
      status.textContent = text;
    };
    const setPercent = (percent) => {
      fill.style.width = `${percent}%`;
      bar.setAttribute("aria-valuenow", String(percent));
    };
    return {
      file,
      element: row,
      get state() {
        return state;
      },
      progress(fraction) {
        const percent = Math.round(fraction * 100);
        setPercent(percent);
        setState("uploading", `${percent}%`);
      },
      checking() {
        setPercent(100);
        setState("checking", "Checking…");
      },
      waiting(text) {
        setPercent(0);
        setState("waiting", text);
      },
      done(image) {
        setPercent(100);
        setState("done", "");
        const img = element("img");
        img.src = image.thumbnail_url;
        img.alt = "";
        thumb.append(img);
        const link = element("a", "upload-name", image.name);
        link.href = image.url;
        name.replaceWith(link);
        status.append(element("span", `badge ${image.status}`, image.status_label));
        // Says so when the upload is saved but its processing could not be queued yet.
        if (image.status_reason) status.append(" ", element("span", "upload-reason", image.status_reason));
        if (image.eta) status.append(element("span", "upload-reason", image.eta));
      },
      fail(message) {
        setState("rejected", message);
      },
    };
  }

  function showSummary(rows, batch) {
    const accepted = rows.filter((row) => row.state === "done").length;
    const rejected = rows.length - accepted;
    summary.textContent = "";
    const parts = [`${accepted} uploaded`];
    if (rejected) parts.push(`${rejected} rejected`);
    summary.append(`${parts.join(", ")}. `);
    if (accepted) {
      const progress = element("a", "", "View this batch's progress");
      progress.href = batch.url;
      const library = element("a", "", "See them in the library");
      library.href = widget.dataset.libraryUrl;
      summary.append(progress, " · ", library);
    }
    summary.hidden = false;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function formatBytes(size) {
    for (const [unit, scale] of [["MB", 1024 * 1024], ["KB", 1024]]) {
      if (size >= scale) return `${(Math.ceil((size * 10) / scale) / 10).toFixed(1).replace(/\.0$/, "")} ${unit}`;
    }
    return `${size} bytes`;
  }
})();
