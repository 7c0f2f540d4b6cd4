"""/api/v1/jobs/<id>: a background job's state for REST clients (app/jobs.py) — what a 202 answer's status_url
points at (自动分配 over REST). Every account may ask (roles.yaml base: Jobs can_read), about its own jobs only:
another's, an expired or an unknown id is 404 alike."""
from flask_appbuilder.api import expose, protect, safe
from flask_login import current_user

from app import jobs
from app.api.base import PortalBaseApi

# What of a job's result a REST client gets: the summary of its work, never the page to forward to.
RESULT_KEYS = ("ok", "assignment", "errors")


def status_url(job) -> str:
    return f"/api/v1/jobs/{job.id}"


def accepted(api, job):
    """The 202 answer of an endpoint that started job: its id and where to follow it."""
    return api.response(202, id=job.id, state=job.state, status_url=status_url(job))


class JobApi(PortalBaseApi):
    resource_name = "jobs"
    class_permission_name = "Jobs"
    method_permission_name = {"get": "read"}
    include_route_methods = {"get"}

    @expose("/<job_id>", methods=["GET"])
    @protect()
    @safe
    def get(self, job_id):
        """A job of the signed-in account: state (queued, running, done, failed), progress, the error (Chinese)
        of a failed one, the result of a finished one.
        ---
        get:
          parameters:
          - {in: path, name: job_id, schema: {type: string}}
          responses:
            200: {description: "id, kind, title, state, done, total, percent, error, result"}
            404: {description: "no such job of this account (another's, expired, unknown)"}
        """
        job = jobs.find(current_user, job_id)
        if job is None:
            return self.response_404()
        status = jobs.status(job)
        result = {key: value for key, value in (job.result or {}).items() if key in RESULT_KEYS} \
            if job.state == "done" else None
        return self.response(200, id=job.id, kind=job.kind, title=job.title, state=job.state,
                             done=status["done"], total=status["total"], percent=status["percent"],
                             error=status["error"], result=result)
