"""/gongshi, /mingdan, their API and their photos, without sign-in: candidates seeded with distinctive ID numbers,
phones, addresses, birth dates and work units (typed into their deeds too) and photos carrying EXIF with GPS; none
of it may come out anywhere. Also: the texts before and after the notice, withdrawn candidates, search, caching."""
import re
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from app import approval, clock, roles, schedule, storage
from app.extensions import db
from tests import factories
from tests.media.test_publication import METADATA_MARKERS, assert_no_metadata, phone_jpeg
from tests.test_approval import held
from tests.test_i18n import english_on_pages

PEOPLE = [
    # name, birth, mobile, address, work unit, featured
    ("王学习", date(1961, 2, 3), "13612340001", "北京市海淀区秘密胡同 11 号", "北京隐秘研究所甲", True),
    ("李读书", date(1972, 4, 5), "13612340002", "北京市朝阳区保密大街 22 号院 3 单元", "北京隐秘研究所乙", False),
    ("赵终身", date(1983, 6, 7), "13612340003", "北京市西城区不公开路 33 号", "北京隐秘研究所丙", False),
    ("钱明理", date(1994, 8, 9), "13612340004", "北京市东城区私宅巷 44 号", "北京隐秘研究所丁", False),
]


def secrets_of(application) -> list[str]:
    """What must never be public, in the forms people write it."""
    birth = application.birth_date
    mobile = application.mobile
    return [
        application.id_number, application.id_number[6:14], mobile, f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
        f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}", application.address, application.address.replace(" ", ""),
        application.address.replace("北京市", "").replace(" ", "")[:8], birth.isoformat(),
        f"{birth.year}年{birth.month}月{birth.day}日", application.work_unit, application.position,
    ]


def deeds_with_secrets(name, id_number, birth, mobile, address) -> str:
    return (f"{name}同志（身份证号{id_number}，{birth.year}年{birth.month}月{birth.day}日出生，"
            f"手机 {mobile[:3]} {mobile[3:7]} {mobile[7:]}，家住{address.replace('北京市', '')}）热爱学习，"
            f"坚持终身学习三十年，组织社区读书会，带动居民参与学习型城市建设。联系电话{mobile}。")


@pytest.fixture
def world():
    campaign = factories.campaign(open_stage="publicity")
    district, (street, other) = factories.district_with_streets("海淀区", ("中关村街道", "学院路街道"))
    people = []
    for i, (name, birth, mobile, address, work_unit, featured) in enumerate(PEOPLE):
        id_number = factories.id_number(birth.strftime("%Y%m%d"), 500 + i)
        application = factories.application(
            campaign=campaign, unit=street if i % 2 == 0 else other, status="featured" if featured else "candidate",
            name=name, birth_date=birth, mobile=mobile, address=address, work_unit=work_unit, position="秘密职务",
            id_number=id_number, deeds=deeds_with_secrets(name, id_number, birth, mobile, address),
            photo_file=storage.store_bytes(phone_jpeg(orientation=6 if i % 2 else 1), "photo", "jpg"),
        )
        people.append(application)
    withdrawn = factories.application(
        campaign=campaign, unit=street, status="withdrawn", name="孙撤销", id_number=factories.id_number("19700101", 600),
        photo_file=storage.store_bytes(phone_jpeg(), "photo", "jpg"), mobile="13612340009")
    submitted = factories.application(
        campaign=campaign, unit=street, status="reported", name="周未选", id_number=factories.id_number("19700101", 601),
        photo_file=storage.store_bytes(phone_jpeg(), "photo", "jpg"), mobile="13612340010",
        address="北京市海淀区未选路 55 号")
    return {"campaign": campaign, "people": people, "withdrawn": withdrawn, "submitted": submitted,
            "office": factories.account(roles.CITY_OFFICE)}


def photo_urls(html: str) -> list[str]:
    return re.findall(r'<img class="pub-photo" src="([^"]+)"', html)


def assert_clean(text: str, world, where: str) -> None:
    for application in world["people"] + [world["withdrawn"], world["submitted"]]:
        for secret in secrets_of(application):
            assert secret not in text, f"{secret} on {where}"


