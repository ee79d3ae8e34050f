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

// Live referral status: the API's `referralUpdated` subscription over a
// WebSocket to this host (graphql-transport-ws); the socket carries the
// session cookie, so the page never sees the token.
(function () {
  "use strict";
  var tags = document.querySelectorAll("[data-referral-status]");
  var labels = document.querySelector("[data-status-labels]");
  if (!tags.length || !labels || !window.WebSocket) { return; }
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + location.host + "/graphql/ws", "graphql-transport-ws");
  socket.addEventListener("open", function () {
    socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
  });
  socket.addEventListener("message", function (event) {
    var message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      // One subscription to the center's referrals, whatever the list's
      // length: a socket runs at most 16 operations.
      var only = tags.length === 1 ? tags[0].getAttribute("data-referral-status") : null;
      socket.send(JSON.stringify({
        id: "1",
        type: "subscribe",
        payload: {
          query: "subscription($id: ID) { referralUpdated(id: $id) { id status overdue } }",
          variables: { id: only }
        }
      }));
    } else if (message.type === "next" && message.payload && message.payload.data) {
      var referral = message.payload.data.referralUpdated;
      tags.forEach(function (tag) {
        if (tag.getAttribute("data-referral-status") !== referral.id) { return; }
        var code = referral.status.toLowerCase();
        var label = labels.getAttribute("data-" + code.replace(/_/g, "-"));
        tag.textContent = label || referral.status;
        tag.className = "tag tag--" + code;
      });
    }
  });
})();
