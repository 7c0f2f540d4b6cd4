"""/api/v1/certificate/: the 荣誉证书 over REST, read-only (the city office and the auditor, as on the screen), and
/api/v1/public/zhengshu/<code>: the public check of a code, no sign-in, the same facts as /zhengshu/<code>."""
from flask_appbuilder.api import BaseApi, expose
from flask_babel import lazy_gettext as _l

from app import certificates, labels, scoping
from app.api.base import ChineseAnswers, PortalRestApi
from app.datamodel import PortalInterface
from app.models import Certificate


class CertificateApi(PortalRestApi):
    resource_name = "certificate"
    datamodel = PortalInterface(Certificate)
    class_permission_name = "Certificate"
    include_route_methods = {"get", "get_list", "info"}
    base_filters = [["id", scoping.CertificateScopeFilter, None]]
    base_order = ("id", "asc")
    label_columns = {**labels.CERTIFICATE}
    list_title, show_title, add_title, edit_title = _l("荣誉证书"), _l("荣誉证书"), _l("荣誉证书"), _l("荣誉证书")
    list_columns = ["id", "code", "name", "campaign_id", "campaign.name", "title", "featured", "issued_at",
                    "revoked_at", "revoked_reason", "application_id"]
    show_columns = list_columns
    search_columns = ["code", "name", "campaign", "featured"]
    openapi_spec_tag = "Certificates"


class PublicCertificateApi(ChineseAnswers, BaseApi):
    """No sign-in: anyone may check one code at a time (rate limited per address, app/__init__.py)."""

    route_base = "/api/v1/public/zhengshu"
    resource_name = "public_zhengshu"
    openapi_spec_tag = "Public certificate check"
    csrf_exempt = True

    @expose("/<code>", methods=["GET"])
    def verify(self, code):
        """Whether a certificate with this code exists, and what it says.
        ---
        get:
          parameters:
          - {in: path, name: code, schema: {type: string}, description: "XXXX-XXXX-XXXX, any case, dashes optional"}
          responses:
            200: {description: "result: code, name, campaign, title, featured, title_display, issued_on, issuer, valid, status, revoked_on"}
            404: {description: "message: 未找到该证书编号，请核对 (malformed and unknown codes alike)"}
        """
        certificate = certificates.find(code)
        if certificate is None:
            return self.response(404, message=str(certificates.NOT_FOUND))
        return self.response(200, result=certificates.public_facts(certificate))
