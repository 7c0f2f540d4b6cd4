"""荣誉证书: the city office's list (print each as an A4 page or PDF, the whole campaign as one PDF, 撤销 with a
reason), the winner's own PDF from 我的报名, and the public check of a code on /zhengshu/ (no sign-in, rate limited).
The rules live in app/certificates.py."""
from urllib.parse import quote

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from app import certificates, jobs, labels, scoping
from app.datamodel import PortalInterface
from app.extensions import db
from app.models import Campaign, Certificate
from app.views.base import PortalModelView
from app.views.jobs import offer
from app.workflow import WorkflowError


def pdf_response(data: bytes, name: str, ascii_name: str) -> Response:
    """A PDF shown in the browser (and saved under a Chinese name, RFC 5987)."""
    response = Response(data, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline", filename=ascii_name,
                         **{"filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")})
    response.headers["Cache-Control"] = "private, no-store"
    return response


def certificate_pdf(certificate: Certificate) -> Response:
    return pdf_response(certificates.pdf([certificate]), _("荣誉证书-%(name)s-%(code)s.pdf", name=certificate.name,
                                                           code=certificate.code),
                        f"certificate-{certificate.code}.pdf")


def _status(revoked_at):
    if revoked_at is None:
        return Markup('<span class="label label-success">{}</span>').format(_("有效"))
    return Markup('<span class="label label-danger">{}</span> {}').format(_("已撤销"),
                                                                          certificates.chinese_date(revoked_at))


class CertificateView(PortalModelView):
    route_base = "/certificates"
    datamodel = PortalInterface(Certificate)
    class_permission_name = "Certificate"
    method_permission_name = {**PortalModelView.method_permission_name, "print_page": "read", "pdf": "read",
                              "campaign_pdf": "read", "revoke": "write"}
    include_route_methods = {"list", "show", "print_page", "pdf", "campaign_pdf", "revoke"}
    list_title = _l("荣誉证书")
    show_title = _l("荣誉证书")
    list_template = "certificates/list.html"
    show_template = "certificates/show.html"
    base_filters = [["id", scoping.CertificateScopeFilter, None]]
    base_order = ("id", "asc")
    label_columns = {**labels.CERTIFICATE, "id": _l("打印"), "revoked_at": _l("状态")}
    list_columns = ["code", "name", "campaign", "featured", "issued_at", "revoked_at", "id"]
    show_columns = ["code", "name", "campaign", "title", "featured", "issued_at", "revoked_at", "revoked_reason"]
    search_columns = ["code", "name", "campaign", "featured"]
    formatters_columns = {
        "revoked_at": _status,
        "id": lambda pk: Markup('<a href="{}" target="_blank" class="print-link">{}</a> · <a href="{}" class="pdf-link">'
                                'PDF</a>').format(url_for("CertificateView.print_page", pk=pk), _("打印"),
                                                  url_for("CertificateView.pdf", pk=pk)),
    }

    def _row(self, pk) -> Certificate:
        certificate = self.datamodel.get(pk, self._base_filters)
        if certificate is None:
            abort(404)
        return certificate

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs["campaigns"] = certificates.campaigns_with_certificates(current_user)
        if template == self.show_template and "pk" in kwargs:
            kwargs["certificate"] = self._row(kwargs["pk"])
        return super().render_template(template, **kwargs)

    @expose("/print/<int:pk>")
    @has_access
    def print_page(self, pk):
        """The certificate as one A4 page, ready to print from the browser."""
        certificate = self._row(pk)
        return self.render_template("certificates/certificate.html", sheet=certificates.sheet(certificate),
                                    issuer=certificates.ISSUER)

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        return certificate_pdf(self._row(pk))

    @expose("/campaign/<int:campaign_id>.pdf", methods=["GET", "POST"])
    @has_access
    def campaign_pdf(self, campaign_id):
        """Every valid certificate of the campaign, one page each, for the print shop: a POST starts the job; a GET
        answers with the page whose button does (app/views/jobs.offer)."""
        campaign = db.session.get(Campaign, campaign_id)
        rows = certificates.of_campaign(campaign_id, current_user) if campaign is not None else []
        if not rows:
            abort(404)
        title = _("下载全部荣誉证书（%(campaign)s）", campaign=campaign.name)
        if request.method == "GET":
            return offer(self, title)
        # Hundreds of pages take a while: a background job draws them (app/certificates.campaign_pdf_job).
        job = jobs.start(current_user, "certificates.campaign_pdf", title, {"campaign_id": campaign.id})
        return redirect(url_for("JobView.show", job_id=job.id))

    @expose("/revoke/<int:pk>", methods=["GET", "POST"])
    @has_access
    def revoke(self, pk):
        """撤销 with a required reason; a refused form keeps what was typed."""
        certificate = self._row(pk)
        reason, error, status = request.form.get("reason", ""), None, 200
        if request.method == "POST":
            try:
                certificates.revoke(current_user, certificate.id, reason)
            except WorkflowError as refused:
                error, status = refused.errors.get("reason") or str(refused), refused.status
            else:
                flash(_("证书 %(code)s 已撤销", code=certificate.code), "success")
                return redirect(url_for(".show", pk=certificate.id))
        return self.render_template("certificates/revoke.html", certificate=certificate, reason=reason,
                                    error=error, max_chars=certificates.REASON_MAX_CHARS), status


class MyCertificateView(BaseView):
    """The winner's own certificate, from 我的报名."""

    route_base = "/certificates/mine"
    class_permission_name = "MyApplication"
    method_permission_name = {"pdf": "read"}

    @expose("/<int:application_id>.pdf")
    @has_access
    def pdf(self, application_id):
        certificate = db.session.query(Certificate).filter_by(application_id=application_id).one_or_none()
        if not scoping.is_own_certificate(current_user, certificate) or certificate.revoked_at is not None:
            abort(404)
        return certificate_pdf(certificate)


class PublicCertificateView(BaseView):
    """/zhengshu/: anyone types (or scans) a certificate's code and sees whether it is genuine. No sign-in."""

    route_base = "/zhengshu"
    default_view = "lookup"

    @expose("/")
    def lookup(self):
        typed = request.args.get("code", "").strip()
        if typed:
            normalised = Certificate.normalise_code(typed)[:40] or "-"
            return redirect(url_for(".verify", code=normalised))
        return self.render_template("certificates/verify.html", facts=None, not_found=False)

    @expose("/<code>")
    def verify(self, code):
        certificate = certificates.find(code)
        if certificate is None:
            # Malformed and unknown alike: one page, one status, nothing echoed back.
            return self.render_template("certificates/verify.html", facts=None, not_found=True), 404
        return self.render_template("certificates/verify.html", facts=certificates.public_facts(certificate),
                                    not_found=False)
