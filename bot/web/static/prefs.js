/* The « Texte plus grand » choice, applied before the page is drawn (no flash of small text). */
(function () {
  "use strict";
  try {
    if (window.localStorage.getItem("amper-large-text") === "1") {
      document.documentElement.classList.add("large-text");
    }
  } catch (ignored) { /* storage refused (private mode, blocked in a frame): normal size */ }
})();
