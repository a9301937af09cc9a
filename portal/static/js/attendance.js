/* The attendance roster: each row's form saves through htmx; keep counts and messages current. */
(function () {
  "use strict";

  function live(text) {
    var region = document.getElementById("attendance-live");
    if (!region || !text) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function recount() {
    var counts = { present: 0, late: 0, excused: 0, absent: 0, unmarked: 0 };
    document.querySelectorAll(".attendance-row[data-status]").forEach(function (row) {
      var key = row.getAttribute("data-status");
      if (key in counts) counts[key] += 1;
    });
    Object.keys(counts).forEach(function (key) {
      var el = document.querySelector('[data-count="' + key + '"]');
      if (el) el.textContent = String(counts[key]);
    });
  }

  // A refused mark (409 version conflict, 422 bad input) still answers with the row,
  // showing the current state and the reason: swap it in like a success.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status !== 409 && status !== 422) return;
    var body = event.detail.xhr.responseText || "";
    if (body.indexOf("attendance-row") !== -1 && body.indexOf("<tr") !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else {
      var holder = document.createElement("div");
      holder.innerHTML = body;
      live(holder.textContent.trim());
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var row = event.detail.elt;
    if (!row || !row.classList || !row.classList.contains("attendance-row")) return;
    recount();
    live(row.getAttribute("data-message"));
  });

  document.addEventListener("htmx:sendError", function () {
    live(document.documentElement.lang === "en"
      ? "Could not reach the server. Please try again."
      : "서버에 연결하지 못했습니다. 다시 시도해 주세요.");
  });
})();
