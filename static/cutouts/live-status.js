// Live statuses for the library grid, the image page and the batch page.
// Every element with data-image-id and data-status stands for one image;
// while any of them (or the batch on the batch page) is not final, the
// statuses are polled and the page updated in place:
//   .badge                  class and label
//   [data-live-reason]      the status reason, hidden when empty
//   [data-live-eta]         when it is expected done (the batch's too), hidden when empty
//   [data-live-src=field]   an image's src, from that field once it has one
//   [data-live-href=field]  a link's href from that field, hidden without one
//   [data-live-show="a b"]  shown only in those statuses
// and the library's status tab counts follow each image that moves.
// Polling stops once everything shown is done or failed.
"use strict";

(function () {
  const POLL_MS = 2000;
  const FINAL = new Set(["done", "failed"]);
  const statusUrl = document.currentScript.dataset.statusUrl;
  const progress = document.querySelector(".batch-progress[data-batch-id]");
  let timer = null;

  // Bars come with data-width, not a style attribute: the Content-Security-Policy forbids those.
  for (const part of document.querySelectorAll("[data-width]")) {
    part.style.width = `${part.dataset.width}%`;
  }

  function pendingIds() {
    const ids = new Set();
    for (const item of document.querySelectorAll("[data-image-id][data-status]")) {
      if (!FINAL.has(item.dataset.status)) ids.add(item.dataset.imageId);
    }
    return [...ids];
  }

  function batchUnfinished() {
    if (!progress) return false;
    const count = (name) => Number(progress.querySelector(`[data-count="${name}"]`).textContent);
    return count("in_progress") + count("waiting_credits") + count("over_budget") > 0;
  }

  function schedule() {
    clearTimeout(timer);
    if (pendingIds().length || batchUnfinished()) timer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    clearTimeout(timer);
    // A tab in the background needs no updates; it catches up when shown again.
    if (document.hidden || !(pendingIds().length || batchUnfinished())) return;
    const query = new URLSearchParams({ ids: pendingIds().join(",") });
    if (progress) query.set("batch", progress.dataset.batchId);
    let body;
    try {
      const response = await fetch(`${statusUrl}?${query}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.status >= 500) throw new Error(`error ${response.status}`);
      // Signed out, or the batch is gone: nothing more to show here.
      if (!response.ok || response.redirected) return;
      body = await response.json();
    } catch {
      // The network or the server hiccuped; the next round tries again.
      schedule();
      return;
    }
    body.images.forEach(showImage);
    if (body.batch) showBatch(body.batch);
    schedule();
  }

  function showImage(image) {
    const items = document.querySelectorAll(`[data-image-id="${image.id}"]`);
    if (items.length && items[0].dataset.status !== image.status) {
      moveCount(items[0].dataset.status, image.status);
    }
    if (items.length && (items[0].dataset.needsReview === "true") !== image.needs_review) {
      addToCount("needs_review", image.needs_review ? 1 : -1);
    }
    for (const item of items) {
      item.dataset.status = image.status;
      item.dataset.needsReview = String(image.needs_review);
      for (const flag of item.querySelectorAll("[data-live-review]")) {
        flag.hidden = !image.needs_review;
        flag.title = image.review_reasons;
      }
      const badge = item.querySelector(".badge");
      if (badge) {
        badge.className = `badge ${image.status}`;
        badge.textContent = image.label;
      }
      for (const eta of item.querySelectorAll("[data-live-eta]")) {
        eta.textContent = image.eta;
        eta.hidden = !image.eta;
      }
      for (const reason of item.querySelectorAll("[data-live-reason]")) {
        reason.textContent = image.reason;
        reason.title = image.reason;
        reason.hidden = !image.reason;
      }
      for (const picture of item.querySelectorAll("[data-live-src]")) {
        const url = image[picture.dataset.liveSrc];
        if (url && picture.getAttribute("src") !== url) picture.src = url;
      }
      for (const link of item.querySelectorAll("[data-live-href]")) {
        const url = image[link.dataset.liveHref];
        link.hidden = !url;
        if (url) link.href = url;
      }
      for (const part of item.querySelectorAll("[data-live-show]")) {
        part.hidden = !part.dataset.liveShow.split(" ").includes(image.status);
      }
    }
  }

  function moveCount(from, to) {
    addToCount(from, -1);
    addToCount(to, 1);
  }

  function addToCount(tab, change) {
    const count = document.querySelector(`[data-status-count="${tab}"]`);
    if (count) count.textContent = String(Math.max(0, Number(count.textContent) + change));
  }

  function showBatch(batch) {
    const finished = batch.done + batch.failed;
    for (const name of ["done", "failed", "waiting_credits", "over_budget", "in_progress", "total", "needs_review"]) {
      progress.querySelector(`[data-count="${name}"]`).textContent = batch[name];
      const part = progress.querySelector(`[data-part="${name}"]`);
      if (part) part.style.width = batch.total ? `${(100 * batch[name]) / batch.total}%` : "0";
    }
    progress.querySelector("[role=progressbar]").setAttribute("aria-valuenow", String(finished));
    const eta = progress.querySelector("[data-live-eta]");
    if (eta) {
      eta.textContent = batch.eta;
      eta.hidden = !batch.eta;
    }
    progress.querySelector("[data-batch-review]").hidden = batch.needs_review === 0;
    for (const form of document.querySelectorAll("[data-batch-failed-only]")) {
      form.hidden = batch.failed === 0;
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll();
  });
  schedule();
})();
