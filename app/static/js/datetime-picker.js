/* The calendar of the portal's date-time fields (app/views/fields.py): a text box that keeps whatever is typed, and a
 * button that opens a month grid with hour, minute and second, writing "2027-01-06 23:59:59" into the box on 确定.
 * Nothing here rewrites the box on its own: typing, Tab, Esc and Enter behave as in any text box.
 * The words come from the page (data-texts), so they follow the page's language. No outside library. */
(function () {
  "use strict";

  var PATTERN = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2}):(\d{1,2}):(\d{1,2})$/;
  var FULL_WIDTH = "０１２３４５６７８９：－／．　";
  var HALF_WIDTH = "0123456789:-/. ";

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function parse(text) {
    var plain = "";
    for (var i = 0; i < text.length; i++) {
      var at = FULL_WIDTH.indexOf(text.charAt(i));
      plain += at >= 0 ? HALF_WIDTH.charAt(at) : text.charAt(i);
    }
    plain = plain.trim().replace(/(\d)[\/.](?=\d)/g, "$1-").replace(/\s+/g, " ");
    var m = PATTERN.exec(plain);
    if (!m) return null;
    var v = {y: +m[1], mo: +m[2], d: +m[3], h: +m[4], mi: +m[5], s: +m[6]};
    var check = new Date(v.y, v.mo - 1, v.d);
    if (check.getMonth() !== v.mo - 1 || check.getDate() !== v.d || v.h > 23 || v.mi > 59 || v.s > 59) return null;
    return v;
  }

  function format(v) {
    return v.y + "-" + pad(v.mo) + "-" + pad(v.d) + " " + pad(v.h) + ":" + pad(v.mi) + ":" + pad(v.s);
  }

  function daysIn(y, mo) {
    return new Date(y, mo, 0).getDate();
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function Picker(root) {
    this.root = root;
    this.input = root.querySelector("input");
    this.button = root.querySelector(".dt-open");
    this.texts = JSON.parse(root.getAttribute("data-texts"));
    this.panel = null;
    var self = this;
    this.onOutside = function (event) {
      if (self.panel && !self.root.contains(event.target)) self.close(false);
    };
    this.onMove = function () {
      self.place();
    };
  }

  // FAB's forms sit in a scrolling .table-responsive that would clip a dropdown: the panel is fixed to the
  // window, under the field (or above it when the window has no room below), and follows it on scroll.
  Picker.prototype.place = function () {
    if (!this.panel) return;
    var field = this.root.getBoundingClientRect();
    var height = this.panel.offsetHeight, width = this.panel.offsetWidth;
    var top = field.bottom + 2;
    if (top + height > window.innerHeight && field.top - height - 2 >= 0) top = field.top - height - 2;
    var left = Math.max(0, Math.min(field.left, window.innerWidth - width));
    this.panel.style.top = top + "px";
    this.panel.style.left = left + "px";
  };

  Picker.prototype.open = function () {
    var now = new Date();
    var v = parse(this.input.value) || {y: now.getFullYear(), mo: now.getMonth() + 1, d: now.getDate(), h: 0, mi: 0, s: 0};
    this.value = v;
    this.build();
    this.button.setAttribute("aria-expanded", "true");
    document.addEventListener("mousedown", this.onOutside);
    window.addEventListener("scroll", this.onMove, true);
    window.addEventListener("resize", this.onMove);
    this.place();
    this.focusDay();
  };

  Picker.prototype.close = function (focusButton) {
    if (!this.panel) return;
    this.panel.parentNode.removeChild(this.panel);
    this.panel = null;
    this.button.setAttribute("aria-expanded", "false");
    document.removeEventListener("mousedown", this.onOutside);
    window.removeEventListener("scroll", this.onMove, true);
    window.removeEventListener("resize", this.onMove);
    if (focusButton) this.button.focus();
  };

  Picker.prototype.build = function () {
    var t = this.texts, self = this;
    var panel = el("div", {"class": "dt-panel", role: "dialog", "aria-label": t.open});
    var head = el("div", {"class": "dt-head"});
    var prev = el("button", {type: "button", "class": "btn btn-default btn-xs dt-prev", title: t.previous, "aria-label": t.previous}, "‹");
    var next = el("button", {type: "button", "class": "btn btn-default btn-xs dt-next", title: t.next, "aria-label": t.next}, "›");
    this.yearSelect = el("select", {"class": "form-control input-sm dt-year", "aria-label": t.year});
    this.monthSelect = el("select", {"class": "form-control input-sm dt-month", "aria-label": t.month});
    t.months.forEach(function (name, i) {
      self.monthSelect.appendChild(el("option", {value: String(i + 1)}, name));
    });
    head.appendChild(prev);
    head.appendChild(this.yearSelect);
    head.appendChild(this.monthSelect);
    head.appendChild(next);
    panel.appendChild(head);

    this.grid = el("table", {"class": "dt-days", role: "grid"});
    var row = el("tr");
    t.weekdays.forEach(function (name) {
      row.appendChild(el("th", {scope: "col"}, name));
    });
    var thead = el("thead");
    thead.appendChild(row);
    this.grid.appendChild(thead);
    this.grid.appendChild(el("tbody"));
    panel.appendChild(this.grid);

    var time = el("div", {"class": "dt-time"});
    this.timeInputs = {};
    [["h", 23, t.hour], ["mi", 59, t.minute], ["s", 59, t.second]].forEach(function (part) {
      var box = el("input", {type: "number", min: "0", max: String(part[1]), step: "1", "class": "form-control input-sm dt-" + part[0], "aria-label": part[2]});
      box.value = pad(self.value[part[0]]);
      self.timeInputs[part[0]] = box;
      time.appendChild(box);
      time.appendChild(el("span", {"class": "dt-unit"}, part[2]));
    });
    panel.appendChild(time);

    var foot = el("div", {"class": "dt-foot"});
    var ok = el("button", {type: "button", "class": "btn btn-primary btn-sm dt-ok"}, t.ok);
    var cancel = el("button", {type: "button", "class": "btn btn-default btn-sm dt-cancel"}, t.cancel);
    foot.appendChild(ok);
    foot.appendChild(cancel);
    panel.appendChild(foot);

    prev.addEventListener("click", function () { self.moveMonth(-1); });
    next.addEventListener("click", function () { self.moveMonth(1); });
    this.yearSelect.addEventListener("change", function () { self.show(+self.yearSelect.value, self.value.mo); });
    this.monthSelect.addEventListener("change", function () { self.show(self.value.y, +self.monthSelect.value); });
    ok.addEventListener("click", function () { self.confirm(); });
    cancel.addEventListener("click", function () { self.close(true); });
    panel.addEventListener("keydown", function (event) { self.onKey(event); });

    this.panel = panel;
    this.root.appendChild(panel);
    this.render();
  };

  // The month shown is always the selected day's month; moving months keeps the day where the month has it.
  Picker.prototype.show = function (y, mo) {
    this.value.y = y;
    this.value.mo = mo;
    this.value.d = Math.min(this.value.d, daysIn(y, mo));
    this.render();
  };

  Picker.prototype.moveMonth = function (delta) {
    var mo = this.value.mo + delta, y = this.value.y;
    if (mo < 1) { mo = 12; y -= 1; }
    if (mo > 12) { mo = 1; y += 1; }
    this.show(y, mo);
  };

  Picker.prototype.moveDay = function (delta) {
    var date = new Date(this.value.y, this.value.mo - 1, this.value.d + delta);
    this.value.y = date.getFullYear();
    this.value.mo = date.getMonth() + 1;
    this.value.d = date.getDate();
    this.render();
    this.focusDay();
  };

  Picker.prototype.render = function () {
    var v = this.value, self = this;
    this.yearSelect.innerHTML = "";
    for (var y = v.y - 10; y <= v.y + 10; y++) {
      this.yearSelect.appendChild(el("option", {value: String(y)}, y + this.texts.yearSuffix));
    }
    this.yearSelect.value = String(v.y);
    this.monthSelect.value = String(v.mo);
    var body = this.grid.querySelector("tbody");
    body.innerHTML = "";
    var offset = (new Date(v.y, v.mo - 1, 1).getDay() + 6) % 7;  // weeks start on Monday
    var count = daysIn(v.y, v.mo);
    var row = el("tr");
    for (var i = 0; i < offset; i++) row.appendChild(el("td"));
    for (var d = 1; d <= count; d++) {
      var cell = el("td");
      var day = el("button", {
        type: "button",
        "class": "dt-day" + (d === v.d ? " active" : ""),
        "data-day": String(d),
        "aria-label": format({y: v.y, mo: v.mo, d: d, h: 0, mi: 0, s: 0}).slice(0, 10),
        "aria-pressed": d === v.d ? "true" : "false",
        tabindex: d === v.d ? "0" : "-1"
      }, String(d));
      cell.appendChild(day);
      row.appendChild(cell);
      if ((offset + d) % 7 === 0) {
        body.appendChild(row);
        row = el("tr");
      }
    }
    if (row.childNodes.length) body.appendChild(row);
    Array.prototype.forEach.call(body.querySelectorAll(".dt-day"), function (button) {
      button.addEventListener("click", function () {
        self.value.d = +button.getAttribute("data-day");
        self.render();
        self.focusDay();
      });
    });
  };

  Picker.prototype.focusDay = function () {
    var day = this.panel && this.panel.querySelector(".dt-day.active");
    if (day) day.focus();
  };

  Picker.prototype.onKey = function (event) {
    var target = event.target;
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close(true);
      return;
    }
    if (target.classList.contains("dt-day")) {
      var moves = {ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7};
      if (moves[event.key]) {
        event.preventDefault();
        this.moveDay(moves[event.key]);
        return;
      }
      if (event.key === "PageUp" || event.key === "PageDown") {
        event.preventDefault();
        this.moveMonth(event.key === "PageUp" ? -1 : 1);
        this.focusDay();
        return;
      }
    }
    // Enter in the time boxes confirms the calendar instead of submitting the form around it.
    if (event.key === "Enter" && target.tagName === "INPUT") {
      event.preventDefault();
      this.confirm();
    }
  };

  Picker.prototype.confirm = function () {
    var v = this.value, ok = true;
    var limits = {h: 23, mi: 59, s: 59};
    for (var part in this.timeInputs) {
      var box = this.timeInputs[part];
      var text = box.value.trim();
      var n = Number(text);
      var valid = /^\d{1,2}$/.test(text) && n <= limits[part];
      box.parentNode.classList.toggle("has-error", false);
      box.setAttribute("aria-invalid", valid ? "false" : "true");
      if (valid) v[part] = n;
      else ok = false;
    }
    if (!ok) {
      this.panel.querySelector(".dt-time").classList.add("has-error");
      return;
    }
    this.input.value = format(v);
    this.input.dispatchEvent(new Event("input", {bubbles: true}));
    this.input.dispatchEvent(new Event("change", {bubbles: true}));
    this.close(false);
    this.input.focus();
  };

  // While typing nothing happens; on leaving the box, a value that is not a date and time says so next to it,
  // and stays as typed (the server says the same on saving).
  function hint(root) {
    var input = root.querySelector("input");
    var texts = JSON.parse(root.getAttribute("data-texts"));
    var note = root.parentNode.querySelector(".dt-hint");
    var bad = input.value.trim() !== "" && parse(input.value) === null;
    root.parentNode.classList.toggle("has-error", bad);
    input.setAttribute("aria-invalid", bad ? "true" : "false");
    if (bad && !note) {
      note = el("span", {"class": "help-block dt-hint", role: "alert"}, texts.invalid);
      root.parentNode.insertBefore(note, root.nextSibling);
    }
    if (!bad && note) note.parentNode.removeChild(note);
  }

  // Delegated, so that fields added later work too (FAB's search filters copy the widget into the page on demand).
  function fieldOf(node, selector) {
    var hit = node && node.closest ? node.closest(selector) : null;
    return hit ? hit.closest("[data-dt-field]") : null;
  }

  document.addEventListener("click", function (event) {
    var root = fieldOf(event.target, ".dt-open");
    if (!root) return;
    var picker = root.dtPicker || (root.dtPicker = new Picker(root));
    if (picker.panel) picker.close(true);
    else picker.open();
  });

  document.addEventListener("focusout", function (event) {
    var root = fieldOf(event.target, "[data-dt-field] > input");
    if (root) hint(root);
  });
})();
