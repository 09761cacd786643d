"""The three pages are served by Linli with their own assets only, under a policy per page that
lets nothing else run or load, and each signs in through the API."""

import re

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from server.clients import DIST, POLICIES
from tests.browser import chromium, console_errors
from tests.clients.conftest import sign_in

PAGES = {"/board": "13800000002", "/kiosk": "13800000004", "/app": "13800000001"}


@pytest.mark.parametrize("path", list(PAGES))
def test_a_page_is_served_with_its_own_policy_and_its_assets_kept_for_a_year(pages_server, path):
    page = httpx.get(f"{pages_server}{path}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == POLICIES[path]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-cache"
    assets = [part.split('"')[0] for part in page.text.split('="/clients/assets/')[1:]]
    assert assets, page.text
    for name in assets:
        asset = httpx.get(f"{pages_server}/clients/assets/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "name", ["../board.html", "..%2Fboard.html", ".built", "board.html", "nope-12345678.js"]
)
def test_nothing_but_built_assets_is_served_from_the_folder(pages_server, name):
    assert (DIST / "board.html").is_file()
    assert httpx.get(f"{pages_server}/clients/assets/{name}").status_code == 404


@pytest.mark.parametrize("path", list(PAGES))
def test_a_page_signs_in_with_no_console_error_and_nothing_from_elsewhere(pages_server, path):
    driver = chromium()
    try:
        driver.get(f"{pages_server}{path}")
        sign_in(driver, PAGES[path])
        assert not driver.find_elements(By.CSS_SELECTOR, "form.sign-in")
        loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert all(url.startswith(pages_server) for url in loaded), loaded
        assert console_errors(driver) == []
    finally:
        driver.quit()


def test_a_wrong_password_is_told_in_chinese_and_the_form_stays(pages_server):
    driver = chromium()
    try:
        driver.get(f"{pages_server}/app")
        driver.find_element(By.CSS_SELECTOR, "input[name=phone]").send_keys("13800000001")
        driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys("not-the-password")
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        alert = WebDriverWait(driver, 15).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "form.sign-in .error")
        )
        assert re.search(r"[\u4e00-\u9fff]", alert.text), alert.text
        phone = driver.find_element(By.CSS_SELECTOR, "input[name=phone]")
        assert phone.get_attribute("value") == "13800000001"
    finally:
        driver.quit()
