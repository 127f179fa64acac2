"""Every page type with the Content-Security-Policy on, in Chromium: no violation may be reported.

The test walks every GET page a dealer principal and a corporate admin can open without further
parameters (read from the app's URL map, so a new page is walked without editing this file), the
sign-in page and the customer's offer page, and interacts with the builder so htmx swaps run under
the policy too. Violations are collected from the ``securitypolicyviolation`` event (an init
script, which the policy does not govern) and from the console.
"""

from __future__ import annotations

import os

import pytest

from tests import factories

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

pytestmark = [
    pytest.mark.no_db,
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                       reason="runs once, in the SQLite pass: its live server always uses its own SQLite file"),
]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def _pages(app, prefix: str, param: str, slug: str) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(prefix) or set(rule.arguments) != {param}:
            continue
        if any(part in rule.rule for part in (".csv", ".xlsx", ".pdf", ".json", "/badge", "/export", "/download")):
            continue
        paths.append(rule.rule.replace(f"<{param}>", slug))
    return sorted(set(paths))


def _walk(browser, live_server, email: str | None, paths: list[str]) -> list[str]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    context.add_init_script(WATCH)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    found = []
    try:
        if email:
            page.goto("/login")
            page.get_by_label("E-mail").fill(email)
            page.get_by_label("Password").fill(factories.PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state("networkidle")
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            found += [f"{path}: {v}" for v in page.evaluate("window.__cspViolations || []")]
        found += console
    finally:
        context.close()
    return found


def test_no_page_violates_the_content_security_policy(browser, live_server):
    world, app = live_server.world, live_server.app
    dealer_pages = _pages(app, "/d/", "dealer_slug", world.slugs["a1"])
    corporate_pages = _pages(app, "/c/", "brand_slug", world.slugs["brand_a"])
    assert len(dealer_pages) > 10 and len(corporate_pages) > 5  # the walk really finds the menus' pages
    violations = _walk(browser, live_server, None, ["/login", "/password/forgot"])
    violations += _walk(browser, live_server, world.emails["principal_a1"], dealer_pages)
    violations += _walk(browser, live_server, world.emails["corp_a"], corporate_pages)
    assert not violations, violations


def test_the_builder_works_under_the_policy(browser, live_server):
    """The builder's htmx re-price and its inline script (with the nonce) run; the menu drawer opens."""
    from playwright.sync_api import expect

    world = live_server.world
    context = browser.new_context(base_url=live_server.url, viewport={"width": 768, "height": 1024})
    context.add_init_script(WATCH)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail").fill(world.emails["consultant_a1"])
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/d/{world.slugs['a1']}/offers/new")
        page.wait_for_load_state("networkidle")
        page.get_by_test_id("menu-toggle").click()  # wired by behaviours.js, no inline handler
        expect(page.get_by_test_id("menu-toggle")).to_have_attribute("aria-expanded", "true")
        page.keyboard.press("Escape")
        page.locator("select[name=model_code]").select_option("TUCSON")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()
