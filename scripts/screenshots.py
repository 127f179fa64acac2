"""Take tablet-size screenshots of portal pages as a signed-in user (development aid).

Usage: python scripts/screenshots.py BASE_URL EMAIL OUTDIR PATH [PATH ...]
Drives Debian's Chromium (/usr/bin/chromium) through Playwright; no browser download.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(base: str, email: str, outdir: str, paths: list[str], password: str = "forecourt-demo") -> None:
    """Sign in as ``email`` and save one PNG per path at 1024×768 and 768×1024."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, height in [(1024, 768), (768, 1024)]:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{base}/login")
            page.fill("#email", email)
            page.fill("#password", password)
            page.click("button[type=submit]")
            for path in paths:
                page.goto(f"{base}{path}")
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=str(out / f"{name}-{width}x{height}.png"), full_page=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
