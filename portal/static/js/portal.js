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

  // The main menu's drop-downs (KRDS main menu): the server sends each as a <details>, which
  // works without JavaScript; here it becomes a button with aria-expanded controlling its
  // list. Escape closes the open list and returns focus to its button; so does a click or
  // (on wide screens) a focus move outside it. One list is open at a time.
  function setupNavGroups() {
    var groups = [];
    var wide = window.matchMedia("(min-width: 769px)");

    function close(group, focusButton) {
      group.button.setAttribute("aria-expanded", "false");
      group.list.hidden = true;
      if (focusButton) group.button.focus();
    }

    function open(group) {
      groups.forEach(function (other) { if (other !== group) close(other, false); });
      group.button.setAttribute("aria-expanded", "true");
      group.list.hidden = false;
    }

    Array.prototype.forEach.call(document.querySelectorAll("details[data-nav-group]"), function (details) {
      var summary = details.querySelector("summary");
      var list = details.querySelector("ul");
      if (!summary || !list || !list.id) return;
      var item = details.parentNode;
      var button = document.createElement("button");
      button.type = "button";
      button.className = summary.className;
      button.textContent = summary.textContent;
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", list.id);
      list.hidden = true;
      item.insertBefore(button, details);
      item.insertBefore(list, details);
      item.removeChild(details);
      var group = { item: item, button: button, list: list };
      groups.push(group);

      button.addEventListener("click", function () {
        if (button.getAttribute("aria-expanded") === "true") close(group, false);
        else open(group);
      });
      item.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && !list.hidden) {
          event.preventDefault();
          close(group, true);
        }
      });
      item.addEventListener("focusout", function (event) {
        if (wide.matches && !list.hidden && !item.contains(event.relatedTarget)) {
          close(group, false);
        }
      });
    });

    document.addEventListener("click", function (event) {
      groups.forEach(function (group) {
        if (!group.list.hidden && !group.item.contains(event.target)) close(group, false);
      });
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
    setupNavGroups();
    setupSessionTimeout();
  });
})();
