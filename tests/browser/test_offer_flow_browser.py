"""The offer flow in a real browser at tablet size (issue #6, "Browser test").

The consultant builds an offer on a landscape tablet with a discount above their authority and submits it; the
principal approves it from a portrait tablet (their own browser context); the consultant sends it; the customer
opens the link in a context with no session at all and accepts by typing their name and ticking the conditions.
Every step asserts what the person would see. There is no sleeping: Playwright's ``expect`` waits for the DOM
that each click or htmx swap produces.

It runs once, in the SQLite pass of ``make test``: its live server uses its own SQLite file whatever
``TEST_DATABASE_URL`` says, so the PostgreSQL pass would only repeat it.
"""

from __future__ import annotations

import os
import re

import pytest

from tests import factories

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [
    pytest.mark.no_db,
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                       reason="runs once, in the SQLite pass: its live server always uses its own SQLite file"),
]

LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
# 35,000,000 MSRP + 80,000 Amazon Gray + 0 Black + 890,000 sunroof = 35,970,000 − 1,000,000 Spring bonus
# − 2,000,000 additional discount = 32,970,000 + 250,000 delivery = 33,220,000 (10 % VAT included, not added).
OTD = "33220000"
OTD_TEXT = "₩33,220,000"


def _context(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, has_touch=True, locale="en-US",
                                  timezone_id="Asia/Seoul")
    context.set_default_timeout(10_000)
    return context


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dealer A1", level=1)).to_be_visible()


