"""Security headers: CSP with a per-request nonce, no framing, nosniff, HSTS in production, no referrer on token pages."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import fresh_app

TEMPLATES = Path(__file__).resolve().parents[1] / "app" / "templates"


def _csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else "" for part in header.split("; ")}


def test_html_pages_carry_the_policy_and_every_inline_script_its_nonce(client):
    page = client.get("/login")
    policy = _csp(page)
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in page.headers  # development/tests: plain HTTP
    html = page.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
    again = _csp(client.get("/login"))["script-src"]
    assert nonce not in again  # a fresh nonce per response


def test_templates_have_no_inline_handlers_or_style_elements():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in (r"\son[a-z]+\s*=\s*[\"']", r"<style\b", r"<script(?![^>]*\b(src|nonce)=)[^>]*>", r"javascript:"):
            offenders += [f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert not offenders, offenders


def test_token_pages_send_no_referrer(client):
    for path in ("/o/not-a-token", "/p/not-a-token", "/r/some-dealer/1"):
        response = client.get(path)
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert "Content-Security-Policy" in response.headers


def test_hsts_in_production(app):
    with fresh_app(app, HSTS_ENABLED=True) as secure:
        response = secure.test_client().get("/login", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
