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
