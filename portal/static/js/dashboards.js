/* Dashboards (templates/dashboards/): draw each chart from the JSON block its canvas names.
   The data tables beside the charts hold every number, so a page without script loses
   nothing but the pictures. No inline script: the CSP allows only files under /static. */
(function () {
  "use strict";
  var COLOURS = ["#256ef4", "#e06b00", "#1c8a4c", "#8a3ffc", "#d6336c", "#0b7285"];
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function format(value, percent) {
    if (value === null || value === undefined) { return "—"; }
    return percent ? value.toFixed(1) + "%" : value.toLocaleString();
  }

  function wrap(text, width) {
    if (text.length <= width) { return text; }
    var lines = [];
    for (var i = 0; i < text.length && lines.length < 3; i += width) {
      lines.push(text.slice(i, i + width));
    }
    if (lines.join("").length < text.length) { lines[2] = lines[2].slice(0, width - 1) + "…"; }
    return lines;
  }

  function config(spec) {
    var doughnut = spec.kind === "doughnut";
    var datasets = spec.datasets.map(function (set, i) {
      return {
        label: set.label,
        data: set.data,
        backgroundColor: doughnut ? COLOURS : COLOURS[i % COLOURS.length],
        borderWidth: doughnut ? 1 : 0
      };
    });
    var valueAxis = {
      beginAtZero: true,
      stacked: spec.stacked,
      ticks: { callback: function (v) { return spec.percent ? v + "%" : v.toLocaleString(); } }
    };
    if (spec.percent) { valueAxis.max = 100; }
    var labelAxis = {
      stacked: spec.stacked,
      ticks: {
        autoSkip: false,
        // Long course and department names wrap instead of running off a phone's screen.
        callback: function (value) {
          var text = String(this.getLabelForValue(value));
          return wrap(text, this.chart.width < 560 ? 9 : 18);
        }
      }
    };
    return {
      type: spec.kind,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: reduced ? false : { duration: 400 },
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: {
          legend: { display: datasets.length > 1 || doughnut, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                var prefix = item.dataset.label ? item.dataset.label + ": " : "";
                return prefix + format(item.raw, spec.percent);
              }
            }
          }
        },
        scales: doughnut ? {} : (spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis })
      }
    };
  }

  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    window.Chart.defaults.font.size = 14;
    window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#1e2124";
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) { return; }
      var spec;
      try { spec = JSON.parse(source.textContent); } catch (e) { return; }
      var drawable = spec.datasets.some(function (set) {
        return set.data.some(function (v) { return typeof v === "number" && v !== 0; });
      });
      if (!spec.labels.length || !drawable) {
        // Nothing to draw (no rows, or every value empty or zero): the table says so.
        var box = canvas.closest(".dash-chart");
        box.hidden = true;
        var note = document.createElement("p");
        note.className = "portal-muted";
        note.textContent = canvas.getAttribute("data-empty") || "";
        box.parentNode.insertBefore(note, box);
        return;
      }
      if (spec.horizontal) {
        // Room for every bar: a long list of departments or courses grows the chart.
        var rows = spec.labels.length * Math.max(1, spec.stacked ? 1 : spec.datasets.length);
        var narrow = canvas.parentElement.clientWidth < 560;
        canvas.parentElement.style.height = Math.max(180, 70 + rows * (narrow ? 30 : 22)) + "px";
      }
      new window.Chart(canvas, config(spec));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
