"""GraphiQL works with no internet: headless Chromium opens /graphql, runs a query, reads the answer."""

import asyncio
import json

from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium

QUERY = "{ communities(first: 1) { edges { node { name } } } }"
EDITOR = ".graphiql-query-editor .CodeMirror"
RESPONSE = ".graphiql-response .CodeMirror"


def run_query_in_graphiql(address: str) -> tuple[str, list[str]]:
    driver = chromium()
    try:
        driver.get(f"http://{address}/graphql")
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.execute_script(f"return !!document.querySelector('{EDITOR}')"))
        driver.execute_script(f"document.querySelector('{EDITOR}').CodeMirror.setValue({json.dumps(QUERY)})")
        driver.find_element("css selector", ".graphiql-execute-button").click()
        wait.until(
            lambda d: (
                "edges"
                in d.execute_script(f"return document.querySelector('{RESPONSE}').CodeMirror.getValue()")
            )
        )
        result = driver.execute_script(f"return document.querySelector('{RESPONSE}').CodeMirror.getValue()")
        loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        return result, loaded
    finally:
        driver.quit()


async def test_graphiql_runs_a_query_with_local_assets_only(live_server):
    result, loaded = await asyncio.to_thread(run_query_in_graphiql, live_server)

    assert json.loads(result)["data"] == {"communities": {"edges": [{"node": {"name": "南睦未来社区"}}]}}
    assert loaded, "the page loaded no assets"
    assert all(url.startswith(f"http://{live_server}/") for url in loaded), loaded
