"""/api/v1/approval/<campaign_id>: 审核确定 over REST — the campaign's state (why approval is not possible now, or the
recorded decision) for the city office and the auditor, and the city office's recording of the decision through
app/approval.py, with the same checks and Chinese messages as the 审核确定 page."""
from flask import request, url_for
from flask_appbuilder.api import expose, protect, safe
from flask_login import current_user

from app import approval
from app.api.base import PortalBaseApi, answers_refusals
from app.extensions import db
from app.models import Campaign, CampaignApproval
from app.workflow import WorkflowError


def decision_json(record: CampaignApproval) -> dict:
    return {
        "decided_on": record.decided_on.isoformat(),
        "document_number": record.document_number,
        "decision_file_name": record.decision_original_name,
        "decision_url": url_for("ApprovalView.decision_file", campaign_id=record.campaign_id),
        "recorded_at": record.recorded_at.isoformat(sep=" "),
        "recorded_by": approval.recorder_label(record),
        "winners": record.winners,
        "featured": record.featured,
    }


def state_json(campaign: Campaign) -> dict:
    record = approval.approval_of(campaign)
    window = campaign.window("publicity")
    return {
        "campaign_id": campaign.id,
        "campaign": campaign.name,
        "approved": record is not None,
        "refusal": approval.refusal(campaign) if record is None else None,
        "decision": decision_json(record) if record is not None else None,
        "publicity": {
            "starts_at": window.starts_at.isoformat(sep=" ") if window and window.starts_at else None,
            "ends_at": window.ends_at.isoformat(sep=" ") if window and window.ends_at else None,
        },
        "open_objections": approval.open_objections(campaign.id),
        "counts": approval.counts(campaign),
    }


class ApprovalApi(PortalBaseApi):
    resource_name = "approval"
    class_permission_name = "Approval"
    method_permission_name = {"get_state": "read", "post_decision": "write"}
    openapi_spec_tag = "Approval"

    @expose("/<int:campaign_id>", methods=["GET"])
    @protect()
    @safe
    def get_state(self, campaign_id):
        """A campaign's 审核确定: `refusal` says why it cannot be recorded now (null when it can), `decision` is the
        recorded one (null before).
        ---
        get:
          parameters:
          - {in: path, name: campaign_id, schema: {type: integer}}
          responses:
            200: {description: "campaign_id, approved, refusal, decision, publicity, open_objections, counts"}
            403: {description: not the city office or the auditor}
            404: {description: no such campaign}
        """
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            return self.response_404()
        return self.response(200, **state_json(campaign))

    @expose("/<int:campaign_id>", methods=["POST"])
    @protect()
    @safe
    @answers_refusals
    def post_decision(self, campaign_id):
        """Record the leading group's decision: multipart/form-data with `decided_on` (YYYY-MM-DD),
        `document_number` (文号, e.g. 京学习办〔2018〕5号) and `decision_file` (the PDF). Once, after 公示, with no
        objection open; the candidates become winners and past winners, each with a certificate.
        ---
        post:
          parameters:
          - {in: path, name: campaign_id, schema: {type: integer}}
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    decided_on: {type: string, format: date}
                    document_number: {type: string}
                    decision_file: {type: string, format: binary}
          responses:
            201: {description: "decision: the recorded decision"}
            403: {description: not the city office}
            404: {description: no such campaign}
            409: {description: "not possible now (message: before the end of 公示, already approved, objections open)"}
            422: {description: "errors: field -> message (decided_on, document_number, decision_file)"}
        """
        if db.session.get(Campaign, campaign_id) is None:
            return self.response_404()
        errors = {}
        decision = None
        upload = request.files.get("decision_file")
        if upload is not None and upload.filename:
            try:
                decision = approval.receive_decision(upload.stream, upload.filename)
            except WorkflowError as refused:
                errors.update(refused.errors)
        try:
            if errors:  # the other fields' messages too, in one answer
                approval.check(current_user, campaign_id, request.form.get("decided_on", ""),
                               request.form.get("document_number", ""), decision)
                raise WorkflowError(next(iter(errors.values())), errors=errors, status=422)
            record = approval.approve(current_user, campaign_id, request.form.get("decided_on", ""),
                                      request.form.get("document_number", ""), decision)
        except WorkflowError as refused:
            if decision is not None:
                decision.path.unlink(missing_ok=True)  # a REST client sends the file again with its next try
            if refused.status == 422:
                merged = {**refused.errors, **errors}
                raise WorkflowError("；".join(merged.values()), errors=merged, status=422) from None
            raise
        return self.response(201, decision=decision_json(record), counts=approval.counts(record.campaign))
