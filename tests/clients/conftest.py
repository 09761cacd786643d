"""The client pages (#20) in Debian's Chromium against a real `linli serve` on the test database:
a process of its own (its lifespan runs: LISTEN for revocations and the live feeds), its periodic
jobs off so it changes nothing the other tests read. Rows the pages create are committed: each test
removes its own."""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import TEST_DATABASE_URL, free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("LINLI_SCREENSHOTS_DIR", ROOT / ".screenshots"))
DEMO_PASSWORD = "linli-demo-2026"


@pytest.fixture(scope="module")
def pages_server(engine) -> Iterator[str]:
    """`linli serve` on a free port: its base URL."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="linli-pages-", suffix=".log", delete=False)
    env = {
        **os.environ,
        "DATABASE_URL": TEST_DATABASE_URL,
        "LINLI_JOBS_ENABLED": "false",
        "LINLI_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        # This checkout's code (its folder first on the path), whichever checkout the venv was made in.
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"linli serve did not start:\n{Path(log.name).read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        Path(log.name).unlink(missing_ok=True)


def shoot(driver: webdriver.Chrome, name: str) -> Path:
    """A screenshot of the viewport, for the README (LINLI_SCREENSHOTS_DIR=docs/screenshots)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(driver.get_screenshot_as_png())
    return path


def sign_in(
    driver: webdriver.Chrome, phone: str, password: str = DEMO_PASSWORD, *, timeout: float = 15
) -> None:
    """Signs in through the page's own form and waits until the form is gone."""
    wait = WebDriverWait(driver, timeout)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form.sign-in input[name=phone]"))
    driver.find_element(By.CSS_SELECTOR, "form.sign-in input[name=phone]").send_keys(phone)
    driver.find_element(By.CSS_SELECTOR, "form.sign-in input[name=password]").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.sign-in button[type=submit]").click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "form.sign-in"))


def first_render_ms(driver: webdriver.Chrome) -> dict[str, float | None]:
    """When the page first painted, and when it marked its content ready (performance.mark
    'linli:ready'), in ms from navigation start."""
    return driver.execute_script(
        "const p = performance.getEntriesByName('first-contentful-paint')[0];"
        "const r = performance.getEntriesByName('linli:ready')[0];"
        "return {firstContentfulPaint: p ? p.startTime : null, ready: r ? r.startTime : null};"
    )
