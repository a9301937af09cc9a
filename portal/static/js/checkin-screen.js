/* The check-in room screen: count down to the next code and fetch the new one.
   The server renders the fragment (code, QR, count); this file only ticks and swaps it. */
(function () {
  "use strict";

  var REFRESH_EVERY = 5; // seconds: the checked-in count follows closely
  var live = document.getElementById("checkin-live");
  if (!live) return;
  var url = live.getAttribute("data-live-url");
  var offline = document.getElementById("checkin-offline");
  var secondsLeft = 0;
  var active = false;
  var sinceFetch = 0;
  var fetching = false;

  function readState() {
    var inner = live.querySelector(".checkin-live-inner");
    secondsLeft = inner ? parseInt(inner.getAttribute("data-seconds-left"), 10) || 0 : 0;
    active = !!inner && inner.getAttribute("data-active") === "1";
    sinceFetch = 0;
  }

  function showOffline(isOffline) {
    if (offline) offline.hidden = !isOffline;
  }

  function refresh() {
    if (fetching) return;
    fetching = true;
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (response) {
        // A logged-out screen is redirected to the login page: keep the old code off it.
        if (!response.ok || response.headers.get("X-Checkin-Live") !== "1") {
          throw new Error("not the live fragment");
        }
        return response.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        showOffline(false);
        readState();
      })
      .catch(function () {
        showOffline(true);
        sinceFetch = 0;
        // A code past its time would only be refused: take it off the screen.
        if (secondsLeft <= 0) {
          live.innerHTML = "";
          active = false; // retry every few seconds, not every second
        }
      })
      .then(function () {
        fetching = false;
      });
  }

  function tick() {
    sinceFetch += 1;
    if (secondsLeft > 0) secondsLeft -= 1;
    var counter = document.getElementById("checkin-seconds");
    if (counter) counter.textContent = String(secondsLeft);
    if ((active && secondsLeft <= 0) || sinceFetch >= REFRESH_EVERY) refresh();
  }

  readState();
  window.setInterval(tick, 1000);
})();
