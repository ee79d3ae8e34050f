// Kentro workspace: what a script adds to pages that work without it.
// The duplicate check as you type, the idle-timeout warning, and live
// referral status over the API's `referralUpdated` subscription.
(function () {
  "use strict";

  // Focus the error summary, for browsers that ignore `autofocus` on it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // The idle warning, two minutes before the session ends.
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  var warning = document.getElementById("idle-warning");
  if (warning && idleSeconds > 150) {
    var timer;
    var arm = function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        warning.hidden = false;
        var stay = document.getElementById("idle-stay");
        if (stay) { stay.focus(); }
      }, (idleSeconds - 120) * 1000);
    };
    arm();
  }

  // The duplicate check as you type: the same panel the server shows
  // after posting, fetched for the identity typed so far.
  var form = document.querySelector("form[data-duplicate-check]");
  var panel = document.getElementById("duplicates");
  if (form && panel && window.fetch) {
    var fields = ["givenNameEl", "familyNameEl", "givenNameLatin", "familyNameLatin", "birthDate", "amka", "afm"];
    var pending;
    var check = function () {
      var params = new URLSearchParams();
      var filled = 0;
      fields.forEach(function (name) {
        var input = form.elements[name];
        if (input && input.value.trim()) { params.set(name, input.value.trim()); filled++; }
      });
      if (filled < 2) { return; }
      fetch("/people/duplicates?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { panel.innerHTML = html; })
        .catch(function () {});
    };
    fields.forEach(function (name) {
      var input = form.elements[name];
      if (input) {
        input.addEventListener("input", function () {
          clearTimeout(pending);
          pending = setTimeout(check, 400);
        });
      }
    });
  }
})();
