"""Every column header a list links for sorting answers with the list, for the city office and the auditor: a
computed column (a property, a label) in ORDER BY was a server error on a click (found walking the demo)."""
import re

import pytest

from app import roles
from tests import factories

LISTS = ("/applications/list/", "/experts/list/", "/objections/list/", "/certificates/list/",
         "/past-winners/list/", "/audit/list/", "/submissions/list/", "/campaigns/windows/list/",
         "/units/first-level/list/", "/units/second-level/list/")


def sort_links(page: str) -> set[str]:
    return {url.replace("&amp;", "&") for url in re.findall(r'href="?(/[^"\s>]*\?_oc_[^"\s>]+)', page)}


@pytest.mark.parametrize("role", [roles.CITY_OFFICE, roles.AUDITOR])
def test_every_sortable_header_sorts(client, role):
    campaign = factories.campaign(open_stage="publicity")
    first, second = factories.candidates(2, campaign, featured=1)
    factories.objection(first)
    factories.objection(second)
    factories.expert()
    factories.expert()
    factories.login(client, factories.account(role, username="desk"))
    checked = 0
    for url in LISTS:
        page = client.get(url)
        if page.status_code == 403:
            continue  # not this role's list (the auditor has no 异议处理)
        assert page.status_code == 200, url
        for link in sorted(sort_links(page.text)):
            for direction in ("asc", "desc"):
                response = client.get(link.replace("=asc", f"={direction}"))
                assert response.status_code == 200, link
                checked += 1
    assert checked > 10
