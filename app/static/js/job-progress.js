/* A background job's page (templates/jobs/show.html): asks /jobs/<id>.json and moves the progress bar until the job
 * is done (then shows 下载) or failed (then shows its error). The waits between asks come from data-poll ("first ms,
 * growth, max ms": app/jobs.py), so a short job is offered at once and a long one asked about once a second. A
 * static file: the Content-Security-Policy refuses inline scripts. */
(function () {
  "use strict";
  var page = document.querySelector("[data-job-status]");
  if (!page) {
    return;
  }
  var bar = page.querySelector(".progress-bar");
  var state = page.querySelector(".job-state");
  var count = page.querySelector(".job-count");
  var error = page.querySelector(".job-error");
  var ready = page.querySelector(".job-ready");
  var waiting = page.querySelector(".job-waiting");
  var schedule = (page.getAttribute("data-poll") || "1000,1,1000").split(",").map(Number);
  var delay = schedule[0];

  function next() {
    var wait = delay;
    delay = Math.min(delay * schedule[1], schedule[2]);
    return wait;
  }

  function show(status) {
    bar.style.width = status.percent + "%";
    bar.textContent = status.percent + "%";
    bar.setAttribute("aria-valuenow", status.percent);
    state.textContent = status.state_label;
    if (status.total !== null && status.total !== undefined) {
      count.textContent = status.done + " / " + status.total;
    }
    if (status.state === "done") {
      if (status.next) {
        window.location.assign(status.next);
        return true;
      }
      bar.classList.add("progress-bar-success");
      if (status.has_file) {
        ready.hidden = false;
      }
      waiting.hidden = true;
      return true;
    }
    if (status.state === "failed") {
      bar.classList.add("progress-bar-danger");
      error.textContent = status.error || "";
      error.hidden = false;
      waiting.hidden = true;
      return true;
    }
    return false;
  }

  function poll() {
    fetch(page.getAttribute("data-job-status"), {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (status) {
        if (!show(status)) {
          window.setTimeout(poll, next());
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  if (!ready.hidden || !error.hidden) {
    return;
  }
  window.setTimeout(poll, next());
})();