def test_offer_built_approved_sent_and_accepted_in_the_browser(browser, live_server, shots):
    world = live_server.world

    # --- consultant: build the offer on a landscape tablet -----------------------------------------------------
    consultant = _context(browser, live_server, LANDSCAPE)
    page = consultant.new_page()
    _sign_in(page, world.emails["consultant_a1"])
    shots(page, "consultant-dashboard")
    page.get_by_role("button", name="New offer").click()
    expect(page.get_by_role("heading", name="New offer", level=1)).to_be_visible()
    panel = page.locator("#price-panel")
    expect(panel).to_contain_text("Choose a vehicle to see the price.")

    page.get_by_label("Find customer").fill("minjun")
    pick = page.locator("#customer-results").get_by_role("radio", name=re.compile("Kim Minjun"))
    expect(pick).to_be_visible()
    pick.check()
    expect(pick).to_be_checked()

    page.locator("#model_code").select_option("TUCSON")
    expect(page.locator("#trim_code option[value='TUC-INS']")).to_have_count(1)
    page.locator("#trim_code").select_option("TUC-INS")
    expect(page.locator("#vehicle-choices")).to_contain_text("MSRP ₩35,000,000")
    page.locator("#exterior_code").select_option("A2B")
    expect(page.locator("#exterior_code")).to_have_value("A2B")
    page.locator("#interior_code").select_option("NNB")
    page.get_by_role("checkbox", name=re.compile("Sunroof")).check()
    expect(panel.locator("[data-otd]")).to_have_attribute("data-otd", "35220000")
    expect(panel).to_contain_text("✓ Spring bonus")
    expect(panel).to_contain_text("Within your discount authority.")
    expect(pick).to_be_checked()  # the customer chosen first is still chosen after every re-price

    page.get_by_label("Additional discount").fill("2000000")
    page.get_by_label("Reason").fill("Loyal customer, second car")
    expect(panel.locator("[data-otd]")).to_have_attribute("data-otd", OTD)
    expect(panel.get_by_test_id("approval-needed")).to_contain_text("Needs approval")
    expect(panel.get_by_test_id("approval-needed")).to_contain_text("exceeds your authority")
    expect(panel.get_by_test_id("approval-needed")).to_be_in_viewport()  # seen without scrolling the panel
    shots(page, "builder-needs-approval")
    shots(page, "builder-at-tablet-size", full_page=False)

    page.get_by_role("button", name="Save offer").click()
    state = page.get_by_test_id("offer-state")
    expect(state).to_have_text("Draft")
    expect(page.locator(".offer-head .otd")).to_contain_text(OTD_TEXT)
    expect(page.get_by_role("heading", name="Needs approval")).to_be_visible()
    expect(page.get_by_role("button", name="Send to customer")).to_have_count(0)  # no path around approval
    offer_url = page.url
    number = page.get_by_role("heading", level=1).inner_text().split()[0]
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("status").filter(has_text="Sent for approval.")).to_be_visible()
    expect(state).to_have_text("Pending approval")
    shots(page, "offer-pending-approval")

    # --- principal: approve from a portrait tablet -----------------------------------------------------------
    principal = _context(browser, live_server, PORTRAIT)
    boss = principal.new_page()
    _sign_in(boss, world.emails["principal_a1"])
    expect(boss.locator("[data-waiting]")).to_have_text("1")
    # A portrait tablet has no room for the menu column: the menu is a drawer behind the top bar's button.
    expect(boss.get_by_role("navigation", name="Dealer menu")).to_have_count(0)
    boss.get_by_role("button", name="Menu").click()
    menu = boss.get_by_role("navigation", name="Dealer menu")
    expect(menu.get_by_test_id("approval-badge")).to_have_text("1")  # the menu badge, loaded by htmx
    shots(boss, "principal-dashboard")
    menu.get_by_role("link", name=re.compile(r"^Offer approval\b(?! settings)")).click()
    expect(boss.get_by_role("heading", name="Offer approval")).to_be_visible()
    row = boss.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("Kim Minjun")
    expect(row).to_contain_text("exceeds your authority")
    shots(boss, "approval-queue")
    row.get_by_role("link", name=number).click()
    expect(boss.get_by_test_id("offer-state")).to_have_text("Pending approval")
    boss.get_by_label("Comment").fill("OK, loyal customer")
    # This page's own badge has loaded (in the closed menu drawer): the answer awaited below is the next page's.
    expect(boss.get_by_test_id("approval-badge")).to_have_text("1")
    with boss.expect_response("**/offers/approvals/badge") as badge:
        boss.get_by_role("button", name="Approve").click()
    assert "count-badge" not in badge.value.text()  # nothing waits any more: the menu badge is gone
    expect(boss.get_by_role("status").filter(has_text="Offer approved.")).to_be_visible()
    boss.get_by_role("button", name="Menu").click()
    expect(menu.get_by_test_id("approval-badge")).to_be_empty()
    expect(boss.get_by_test_id("offer-state")).to_have_text("Approved")
    expect(boss.get_by_text("Approved for this exact content.")).to_be_visible()
    shots(boss, "principal-approved")

    # --- consultant: send it --------------------------------------------------------------------------------
    page.goto(offer_url)
    expect(state).to_have_text("Approved")
    page.get_by_role("button", name="Send to customer").click()
    expect(state).to_have_text("Sent")
    link_box = page.get_by_test_id("customer-link")
    expect(link_box).to_have_value(re.compile(re.escape(live_server.url) + "/o/"))
    expect(page.locator(".share .qr svg")).to_be_visible()
    link = link_box.input_value()
    shots(page, "offer-sent")

    # --- customer: open the link with no session and accept -------------------------------------------------
    visitor = _context(browser, live_server, PORTRAIT)
    customer = visitor.new_page()
    customer.goto(link)
    expect(customer.get_by_role("heading", name="Tucson", level=1)).to_be_visible()
    expect(customer.locator(".customer-offer")).to_contain_text("for Kim Minjun")
    expect(customer.locator(".offer-summary .total").first).to_contain_text(OTD_TEXT)
    shots(customer, "customer-offer")
    customer.get_by_label("Type your full name").fill("Kim Minjun")
    customer.get_by_label("I have read and accept the purchasing conditions").check()
    customer.get_by_role("button", name="Accept the offer").click()
    expect(customer.get_by_text("Thank you. You accepted the offer")).to_be_visible()
    # Accepting opens the deal: the customer lands on their purchase page with the next step, the deposit.
    expect(customer.get_by_test_id("deal-state")).to_have_text("Offer accepted")
    expect(customer.locator(".deal-steps .step-current")).to_contain_text("Offer accepted")
    shots(customer, "customer-purchase-page")
    customer.goto(link)
    expect(customer.get_by_text(re.compile("You accepted this offer on"))).to_be_visible()
    expect(customer.get_by_role("button", name="Accept the offer")).to_have_count(0)
    expect(customer.get_by_test_id("continue-purchase")).to_be_visible()
    shots(customer, "customer-accepted")

    # --- consultant sees the acceptance -----------------------------------------------------------------------
    page.reload()
    expect(state).to_have_text("Accepted")
    expect(page.get_by_text("Accepted by Kim Minjun")).to_be_visible()
    shots(page, "offer-accepted")
    page.get_by_test_id("open-deal").click()
    expect(page.get_by_test_id("deal-state")).to_have_text("Offer accepted")
    shots(page, "deal")
    for context in (consultant, principal, visitor):
        context.close()


