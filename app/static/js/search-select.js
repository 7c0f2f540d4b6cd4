/* A select searched on demand (app/views/fields.py search_select: a list's unit filter, the applicant a conflict of
 * interest names): select2 asks the server for what matches what is typed (data-endpoint?q=…), instead of a page
 * carrying every unit or every applicant. FAB's filter bar inserts its select when a filter is added, so selects are
 * taken up as they appear. */
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
    // Select2 names its box by what is chosen (a title), so an empty box has no name a screen reader can read out:
    // it gets the field's label (a form's) or its placeholder (a filter's).
    var label = select.id ? document.querySelector("label[for='" + select.id + "']") : null;
    var name = (label && label.textContent.trim()) || select.dataset.placeholder || select.name;
    jQuery(select).data("select2").$container.find(".select2-selection__rendered").attr("aria-label", name);
  }

  function scan(root) {
    if (root.querySelectorAll) root.querySelectorAll("select.search-select").forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", function () {
    scan(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) { change.addedNodes.forEach(scan); });
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
