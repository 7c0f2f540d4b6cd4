/* What the pages once did in inline handlers, which the Content-Security-Policy (app/headers.py) refuses:
 *   <button data-print>      prints the page (was onclick="window.print()");
 *   <form data-confirm="…">  asks first and sends nothing unless confirmed (was onsubmit="return confirm('…')"). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
