/* Portal behaviour: no inline script anywhere, so the CSP can forbid it. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests carry the CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // Forms that ask for confirmation before a destructive action.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function setupNavToggle() {
    var toggle = document.querySelector(".portal-nav-toggle");
    var list = document.getElementById("portal-nav-list");
    if (!toggle || !list) return;
    toggle.addEventListener("click", function () {
      var open = list.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // KWCAG 2.2.1: warn before the idle timeout and let the user extend the session.
  function setupSessionTimeout() {
    var body = document.body;
    var left = parseInt(body.getAttribute("data-session-seconds-left"), 10);
    if (isNaN(left)) return;
    var warnAt = parseInt(body.getAttribute("data-session-warning-seconds"), 10) || 120;
    var extendUrl = body.getAttribute("data-session-extend-url");
    var timeoutUrl = body.getAttribute("data-session-timeout-url");
    var dialog = document.getElementById("session-timeout");
    var remainingEl = document.getElementById("session-timeout-remaining");
    var extendBtn = document.getElementById("session-extend");
    var deadline = Date.now() + left * 1000;
    var previousFocus = null;
    var lang = document.documentElement.getAttribute("lang") || "ko";

    function format(seconds) {
      var m = Math.floor(seconds / 60);
      var s = seconds % 60;
      if (lang === "en") return (m ? m + " min " : "") + s + " s";
      return (m ? m + "분 " : "") + s + "초";
    }

    function show() {
      if (!dialog.hidden) return;
      previousFocus = document.activeElement;
      dialog.hidden = false;
      extendBtn.focus();
    }

    function hide() {
      dialog.hidden = true;
      if (previousFocus && previousFocus.focus) previousFocus.focus();
    }

    // End the session on the server with a POST: loading a page instead would count
    // as activity and renew a session that is about to expire.
    var expired = false;
    function expire() {
      if (expired) return;
      expired = true;
      var form = document.createElement("form");
      form.method = "post";
      form.action = timeoutUrl;
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrf_token";
      token.value = csrfToken();
      form.appendChild(token);
      document.body.appendChild(form);
      form.submit();
    }

    function tick() {
      var seconds = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      if (seconds <= 0) {
        expire();
        return;
      }
      if (seconds <= warnAt) {
        remainingEl.textContent = format(seconds);
        show();
      }
    }

    extendBtn.addEventListener("click", function () {
      extendBtn.disabled = true;
      fetch(extendUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) throw new Error("extend failed");
        return response.json();
      }).then(function (data) {
        deadline = Date.now() + data.expires_in * 1000;
        hide();
      }).catch(function () {
        expire();
      }).finally(function () {
        extendBtn.disabled = false;
      });
    });

    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Tab") { event.preventDefault(); extendBtn.focus(); }
    });

    tick();
    window.setInterval(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupNavToggle();
    setupSessionTimeout();
  });
})();
