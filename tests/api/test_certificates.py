"""/api/v1/certificate/ with a Bearer token (read-only, the city office and the auditor) and the public check
/api/v1/public/zhengshu/<code> (no sign-in, the same facts as the page, one neutral 404)."""
import pytest

from app import certificates, roles
from app.extensions import db
from app.models import Certificate
from tests import factories
from tests.certificate_setup import winners


@pytest.mark.parametrize("role", [roles.CITY_OFFICE, roles.AUDITOR])
def test_the_office_and_the_auditor_list_and_read_certificates(app, role):
    issued = winners(2, featured=1)
    client = factories.api_client(app, factories.account(role))
    listed = client.get("/api/v1/certificate/")
    assert listed.status_code == 200 and listed.json["count"] == 2
    assert {row["code"] for row in listed.json["result"]} == {c.code for c in issued}
    assert listed.json["label_columns"]["code"] == "证书编号" and listed.json["list_title"] == "荣誉证书"
    one = client.get(f"/api/v1/certificate/{issued[0].id}")
    assert one.status_code == 200
    result = one.json["result"]
    assert (result["name"], result["featured"], result["campaign"]["name"]) == (issued[0].name, True,
                                                                                issued[0].campaign.name)
    assert client.get("/api/v1/certificate/999999").status_code == 404


def test_the_api_is_read_only(app):
    (certificate,) = winners(1)
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    assert client.post("/api/v1/certificate/", json={"code": "AAAA-AAAA-AAAA"}).status_code in (404, 405)
    assert client.put(f"/api/v1/certificate/{certificate.id}", json={"name": "改名"}).status_code in (404, 405)
    assert client.delete(f"/api/v1/certificate/{certificate.id}").status_code in (404, 405)
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).name == certificate.name


@pytest.mark.parametrize("role", [roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT])
def test_others_get_no_certificates(app, role):
    (certificate,) = winners(1)
    client = factories.api_client(app, factories.account(role))
    assert client.get("/api/v1/certificate/").status_code in (401, 403)
    assert client.get(f"/api/v1/certificate/{certificate.id}").status_code in (401, 403, 404)


def test_the_public_check_needs_no_sign_in_and_tells_only_name_campaign_title(client):
    featured, _plain = winners(2, featured=1)
    answer = client.get(f"/api/v1/public/zhengshu/{featured.code.lower().replace('-', '')}")
    assert answer.status_code == 200
    result = answer.json["result"]
    assert result == certificates.public_facts(featured)
    assert (result["name"], result["campaign"], result["title"], result["featured"]) == (
        featured.name, featured.campaign.name, "首都市民学习之星", True)
    assert result["valid"] is True and result["status"] == "有效"
    application = featured.application
    for private in (application.id_number, application.mobile, application.address):
        assert private not in answer.get_data(as_text=True)


def test_the_public_check_answers_unknown_and_malformed_codes_alike(client):
    winners(1)
    unknown = client.get("/api/v1/public/zhengshu/AAAA-BBBB-CCCC")
    malformed = client.get("/api/v1/public/zhengshu/x")
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.json == malformed.json == {"message": "未找到该证书编号，请核对"}


def test_the_public_check_of_a_revoked_certificate(app, client):
    (certificate,) = winners(1)
    certificates.revoke(factories.account(roles.CITY_OFFICE), certificate.id, "事迹不实")
    result = client.get(f"/api/v1/public/zhengshu/{certificate.code}").json["result"]
    assert result["valid"] is False and result["status"] == "已撤销" and result["revoked_on"]
    assert "事迹不实" not in repr(result)
