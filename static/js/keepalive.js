// The listing form: while it has unsaved changes, keep the session alive and the form's token fresh; warn before
// the session ends and when it has ended. Without JavaScript nothing is lost either: a form sent after the
// session ended is kept by the server and comes back filled after signing in again.
(function () {
  "use strict";

  var form = document.querySelector("form[data-keep-alive]");
  var warning = document.getElementById("session-warning");
  if (!form || !warning || !window.fetch) { return; }

  var url = form.getAttribute("data-keep-alive");
  var lifetime = parseInt(form.getAttribute("data-session-seconds"), 10) || 1800;
  var WARN_BEFORE = 5 * 60;  // seconds before the end when an idle page warns
  var CHECK_EVERY = 30 * 1000;
  var refreshed = Date.now();
  var dirty = false;
  var sending = false;
  var ended = false;

  function show(which) {
    warning.hidden = which === "";
    warning.querySelectorAll("[data-when]").forEach(function (part) {
      part.hidden = part.getAttribute("data-when") !== which;
    });
  }

  function freshToken(token) {
    document.querySelectorAll("input[name='csrf_token']").forEach(function (input) { input.value = token; });
  }

  function keepAlive() {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { ended = true; show("ended"); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data || !data.signed_in) { return; }
        refreshed = Date.now();
        lifetime = data.seconds_left || lifetime;
        freshToken(data.csrf_token);
        ended = false;
        show("");
      })
      .catch(function () { /* offline for a moment: the next check tries again */ });
  }

  function check() {
    if (ended) { return; }
    var left = lifetime - (Date.now() - refreshed) / 1000;
    if (dirty && left < lifetime * 2 / 3) { keepAlive(); return; }
    if (left <= 0) { ended = true; show("ended"); return; }
    if (left <= WARN_BEFORE) { show("soon"); }
  }

  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { sending = true; });
  warning.querySelectorAll("button[data-keep-alive-now]").forEach(function (button) {
    button.addEventListener("click", function () { keepAlive(); });
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !sending) { event.preventDefault(); event.returnValue = ""; }
  });
  window.setInterval(check, CHECK_EVERY);
})();
