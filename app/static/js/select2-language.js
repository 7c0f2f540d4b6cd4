/* Select2's own words (“No results found”, “Searching…”, the clear button's “Remove all items”) in the page's
 * language: FAB's Select2 4.0.13 ships English only. The words come from the server's catalog, as data-* attributes
 * of this script's tag (app/templates/appbuilder/init.html), so English pages stay English. */
(function () {
  "use strict";
  var words = document.currentScript.dataset;
  if (!window.jQuery || !jQuery.fn.select2 || !jQuery.fn.select2.defaults) return;
  function count(text, n) { return text.replace("{n}", n); }
  jQuery.fn.select2.defaults.set("language", {
    errorLoading: function () { return words.errorLoading; },
    inputTooLong: function (args) { return count(words.inputTooLong, args.input.length - args.maximum); },
    inputTooShort: function (args) { return count(words.inputTooShort, args.minimum - args.input.length); },
    loadingMore: function () { return words.loadingMore; },
    maximumSelected: function (args) { return count(words.maximumSelected, args.maximum); },
    noResults: function () { return words.noResults; },
    searching: function () { return words.searching; },
    removeAllItems: function () { return words.removeAllItems; },
    removeItem: function () { return words.removeItem; },
    search: function () { return words.search; }
  });
})();

/* Select2 4.0.13's multiple box is not accessible as it comes: its inline search field has no name, and its
 * 清除全部 button sits directly in the <ul> of choices. Each box, once drawn, names its search field after the
 * select's own label and moves the button out of the list. */
(function () {
  "use strict";
  if (!window.jQuery) return;
  function mend(container) {
    var box = jQuery(container);
    var select = box.prev("select");
    var label = select.attr("id") ? jQuery("label[for='" + select.attr("id") + "']").text().trim() : "";
    box.find(".select2-search__field").each(function () {
      if (!this.getAttribute("aria-label")) this.setAttribute("aria-label", label || select.attr("name") || "");
    });
    // Each redraw brings a new button into the list: it replaces the one moved before, which also goes when
    // nothing is chosen any more.
    var selection = box.find(".select2-selection--multiple");
    var fresh = selection.find("ul.select2-selection__rendered > .select2-selection__clear");
    if (fresh.length || !selection.find(".select2-selection__choice").length) {
      selection.children(".select2-selection__clear").remove();
    }
    selection.append(fresh);
  }
  document.addEventListener("DOMContentLoaded", function () {
    // Select2 draws a box, then redraws its choices at each change: mend only the boxes a change touched.
    new MutationObserver(function (records) {
      var touched = new Set();
      records.forEach(function (record) {
        var box = record.target.closest ? record.target.closest(".select2-container") : null;
        if (box) touched.add(box);
        record.addedNodes.forEach(function (node) {  // a box drawn after this script's first pass
          if (node.classList && node.classList.contains("select2-container")) touched.add(node);
        });
      });
      touched.forEach(mend);
    }).observe(document.body, { childList: true, subtree: true });
    document.querySelectorAll(".select2-container").forEach(mend);
  });
})();
