"""Debian's Chromium driven by its matching chromedriver (selenium), headless, with every host but
this machine unresolvable: a page that reached for a CDN would fail to load it."""

import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

PHONE = (390, 844)  # an ordinary phone's viewport, in CSS pixels
DESKTOP = (1366, 900)


def chromium(*, size: tuple[int, int] = DESKTOP, phone: bool = False) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",  # the board's alarm sound, as a staffed screen allows
        "--lang=zh-CN",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={tempfile.mkdtemp(prefix='linli-chromium-')}",
    ):
        options.add_argument(flag)
    if phone:
        width, height = size if size != DESKTOP else PHONE
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}}
        )
    else:
        options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))


def console_errors(driver: webdriver.Chrome) -> list[str]:
    """The page's console errors so far (a CSP refusal is one)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
