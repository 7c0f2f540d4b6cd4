/* What the pages once did in inline handlers, which the Content-Security-Policy (app/headers.py) refuses:
 *   <button data-print>      prints the page (was onclick="window.print()");
 *   <form data-confirm="…">  asks first and sends nothing unless confirmed (was onsubmit="return confirm('…')").
 * And the file pickers of _file_picker.html: the chosen file's name beside the button (or 未选择文件 again). */
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
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file].file-input")) { return; }
    var shown = document.querySelector('.file-chosen[data-for="' + input.id + '"]');
    if (shown) {
      shown.textContent = input.files.length ? input.files[0].name : shown.getAttribute("data-none");
    }
  });
})();
