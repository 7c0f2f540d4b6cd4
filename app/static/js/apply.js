// 在线报名 page: organisation cascade, live character counter, photo/video upload with checks and progress.
(function () {
  "use strict";
  var form = document.getElementById("apply-form");
  if (!form) return;
  // The page's words come from the server's catalog, so the script speaks the page's language.
  var T = JSON.parse(document.getElementById("apply-messages").textContent);
  function t(key, values) {
    return T[key].replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  // --- cascade: category → first-level unit → second-level unit -----------------------------------------------
  var category = document.getElementById("category");
  var firstLevel = document.getElementById("first_level");
  var unit = document.getElementById("unit_id");
  var unitsUrl = category.getAttribute("data-units-url");

  function fill(select, units) {
    select.innerHTML = "";
    var blank = document.createElement("option");
    blank.value = ""; blank.textContent = T.choose;
    select.appendChild(blank);
    units.forEach(function (u) {
      var option = document.createElement("option");
      option.value = String(u.id); option.textContent = u.name;
      select.appendChild(option);
    });
  }
  function load(query, select) {
    return fetch(unitsUrl + "?" + query, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) { fill(select, data.units); });
  }
  category.addEventListener("change", function () {
    fill(unit, []);
    if (!category.value) { fill(firstLevel, []); return; }
    load("category=" + encodeURIComponent(category.value), firstLevel);
  });
  firstLevel.addEventListener("change", function () {
    if (!firstLevel.value) { fill(unit, []); return; }
    load("parent=" + encodeURIComponent(firstLevel.value), unit);
  });

  // --- deeds: characters, not bytes (Array.from counts code points, as Python's len does) ------------------------
  var deeds = document.getElementById("deeds");
  var counter = document.getElementById("deeds-counter");
  var max = parseInt(deeds.getAttribute("data-max"), 10);
  function count() {
    var n = Array.from(deeds.value.replace(/\r\n/g, "\n").trim()).length;
    counter.textContent = String(n);
    counter.classList.toggle("over", n > max);
  }
  deeds.addEventListener("input", count);
  count();

  // --- ID number: birth date and gender follow from it ------------------------------------------------------------
  var idNumber = document.getElementById("id_number");
  idNumber.addEventListener("change", function () {
    // A phone's Chinese keyboard types full-width digits and spaces: read them as the server does (NFKC).
    var v = idNumber.value.normalize("NFKC").replace(/\s/g, "").toUpperCase();
    if (!/^\d{17}[\dX]$/.test(v)) return;
    var birth = v.substr(6, 4) + "-" + v.substr(10, 2) + "-" + v.substr(12, 2);
    document.getElementById("birth_date").value = birth;
    document.getElementById("gender").value = parseInt(v.charAt(16), 10) % 2 ? "male" : "female";
  });

  // --- uploads: checked in the browser first, sent on their own, with progress for the video -----------------
  function human(bytes) { return (bytes / 1024 / 1024).toFixed(1) + "MB"; }

  function upload(kind, accept, label) {
    var box = document.getElementById(kind + "-box");
    var input = document.getElementById(kind);
    var status = document.getElementById(kind + "-status");
    var progress = document.getElementById(kind + "-progress");
    var bar = progress ? progress.querySelector(".progress-bar") : null;
    var limit = parseInt(box.getAttribute("data-max"), 10);

    function say(text, ok) {
      status.textContent = text;
      status.className = "help-block upload-status " + (ok ? "ok" : "bad");
      // The status is in the input's aria-describedby: a refused file also marks the input, for screen readers.
      if (ok) { input.removeAttribute("aria-invalid"); } else { input.setAttribute("aria-invalid", "true"); }
    }
    input.addEventListener("change", function () {
      var file = input.files[0];
      if (!file) return;
      if (file.size > limit) {
        say(t("too_big", {label: label, size: human(file.size), limit: human(limit)}), false);
        input.value = ""; return;
      }
      if (accept.indexOf(file.type) < 0 && !(kind === "video" && /\.mp4$/i.test(file.name))) {
        say(kind === "photo" ? T.photo_type : T.video_type, false);
        input.value = ""; return;
      }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", box.getAttribute("data-url"));
      xhr.setRequestHeader("X-CSRFToken", (form.querySelector("input[name=csrf_token]") || {}).value || "");
      xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      if (progress) {
        var show = function (pct) {
          bar.style.width = pct + "%"; bar.textContent = pct + "%"; bar.setAttribute("aria-valuenow", pct);
        };
        show(0);  // from 0 again: not the previous file's 100% while this one has barely started
        progress.hidden = false;
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) show(Math.floor(e.loaded * 100 / e.total));
        });
      }
      say(kind === "video" ? T.video_checking : T.photo_checking, true);
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
        if (xhr.status === 200) {
          say(t("uploaded", {label: label, name: data.name || file.name}), true);
          var preview = document.getElementById(kind === "photo" ? "photo-preview" : "video-player");
          preview.src = data.url; preview.hidden = false;
          if (kind === "video") {  // accepted, but with something to know before submitting (silent sound)
            var warning = document.getElementById("video-warning");
            warning.textContent = data.warning || ""; warning.hidden = !data.warning;
          }
        } else if (xhr.status === 413) {
          say(t("too_large", {label: label}), false);
        } else {
          say(data.message || T.failed, false);
        }
        input.value = "";
      };
      xhr.onerror = function () { say(T.network, false); };
      xhr.send(file);
    });
  }
  upload("photo", ["image/jpeg", "image/png"], T.photo);
  upload("video", ["video/mp4"], T.video);

  // --- 提交报名 cannot be undone: ask first, in a modal dialog (Esc or 取消 goes back; 确定提交 submits) ----------
  var submitButton = document.getElementById("submit-button");
  var dialog = document.getElementById("submit-confirm");
  var confirmed = false;
  if (submitButton && dialog && typeof dialog.showModal === "function") {
    form.addEventListener("submit", function (event) {
      if (event.submitter !== submitButton || confirmed) return;
      event.preventDefault();
      document.getElementById("confirm-name").textContent = document.getElementById("name").value.trim() || "—";
      document.getElementById("confirm-unit").textContent = unit.value
        ? firstLevel.options[firstLevel.selectedIndex].text + " · " + unit.options[unit.selectedIndex].text : "—";
      dialog.showModal();
    });
    document.getElementById("confirm-cancel").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { if (!confirmed) submitButton.focus(); });
    document.getElementById("confirm-ok").addEventListener("click", function () {
      confirmed = true;
      dialog.close();
      form.requestSubmit(submitButton);  // carries intent=submit, as the button itself would
    });
  }
})();
