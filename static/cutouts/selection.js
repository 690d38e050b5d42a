// The library's export form: counts the ticked cards, and ticks every processed one on request.
"use strict";

(function () {
  const form = document.getElementById("export-selection");
  if (!form) return;
  const counter = form.querySelector(".export-selected");
  const selectAll = form.querySelector(".export-select-all");

  function boxes() {
    return [...document.querySelectorAll('input[name="images"][form="export-selection"]')];
  }

  function update() {
    const ticked = boxes().filter((box) => box.checked).length;
    counter.textContent = ticked ? `${ticked} selected` : "";
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches('input[name="images"]')) update();
  });
  selectAll.hidden = false;
  selectAll.addEventListener("click", () => {
    // Cards still processing hide their box: only done images can be exported.
    const shown = boxes().filter((box) => !box.closest("[hidden]"));
    const tick = shown.some((box) => !box.checked);
    for (const box of shown) box.checked = tick;
    update();
  });
  update();
})();
