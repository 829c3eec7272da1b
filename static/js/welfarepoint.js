// Small improvements on top of pages that work without JavaScript.
(function () {
  "use strict";

  // Print buttons: hidden without JavaScript, where the browser's own print command does the same.
  document.querySelectorAll(".wp-print-button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Municipality fields: suggest names as the visitor types (the server also accepts near misses).
  document.querySelectorAll("input[data-suggest='municipality']").forEach(function (input, index) {
    var list = document.createElement("datalist");
    list.id = "wp-municipalities-" + index;
    input.after(list);
    input.setAttribute("list", list.id);
    var timer = null;
    var lastAsked = "";
    input.addEventListener("input", function () {
      var text = input.value.trim();
      if (text.length < 2 || text === lastAsked || /^\d+$/.test(text)) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        lastAsked = text;
        fetch("/api/v1/municipalities?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { municipalities: [] }; })
          .then(function (data) {
            list.replaceChildren();
            data.municipalities.forEach(function (place) {
              var option = document.createElement("option");
              option.value = place.name;
              option.label = place.name + " (" + place.province + ")";
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a help, not a need */ });
      }, 150);
    });
  });

  // The service page's index: open beside the sections on a wide screen, folded on a phone.
  if (window.matchMedia("(min-width: 992px)").matches) {
    document.querySelectorAll(".wp-page-index-details").forEach(function (details) { details.open = true; });
  }
})();

// A questionnaire step with errors: the summary takes the focus (autofocus does it too where supported).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();

// Results grouped by area: on a phone a company's groups start closed under their index; a link of the index opens
// its group.
(function () {
  "use strict";
  var areas = document.querySelectorAll("details.wp-area");
  if (!areas.length) { return; }
  if (window.matchMedia("(max-width: 575.98px)").matches) {
    areas.forEach(function (area) { if (area.hasAttribute("data-phone-closed")) { area.open = false; } });
  }
  document.querySelectorAll(".wp-area-index a").forEach(function (link) {
    link.addEventListener("click", function () {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      var area = target && target.closest("details.wp-area");
      if (area) { area.open = true; }
    });
  });
})();
