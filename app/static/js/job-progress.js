/* A background job's page (templates/jobs/show.html): asks /jobs/<id>.json and moves the progress bar until the job
 * is done (then shows 下载) or failed (then shows its error). The waits between asks come from data-poll ("first ms,
 * growth, max ms": app/jobs.py), so a short job is offered at once and a long one asked about once a second; a wait
 * is cut short when the progress seen so far says the job will be done sooner (the rows done since the first answer
 * over the time they took, carried over the rows left), and once every row is done (the file is being finished)
 * it asks every first ms until the job is done: that is the last second or so of the job, and a wait growing again
 * offered the file up to 0.7 s late. A static file: the Content-Security-Policy refuses inline scripts.
 * bench/export.py polls on the same schedule (its PageSchedule): keep the two alike. */
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
  var first = schedule[0];
  var delay = first;
  var since = null; // the first answer with a total: {at: ms, done: rows}
  var finishing = false;

  function next(status) {
    var now = window.performance.now();
    var counted = status && status.total;
    if (counted && since === null) {
      since = {at: now, done: status.done};
    }
    if (counted && status.done >= status.total && !finishing) {
      finishing = true;
      delay = first;
    }
    var wait = delay;
    if (!finishing) {
      delay = Math.min(delay * schedule[1], schedule[2]);
    }
    if (counted && status.done < status.total && status.done > since.done) {
      var left = (status.total - status.done) * (now - since.at) / (status.done - since.done);
      wait = Math.min(wait, Math.max(first, left));
    }
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
          window.setTimeout(poll, next(status));
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  if (!ready.hidden || !error.hidden) {
    return;
  }
  window.setTimeout(poll, next(null));
})();
