"""我的任务: the page of a background job (app/jobs.py) with its progress bar, its status as JSON for the page's
poll (static/js/job-progress.js), its file once done, and the list of the account's jobs.

Any signed-in account may start jobs through the views that offer them, so these pages need no permission of their
own: a job is its owner's alone (scoping.job_clause), and anyone else gets 404 — not 403, which would say it exists.
"""
from functools import wraps
from urllib.parse import quote

from flask import abort, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import jobs


def signed_in(view):
    @wraps(view)
    def wrapper(self, *args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login_with(request.full_path))
        return view(self, *args, **kwargs)

    return wrapper


def offer(view, title):
    """What a GET of an address that starts a job answers: a page whose button POSTs (with the CSRF token) to the
    same address and query string. Starting a job changes state, so a link, a prefetch or a crawler must not."""
    query = request.query_string.decode("latin-1")
    action = request.path + (f"?{query}" if query else "")
    return view.render_template("jobs/start.html", title=title, action=action)


def start_or_offer(view, kind: str, title, params: dict | None = None):
    """An export's view, once it has checked what it can (404 for a missing campaign): a POST starts the job of kind
    and goes to its page, a GET answers with the page whose button does (offer)."""
    if request.method != "POST":
        return offer(view, title)
    job = jobs.start(current_user, kind, title, params)
    return redirect(url_for("JobView.show", job_id=job.id))


def _owned(job_id):
    job = jobs.find(current_user, job_id)
    if job is None:
        abort(404)
    return job


STATE_LABELS = {"queued": _l("排队中"), "running": _l("进行中"), "done": _l("已完成"), "failed": _l("失败")}


class JobView(BaseView):
    route_base = "/jobs"
    default_view = "mine"

    @expose("/")
    @signed_in
    def mine(self):
        return self.render_template("jobs/list.html", jobs=jobs.mine(current_user), state_labels=STATE_LABELS,
                                    title=_l("我的任务"))

    @expose("/<job_id>")
    @signed_in
    def show(self, job_id):
        job = _owned(job_id)
        if job.state == "done" and (job.result or {}).get("next"):
            return redirect(job.result["next"])  # a job whose result is shown on its own page (自动分配)
        return self.render_template("jobs/show.html", job=job, status=jobs.status(job), state_labels=STATE_LABELS,
                                    poll=(jobs.POLL_FIRST_MS, jobs.POLL_GROWTH, jobs.POLL_MAX_MS))

    @expose("/<job_id>.json")
    @signed_in
    def status(self, job_id):
        job = _owned(job_id)
        response = jsonify({**jobs.status(job), "state_label": str(STATE_LABELS[job.state])})
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/<job_id>/download")
    @signed_in
    def download(self, job_id):
        job = _owned(job_id)
        path = jobs.file_path(job)
        if path is None:
            abort(404)
        response = send_file(path, mimetype=job.mimetype, as_attachment=True, download_name=job.download_name,
                             max_age=0, conditional=False)
        # RFC 5987 / 6266: the Chinese name for browsers, an ASCII one for the rest.
        response.headers.set("Content-Disposition", "attachment", filename=job.ascii_name or "download",
                             **{"filename*": "UTF-8''" + quote(job.download_name or "", safe="!#$&+-.^_`|~")})
        response.headers["Cache-Control"] = "private, no-store"
        return response
