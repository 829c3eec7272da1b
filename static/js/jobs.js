// A job's page, live: asks how far the job got every second and moves the progress bar; reloads the page when
// the job is over (without JavaScript, the page refreshes itself every few seconds instead).
(function () {
  "use strict";

  var section = document.querySelector("[data-job-state]");
  if (!section) { return; }
  var bar = section.querySelector(".wp-job-progress");
  var text = section.querySelector(".wp-job-text");
  var stalled = section.querySelector(".wp-job-stalled");
  var language = document.documentElement.lang || "it";

  function fill(template, state) {
    return template
      .replace("{done}", state.done.toLocaleString(language))
      .replace("{total}", state.total.toLocaleString(language));
  }

  function show(state) {
    if (state.status === "done" || state.status === "failed") {
      window.location.reload();
      return;
    }
    if (state.status === "waiting") {
      text.textContent = text.dataset.waiting;
      bar.removeAttribute("value");
    } else {
      bar.max = state.max || 1;
      bar.value = state.value;
      text.textContent = state.total ? fill(text.dataset[state.step] || text.dataset.check, state) : text.dataset.starting;
    }
    stalled.hidden = !state.stalled;
    window.setTimeout(ask, 1000);
  }

  function ask() {
    fetch(section.dataset.jobState, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(show)
      .catch(function () { window.setTimeout(ask, 5000); });
  }

  window.setTimeout(ask, 1000);
})();
