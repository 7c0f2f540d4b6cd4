/* 专家评审: the running weighted total (the formula of app/scoring.py's weighted_total) and the quick picks. */
(function () {
  var form = document.getElementById("score-form");
  if (!form) { return; }
  var out = document.getElementById("running-total");
  function total() {
    var rows = form.querySelectorAll(".criterion"), weights = 0, sum = 0, any = false;
    for (var i = 0; i < rows.length; i++) {
      var weight = parseFloat(rows[i].getAttribute("data-weight")), max = parseFloat(rows[i].getAttribute("data-max"));
      var input = rows[i].querySelector("input.score-input"), value = parseFloat(input.value);
      weights += weight;
      if (!isNaN(value) && value >= 0 && value <= max) { sum += weight * value / max; any = true; }
    }
    // Half up to two places, as Decimal.quantize(ROUND_HALF_UP) does (the epsilon absorbs binary fractions).
    out.textContent = any && weights ? (Math.round((sum / weights * 100 + 1e-9) * 100) / 100).toFixed(2) : "—";
  }
  form.addEventListener("input", total);
  form.addEventListener("click", function (event) {
    var pick = event.target.closest ? event.target.closest(".quick-pick") : null;
    if (!pick) { return; }
    var input = pick.closest(".criterion").querySelector("input.score-input");
    input.value = pick.getAttribute("data-value");
    total();
  });
  total();
}());
