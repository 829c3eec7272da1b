// Small improvements on top of pages that work without JavaScript.
(function () {
  "use strict";
  document.querySelectorAll(".wp-print-button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
