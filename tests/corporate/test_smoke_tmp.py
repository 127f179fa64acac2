from tests.corporate import factories as cf
from tests.conftest import csrf_token
from app.extensions import db

def test_smoke(app, client, login, world):
    from app.tenancy import all_tenants
    with app.app_context(), all_tenants():
        t = cf.trim(world.ids["brand_a"]); c = cf.color(world.ids["brand_a"]); cf.offer_color(t, c); o = cf.option(world.ids["brand_a"])
        db.session.commit(); tid = t.id
    login(world.emails["corp_a"])
    b = world.slugs["brand_a"]
    for s in ["categories","models","trims","colors","features","options","accessories","warranties","videos","reviews"]:
        r = client.get(f"/c/{b}/catalog/{s}/"); assert r.status_code == 200, (s, r.get_data(as_text=True)[-3000:])
        r = client.get(f"/c/{b}/catalog/{s}/new"); assert r.status_code == 200, (s, r.get_data(as_text=True)[-3000:])
    r = client.get(f"/c/{b}/catalog/trims/{tid}"); assert r.status_code == 200, r.get_data(as_text=True)[-3000:]
    r = client.get(f"/c/{b}/catalog/trims/{tid}/price", headers={"HX-Request": "true"}); assert r.status_code == 200, r.get_data(as_text=True)[-3000:]
    r = client.get(f"/c/{b}/catalog/color-exclusions"); assert r.status_code == 200, r.get_data(as_text=True)[-3000:]
    r = client.get(f"/c/{b}/catalog/publish"); assert r.status_code == 200, r.get_data(as_text=True)[-3000:]
    r = client.get(f"/c/{b}/catalog/trims/{tid}/check?check=1", headers={"HX-Request": "true"}); assert r.status_code in (200,422), r.get_data(as_text=True)[-3000:]
    tok = csrf_token(client, f"/c/{b}/catalog/publish")
    r = client.post(f"/c/{b}/catalog/publish", data={"csrf_token": tok}); assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    r = client.get(f"/c/{b}/catalog/publish"); assert r.status_code == 200, r.get_data(as_text=True)[-3000:]
