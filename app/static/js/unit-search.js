/* The unit filter of a list (app/views/fields.py UnitSearchWidget): a select2 that asks the server for the units
 * whose name contains what is typed (data-endpoint?q=…), instead of a page carrying every unit. FAB's filter bar
 * inserts the select when a filter is added, so selects are taken up as they appear. */
(function () {
  "use strict";

  function enhance(select) {
    if (select.dataset.enhanced) return;
    select.dataset.enhanced = "1";
    jQuery(select).select2({
      theme: "bootstrap",
      allowClear: true,
      width: "100%",
      placeholder: select.dataset.placeholder || "",
      ajax: {
        url: select.dataset.endpoint,
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "" }; },
        processResults: function (data) { return data; }
      }
    });
  }

  function scan(root) {
    if (root.querySelectorAll) root.querySelectorAll("select.unit-search").forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", function () {
    scan(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) { change.addedNodes.forEach(scan); });
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
