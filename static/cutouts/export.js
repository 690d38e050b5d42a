// The export page: polls the export's progress while it runs, then reloads to show the result.
"use strict";

(function () {
  const page = document.querySelector(".export-page");
  if (!page) return;
  const fill = page.querySelector(".export-bar-fill");
  // The width comes as data-width, not a style attribute: the Content-Security-Policy forbids those.
  fill.style.width = `${fill.dataset.width}%`;
  if (page.dataset.status !== "running") return;
  const POLL_MS = 1500;
  const bar = page.querySelector(".export-bar");
  const done = page.querySelector(".export-done");

  async function poll() {
    try {
      const response = await fetch(page.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const progress = await response.json();
        fill.style.width = `${progress.percent}%`;
        bar.setAttribute("aria-valuenow", String(progress.percent));
        done.textContent = progress.done;
        if (progress.status !== "running") {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped connection: try again on the next tick.
    }
    setTimeout(poll, POLL_MS);
  }

  setTimeout(poll, POLL_MS);
})();
