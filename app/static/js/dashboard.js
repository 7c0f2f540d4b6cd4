/* 工作台 (app/templates/dashboard/index.html): draws each <canvas data-chart="…"> with Chart.js
 * (app/static/vendor/chartjs/) from the page's <script type="application/json" id="dashboard-data">.
 * No data comes from anywhere else; the numbers are also in the tables beside the charts. */
(function () {
  "use strict";

  var blob = document.getElementById("dashboard-data");
  if (!blob || typeof Chart === "undefined") {
    return;
  }
  var charts = JSON.parse(blob.textContent || "{}");
  var FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  Chart.defaults.font.family = FONT;
  Chart.defaults.animation = false;  // drawn at once: nothing moves for people who read the page slowly

  function config(spec) {
    var datasets = spec.datasets.map(function (set) {
      return {label: set.label, data: set.data, backgroundColor: set.color, borderColor: "#fff", borderWidth: 1};
    });
    var many = spec.datasets.length > 1 || spec.type === "doughnut";
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        title: {display: true, text: spec.title},
        legend: {display: many, position: "bottom"}
      }
    };
    if (spec.type === "doughnut") {
      return {type: "doughnut", data: {labels: spec.labels, datasets: datasets}, options: options};
    }
    var stacked = spec.type === "stacked";
    options.indexAxis = spec.horizontal ? "y" : "x";
    var count = {beginAtZero: true, ticks: {precision: 0}, stacked: stacked};
    var names = {stacked: stacked, ticks: {autoSkip: false}};
    options.scales = spec.horizontal ? {x: count, y: names} : {x: names, y: count};
    return {type: "bar", data: {labels: spec.labels, datasets: datasets}, options: options};
  }

  var canvases = document.querySelectorAll("canvas[data-chart]");
  Array.prototype.forEach.call(canvases, function (canvas) {
    var spec = charts[canvas.getAttribute("data-chart")];
    if (spec) {
      new Chart(canvas, config(spec));
    }
  });
})();