def fetch_all(client, world) -> dict[str, bytes]:
    """Every public page (the notice, the objection form that names the candidates, the final list, each
    certificate's check), the public APIs and every photo they name: {url: body}."""
    from app.models import Certificate

    bodies = {}
    pages = ["/", "/gongshi", "/gongshi/", "/gongshi?q=海淀", "/mingdan", "/api/v1/public/gongshi",
             "/api/v1/public/mingdan", "/api/v1/public/gongshi?q=王", "/gongshi/yiyi/", "/gongshi/yiyi/chaxun"]
    pages += [f"/gongshi/yiyi/?candidate={a.id}" for a in world["people"]]
    for code, in db.session.query(Certificate.code):
        pages += [f"/zhengshu/{code}", f"/api/v1/public/zhengshu/{code}"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        bodies[url] = response.data
    urls = set(photo_urls(bodies["/gongshi"].decode()) + photo_urls(bodies["/mingdan"].decode()))
    for key in ("/api/v1/public/gongshi", "/api/v1/public/mingdan"):
        payload = client.get(key).json
        urls |= {row["photo_url"] for row in payload.get("candidates", payload.get("winners", []))}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg", url
        bodies[url] = response.data
    return bodies


def test_nothing_personal_on_the_pages_the_api_or_the_photos_during_and_after(client, world):
    during = fetch_all(client, world)
    photos = [url for url in during if url.startswith("/gongshi/photo/")]
    assert len(photos) == 4
    assert "王学习" in during["/gongshi"].decode() and "＊＊＊" in during["/gongshi"].decode()
    assert len(client.get("/api/v1/public/gongshi").json["candidates"]) == 4
    assert "王学习" in during["/gongshi/yiyi/"].decode()  # the objection form names the candidates, and only that

    # After the notice, the leading group's decision is recorded (app/approval.py): /mingdan lists the winners.
    clock.freeze(world["campaign"].window("publicity").ends_at + timedelta(hours=1))
    approval.approve(world["office"], world["campaign"].id, clock.now().date(), "京学习办〔2026〕9号", held())
    after = fetch_all(client, world)
    assert len([url for url in after if url.startswith("/gongshi/photo/")]) == 4
    assert "王学习" in after["/mingdan"].decode()
    assert len([url for url in after if url.startswith("/zhengshu/")]) == 4

    for url, body in {**during, **after}.items():
        if url.startswith("/gongshi/photo/"):
            assert_no_metadata(body)
            for marker in METADATA_MARKERS:
                assert marker not in body
        else:
            text = body.decode()
            if url.startswith("/api/"):  # JSON escapes non-ASCII: read it back as text
                import json

                text = json.dumps(json.loads(text), ensure_ascii=False)
            assert_clean(text, world, url)


def test_the_notice_lists_the_candidates_featured_first_and_marked_with_how_to_object(client, world):
    html = client.get("/gongshi").text
    window = world["campaign"].window("publicity")
    assert f"公示时间：{window.starts_at:%Y-%m-%d %H:%M:%S} 至 {window.ends_at:%Y-%m-%d %H:%M:%S}" in html
    names = re.findall(r'<h2 class="pub-name">([^<\s]+)', html)
    assert names[0] == "王学习" and sorted(names) == sorted(p[0] for p in PEOPLE)
    assert html.count('class="pub-featured"') == 1
    featured = html.split('<li class="pub-person is-featured"')[1].split("</li>")[0]
    assert "王学习" in featured and "重点宣传" in featured
    assert "海淀区 · 中关村街道" in html and "海淀区 · 学院路街道" in html
    assert 'href="/gongshi/yiyi/"' in html
    for application in world["people"]:
        assert f'href="/gongshi/yiyi/?candidate={application.id}"' in html
    for phone in ("13911588771", "13681511737", "51994718", "82364980"):  # the office's contacts
        assert phone in html
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 4
    for image in images:
        assert 'loading="lazy"' in image and 'width="96"' in image and 'height="128"' in image
    assert "<script" not in html  # works, and is searched, without JavaScript
    assert english_on_pages("anonymous", {"/gongshi": html, "/mingdan": client.get("/mingdan").text}) == []


def test_withdrawn_and_unpicked_applications_are_not_listed_and_their_photos_are_404(client, world):
    html = client.get("/gongshi").text
    api = client.get("/api/v1/public/gongshi").json
    for key in ("withdrawn", "submitted"):
        application = world[key]
        assert application.name not in html
        assert application.id not in [row["id"] for row in api["candidates"]]
        assert client.get(f"/gongshi/photo/{application.id}.jpg").status_code == 404
    assert client.get("/gongshi/photo/999999.jpg").status_code == 404
    # Withdrawn during the notice: gone from the list and its photo at once.
    listed = world["people"][1]
    assert client.get(f"/gongshi/photo/{listed.id}.jpg").status_code == 200
    listed.status = "withdrawn"
    db.session.commit()
    assert listed.name not in client.get("/gongshi").text
    assert client.get(f"/gongshi/photo/{listed.id}.jpg").status_code == 404


def test_search_by_name_and_by_unit(client, world):
    def names(q):
        html = client.get("/gongshi", query_string={"q": q}).text
        return sorted(re.findall(r'<h2 class="pub-name">([^<\s]+)', html))

    assert names("李读书") == ["李读书"]
    assert names("读书") == ["李读书"]
    assert names("学院路") == ["李读书", "钱明理"]
    assert names("中关村街道") == ["王学习", "赵终身"]
    assert names("海淀 王") == ["王学习"]
    assert names("朝阳") == []
    html = client.get("/gongshi", query_string={"q": "学院路"}).text
    assert "找到 2 人（共 4 人）" in html and 'value="学院路"' in html
    assert [row["name"] for row in client.get("/api/v1/public/gongshi?q=学院路").json["candidates"]] == [
        "李读书", "钱明理"]
    assert "没有姓名或单位包含“朝阳”的候选人" in client.get("/gongshi?q=朝阳").text


def test_the_photo_is_cached_publicly_with_an_etag(client, world):
    url = photo_urls(client.get("/gongshi").text)[0]
    assert re.fullmatch(r"/gongshi/photo/\d+\.jpg\?v=[0-9a-f]{12}", url)
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=3600"
    etag = first.headers["ETag"]
    assert etag and first.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert "Set-Cookie" not in first.headers and "Cookie" not in first.headers.get("Vary", "")


def test_before_the_notice_it_says_when_it_runs(client):
    campaign = factories.campaign(open_stage="final_review")
    factories.candidates(2, campaign, featured=1)
    window = campaign.window("publicity")
    html = client.get("/gongshi").text
    assert f"公示将于 {window.starts_at:%Y-%m-%d %H:%M:%S} 至 {window.ends_at:%Y-%m-%d %H:%M:%S} 进行" in html
    assert "pub-person" not in html and "查看公示名单" not in client.get("/").text
    api = client.get("/api/v1/public/gongshi").json
    assert api["state"] == "before" and api["candidates"] == [] and api["period"]["starts_at"] == (
        f"{window.starts_at:%Y-%m-%d %H:%M:%S}")
    assert "名单尚未公布" in client.get("/mingdan").text


def test_a_notice_without_dates_says_it_is_not_set(client):
    factories.campaign()
    assert "公示时间尚未确定" in client.get("/gongshi").text
    assert client.get("/api/v1/public/gongshi").json["state"] == "not_scheduled"


def test_no_campaign_at_all(client):
    assert client.get("/gongshi").status_code == 200 and client.get("/mingdan").status_code == 200
    assert client.get("/api/v1/public/mingdan").json == {"campaign": None, "published": False, "approval": None,
                                                         "count": 0, "winners": []}


def test_after_the_notice_it_says_when_it_ran_and_links_the_list_once_approved(client, world):
    window = world["campaign"].window("publicity")
    clock.freeze(window.ends_at + timedelta(hours=1))
    html = client.get("/gongshi").text
    assert f"公示已于 {window.starts_at:%Y-%m-%d %H:%M:%S} 至 {window.ends_at:%Y-%m-%d %H:%M:%S} 进行，现已结束" in html
    assert "pub-person" not in html and "/mingdan" not in html
    assert "名单尚未公布" in client.get("/mingdan").text
    assert client.get("/api/v1/public/mingdan").json["published"] is False

    # The window follows today's date (open_stage): the decision is dated the day after it ends.
    decided_on = window.ends_at.date() + timedelta(days=1)
    clock.freeze(datetime.combine(decided_on, datetime.min.time()) + timedelta(hours=10))
    approval.approve(world["office"], world["campaign"].id, decided_on, "京学习办〔2026〕9号", held())
    assert 'href="/mingdan"' in client.get("/gongshi").text
    html = client.get("/mingdan").text
    assert "京学习办〔2026〕9号" in html and decided_on.isoformat() in html and world["campaign"].name in html
    names = re.findall(r'<h2 class="pub-name">([^<\s]+)', html)
    assert names[0] == "王学习" and len(names) == 4
    assert html.count('class="pub-featured"') == 1
    api = client.get("/api/v1/public/mingdan").json
    assert api["published"] and api["approval"] == {"document_number": "京学习办〔2026〕9号",
                                                    "decided_on": decided_on.isoformat()}
    assert [w["name"] for w in api["winners"]][0] == "王学习" and api["winners"][0]["featured"]
    assert api["count"] == 4
    assert all(client.get(urlsplit(w["photo_url"]).path).status_code == 200 for w in api["winners"])
    assert client.get(f"/gongshi/photo/{world['withdrawn'].id}.jpg").status_code == 404


def test_the_home_page_links_the_notice_then_the_list(client, world):
    home = client.get("/").text
    assert "查看公示名单" in home and 'href="/gongshi"' in home
    clock.freeze(world["campaign"].window("publicity").ends_at + timedelta(hours=1))
    assert "查看公示名单" not in client.get("/").text
    approval.approve(world["office"], world["campaign"].id, clock.now().date(), "京学习办〔2026〕9号", held())
    home = client.get("/").text
    assert "首都市民学习之星名单" in home and 'href="/mingdan"' in home


def test_a_list_of_a_hundred_stays_light(client):
    campaign = factories.campaign(open_stage="publicity")
    factories.candidates(100, campaign, featured=10,
                         deeds="长期坚持学习，" * 100)  # 700 characters each: the page carries ~100 of them
    response = client.get("/gongshi")
    html = response.text
    assert html.count('loading="lazy"') == 100
    assert len(response.data) < 120_000, len(response.data)
    stylesheets = re.findall(r'<link href="([^"]+\.css)"', html)
    assert stylesheets == ["/static/css/public.css"]
    assert len(client.get(stylesheets[0]).data) < 5_000


def test_the_published_list_stays_at_mingdan_when_the_next_campaign_is_set_up(client):
    """Creating next year's campaign (registration opens months before its decision) must not take the published
    list off /mingdan and its API; during the new notice the page also points to it; the new list replaces the old
    once approved."""
    office = factories.account(roles.CITY_OFFICE)
    first = factories.campaign(year=2026, name="2026年度", open_stage="publicity")
    factories.candidates(2, first, featured=1)
    clock.freeze(first.window("publicity").ends_at + timedelta(hours=1))
    approval.approve(office, first.id, clock.now().date(), "京学习办〔2026〕9号", held())
    winners = {a["id"] for a in client.get("/api/v1/public/mingdan").json["winners"]}
    assert len(winners) == 2

    second = factories.campaign(year=2027, name="2027年度")
    html = client.get("/mingdan").text
    assert "2026年度“首都市民学习之星”名单" in html and "京学习办〔2026〕9号" in html and "名单尚未公布" not in html
    assert "current-notice-link" not in html
    assert 'href="/mingdan"' in client.get("/").text and "2026年度首都市民学习之星名单" in client.get("/").text
    api = client.get("/api/v1/public/mingdan").json
    assert api["published"] and api["campaign"]["name"] == "2026年度"
    assert {a["id"] for a in api["winners"]} == winners

    factories.candidates(1, second)
    schedule.open_stage(second, "publicity")
    db.session.commit()
    html = client.get("/mingdan").text
    assert "2026年度“首都市民学习之星”名单" in html
    assert 'id="current-notice-link" href="/gongshi"' in html and "2027年度候选人公示" in html

    clock.freeze(second.window("publicity").ends_at + timedelta(hours=1))
    approval.approve(office, second.id, clock.now().date(), "京学习办〔2027〕3号", held())
    api = client.get("/api/v1/public/mingdan").json
    assert api["campaign"]["name"] == "2027年度" and api["count"] == 1


def test_no_id_or_mobile_number_pattern_on_any_public_page_or_answer(client, world):
    """SPEC R-PUB-1 allows name, unit, photo and a short extract: whatever the candidates typed, nothing shaped like
    an ID number or a mobile comes out, before or after approval. The only mobiles are the support desk's own
    published numbers (R-OPS-5)."""
    import json

    from app.views.home import CONTACTS

    published = {contact["phone"] for contact in CONTACTS}
    id_shaped = re.compile(r"(?<![\d])\d{6}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?![\d])")
    mobile_shaped = re.compile(r"(?<![\d])1[3-9]\d(?:[ -]?\d{4}){2}(?![\d])")
    during = fetch_all(client, world)
    clock.freeze(world["campaign"].window("publicity").ends_at + timedelta(hours=1))
    approval.approve(world["office"], world["campaign"].id, clock.now().date(), "京学习办〔2026〕9号", held())
    after = fetch_all(client, world)
    for url, body in {**during, **after}.items():
        if url.startswith("/gongshi/photo/"):
            continue
        text = body.decode()
        if url.startswith("/api/"):
            text = json.dumps(json.loads(text), ensure_ascii=False)
        assert not id_shaped.findall(text), url
        found = {re.sub(r"[ -]", "", m) for m in mobile_shaped.findall(text)}
        assert found <= published, (url, found - published)


@pytest.mark.parametrize("name, heading", [
    ("第九批", "第九批“首都市民学习之星”候选人公示"),
    ("第九批首都市民学习之星", "第九批“首都市民学习之星”候选人公示"),
    ("第九批首都市民学习之星评选", "第九批“首都市民学习之星”候选人公示"),
])
def test_the_notice_names_the_batch_once_however_the_campaign_is_named(client, world, name, heading):
    """An office naming its campaign 第九批首都市民学习之星 (the rehearsal did) gets the notice's title, not
    第九批首都市民学习之星“首都市民学习之星”候选人公示."""
    world["campaign"].name = name
    db.session.commit()
    assert f"<h1>{heading}</h1>" in client.get("/gongshi").text
