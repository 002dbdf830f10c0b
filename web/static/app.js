// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A form just submitted ignores further submissions for a moment, so that a double click
  // sends one request (the server treats a repeated request as one anyway).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (ev.defaultPrevented) { return; }
    if (form.dataset.busy === "1") { ev.preventDefault(); return; }
    form.dataset.busy = "1";
    window.setTimeout(function () { form.dataset.busy = ""; }, 4000);
  });
  // A form refused with several faults: move the focus to the list of faults.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  // Inbox: a checkbox that selects every task on the page.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.hidden = false;
    var scope = document.getElementById(box.getAttribute("data-select-all"));
    box.querySelector("input").addEventListener("change", function (ev) {
      scope.querySelectorAll("input[name=task_id]").forEach(function (cb) { cb.checked = ev.target.checked; });
    });
  });
  // Decision forms: a confirmation before a decision that ends a case.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var chosen = form.querySelector("input[name=outcome]:checked");
      if (chosen && chosen.dataset.confirm && !window.confirm(chosen.dataset.confirm)) {
        ev.preventDefault();
      }
    });
  });
})();
