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

  function shownBoxes() {
    // Cards still processing hide their box: only done images can be exported.
    return boxes().filter((box) => !box.closest("[hidden]"));
  }

  function update() {
    const ticked = boxes().filter((box) => box.checked).length;
    counter.textContent = ticked ? `${ticked} selected` : "";
    const shown = shownBoxes();
    selectAll.textContent = shown.length && shown.every((box) => box.checked) ? "Clear selection" : "Select all done";
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches('input[name="images"]')) update();
  });
  selectAll.hidden = false;
  selectAll.addEventListener("click", () => {
    const shown = shownBoxes();
    const tick = shown.some((box) => !box.checked);
    for (const box of shown) box.checked = tick;
    update();
  });
  update();
})();