def test_a_tap_made_while_a_reprice_is_on_its_way_is_kept(browser, live_server):
    """Regression: an answer must not swap back the choices the user changed after its request left.

    Re-prices are queued one at a time and a queued one reads the form when it is sent; the answer of the earlier
    one used to re-render the vehicle choices and customer results out of band from the older form, so a second
    option ticked (or a customer picked) during a slow answer was silently undone and priced without it. Playwright
    holds the earlier request in its route handler and makes the tap there, so the timing is exact, not lucky.
    """
    page = _context(browser, live_server, LANDSCAPE).new_page()
    _sign_in(page, live_server.world.emails["consultant_a1"])
    page.goto(f"/d/{live_server.world.slugs['a1']}/offers/new")
    panel = page.locator("#price-panel")

    def tap_during_next_reprice(action):
        """Run ``action`` while the next re-price request is held, then let it through."""
        calls = []

        def handler(route):
            if not calls:
                calls.append(route.request.post_data)
                action()
            route.continue_()

        page.route("**/offers/reprice", handler)
        return calls

    # A customer picked while the search box's own change (on blur) is being answered stays picked.
    box = page.get_by_label("Find customer")
    box.fill("minjun")
    pick = page.locator("#customer-results").get_by_role("radio", name=re.compile("Kim Minjun"))
    expect(pick).to_be_visible()
    calls = tap_during_next_reprice(pick.check)
    with page.expect_response(lambda r: "/offers/reprice" in r.url and "changed=customer_id" in (r.request.post_data or "")):
        box.blur()
    assert calls and "changed=customer_q" in calls[0]  # the held request was the search's, sent before the pick
    expect(pick).to_be_checked()
    page.unroute("**/offers/reprice")

    # An option ticked while the colour change is being answered stays ticked, and is priced.
    page.locator("#model_code").select_option("TUCSON")
    expect(page.locator("#trim_code option[value='TUC-INS']")).to_have_count(1)
    page.locator("#trim_code").select_option("TUC-INS")
    with page.expect_response("**/offers/reprice"):
        page.locator("#exterior_code").select_option("A2B")
    sunroof = page.get_by_role("checkbox", name=re.compile("Sunroof"))
    expect(sunroof).not_to_be_checked()
    tap_during_next_reprice(sunroof.check)
    page.locator("#interior_code").select_option("NNB")
    # 35,000,000 + 80,000 + 890,000 − 1,000,000 Spring bonus + 250,000 delivery
    expect(panel.locator("[data-otd]")).to_have_attribute("data-otd", "35220000")
    expect(sunroof).to_be_checked()
    expect(page.locator("#interior_code")).to_have_value("NNB")
    page.context.close()
