// The search page works without this file: with it, choosing a mode or the superseded box
// searches again at once (without it, the Search button does).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.search-form");
  if (!form) return;
  form.addEventListener("change", (event) => {
    const input = event.target;
    const instant = input.name === "mode" || input.name === "superseded";
    if (instant && form.elements.q.value.trim()) form.requestSubmit();
  });
});
