/* The portal's date-time fields (app/views/fields.py) with flatpickr (app/static/vendor/flatpickr/, 4.6.13).
 *
 * The text box stays a plain text box: typing, pasting, Tab, Esc and Enter (which submits the form) behave as in any
 * text box, and nothing rewrites what was typed. flatpickr hangs on a hidden input of its own next to it (never submitted: it has no name) and is
 * opened by the field's calendar button; what is picked there is written into the text box as 2027-01-06 23:59:59.
 * (flatpickr on the text box itself would, with allowInput, re-parse the text on blur and on Enter: a value it cannot
 * read is emptied, and Enter closes the calendar instead of submitting the form.)
 *
 * Keys in the calendar are flatpickr's: arrows move the day, Ctrl+←/→ the month, Ctrl+↑/↓ the year, Enter picks
 * the day and moves to the hour, Tab goes hour → minute → second, Enter there closes it; Esc closes it and gives
 * the focus back to the button.
 *
 * Words: flatpickr's zh locale (or its built-in English when the page is English), Monday first; the labels the
 * locale lacks come from the page (data-texts, the server's catalogs). */
(function () {
  "use strict";

  var FORMAT = "Y-m-d H:i:S";
  var PATTERN = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2}):(\d{1,2}):(\d{1,2})$/;
  // A date-only field (data-mode="date", e.g. 审核确定's decision date): 2018-07-20, the calendar without a time.
  var DATE_FORMAT = "Y-m-d";
  var DATE_PATTERN = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
  var FULL_WIDTH = "０１２３４５６７８９：－／．　";
  var HALF_WIDTH = "0123456789:-/. ";

  // What the server reads (app/views/fields.py parse): the same forms, so the hint and the server agree.
  function parse(text, dateOnly) {
    var plain = "";
    for (var i = 0; i < text.length; i++) {
      var at = FULL_WIDTH.indexOf(text.charAt(i));
      plain += at >= 0 ? HALF_WIDTH.charAt(at) : text.charAt(i);
    }
    plain = plain.trim().replace(/(\d)[\/.](?=\d)/g, "$1-").replace(/\s+/g, " ");
    var m = (dateOnly ? DATE_PATTERN : PATTERN).exec(plain);
    if (!m) return null;
    var y = +m[1], mo = +m[2], d = +m[3], h = +(m[4] || 0), mi = +(m[5] || 0), s = +(m[6] || 0);
    var date = new Date(y, mo - 1, d, h, mi, s);
    if (date.getMonth() !== mo - 1 || date.getDate() !== d || h > 23 || mi > 59 || s > 59) return null;
    return date;
  }

  function textsOf(root) {
    return JSON.parse(root.getAttribute("data-texts"));
  }

  function isDateOnly(root) {
    return root.getAttribute("data-mode") === "date";
  }

  // While typing nothing happens; on leaving the box, a value that is not a date and time says so next to it,
  // and stays as typed (the server says the same on saving).
  function hint(root) {
    var input = root.querySelector("input.form-control");
    var note = root.parentNode.querySelector(".dt-hint");
    var bad = input.value.trim() !== "" && parse(input.value, isDateOnly(root)) === null;
    root.parentNode.classList.toggle("has-error", bad);
    input.setAttribute("aria-invalid", bad ? "true" : "false");
    if (bad && !note) {
      note = document.createElement("span");
      note.className = "help-block dt-hint";
      note.setAttribute("role", "alert");
      note.textContent = textsOf(root).invalid;
      root.parentNode.insertBefore(note, root.nextSibling);
    }
    if (!bad && note) note.parentNode.removeChild(note);
  }

  function attach(root) {
    if (root.dtCalendar) return root.dtCalendar;
    var input = root.querySelector("input.form-control");
    var button = root.querySelector(".dt-open");
    var texts = textsOf(root);
    var english = root.getAttribute("data-locale") === "en";
    var dateOnly = isDateOnly(root);
    var locale = Object.assign({}, english ? flatpickr.l10ns.default : flatpickr.l10ns.zh, {
      firstDayOfWeek: 1,
      hourAriaLabel: texts.hour,
      minuteAriaLabel: texts.minute,
      monthAriaLabel: texts.month,
      yearAriaLabel: texts.year
    });
    var host = document.createElement("input");
    host.className = "dt-host";
    root.parentNode.insertBefore(host, root.nextSibling);  // outside the field: its only input stays the text box

    var opened = "";
    var write = function (text) {
      if (!text || text === input.value) return;
      input.value = text;
      input.dispatchEvent(new Event("input", {bubbles: true}));
      input.dispatchEvent(new Event("change", {bubbles: true}));
      hint(root);
    };
    var calendar = flatpickr(host, {
      locale: locale,
      dateFormat: dateOnly ? DATE_FORMAT : FORMAT,
      ariaDateFormat: english ? "F j, Y" : "Y年n月j日",
      enableTime: !dateOnly,
      enableSeconds: !dateOnly,
      time_24hr: true,
      // Typing goes to the text box, not here: with allowInput flatpickr re-reads its own input on every click
      // outside the calendar and resets the hour/minute/second boxes from it, dropping a time just typed there.
      allowInput: false,
      clickOpens: false,
      disableMobile: true,  // the same calendar on phones, not the browser's own (which has no seconds)
      positionElement: input,
      ignoredFocusElements: [button],  // the button toggles; a mousedown on it must not close the calendar first
      onChange: function (dates, text) {
        if (dates.length) write(text);
      },
      onOpen: function () {
        button.setAttribute("aria-expanded", "true");
      },
      onClose: function (dates) {
        button.setAttribute("aria-expanded", "false");
        // A time changed and left by clicking outside or by Enter is in the hidden input before flatpickr's
        // delayed onChange: take it now.
        if (dates.length && host.value !== opened) write(host.value);
        var active = document.activeElement;
        if (!active || active === document.body || calendar.calendarContainer.contains(active)) {
          (host.value !== opened ? input : button).focus();
        }
      }
    });
    host.hidden = true;  // flatpickr turns it into a text input: it stays out of sight and out of the tab order
    host.tabIndex = -1;
    if (calendar.secondElement) calendar.secondElement.setAttribute("aria-label", texts.second);
    calendar.prevMonthNav.setAttribute("aria-label", texts.previous);
    calendar.prevMonthNav.setAttribute("title", texts.previous);
    calendar.nextMonthNav.setAttribute("aria-label", texts.next);
    calendar.nextMonthNav.setAttribute("title", texts.next);
    calendar.calendarContainer.setAttribute("role", "dialog");
    calendar.calendarContainer.setAttribute("aria-label", texts.open);
    calendar.openOn = function () {
      var value = parse(input.value, dateOnly);
      if (value) calendar.setDate(value, false);
      else calendar.clear(false);
      opened = host.value;
      calendar.open();
      // The keyboard starts on the field's day (or today's, or the month's first).
      var day = calendar.selectedDateElem || calendar.todayDateElem ||
        calendar.daysContainer.querySelector(".flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)");
      if (day) day.focus();
    };
    root.dtCalendar = calendar;
    return calendar;
  }

  // Delegated, so that fields added later work too (FAB's search filters copy the widget into the page on demand).
  function fieldOf(node, selector) {
    var hit = node && node.closest ? node.closest(selector) : null;
    return hit ? hit.closest("[data-dt-field]") : null;
  }

  document.addEventListener("click", function (event) {
    var root = fieldOf(event.target, ".dt-open");
    if (!root) return;
    var calendar = attach(root);
    if (calendar.isOpen) calendar.close();
    else calendar.openOn();
  });

  document.addEventListener("focusout", function (event) {
    var root = fieldOf(event.target, "[data-dt-field] > input.form-control");
    if (root) hint(root);
  });
})();
