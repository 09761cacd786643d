"""Every answer carries the security headers; CORS answers only the configured origins."""

import httpx

from server.app import create_app
from tests.conftest import make_settings

COMMUNITIES = "{ communities(first: 1) { edges { node { name } } } }"


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linli.test")


async def test_api_answers_forbid_sniffing_framing_and_any_content(client):
    answers = [
        await client.post("/graphql", json={"query": COMMUNITIES}),
        await client.post("/graphql", json={"query": "{ nope }"}),  # an error answer too
        await client.get("/healthz"),
    ]

    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
        assert "strict-transport-security" not in answer.headers  # off unless served behind TLS
        assert "access-control-allow-origin" not in answer.headers  # no CORS unless configured


async def test_the_graphiql_page_may_run_only_its_own_assets(client):
    page = await client.get("/graphql", headers={"Accept": "text/html"})

    policy = page.headers["content-security-policy"]
    assert page.status_code == 200 and "script-src 'self' 'unsafe-inline'" in policy
    assert "frame-ancestors 'none'" in policy and "https:" not in policy


async def test_cors_allows_the_configured_origin_only(engine, db):
    app_origin = "https://app.linli.example"
    settings = make_settings(cors_origins=[app_origin], hsts_seconds=31536000)
    app = create_app(settings, engine=engine, session_factory=db, configure_logs=False)
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}

    async with client_for(app) as client:
        allowed = await client.options("/graphql", headers={"Origin": app_origin, **preflight})
        refused = await client.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
        answer = await client.post("/graphql", json={"query": COMMUNITIES}, headers={"Origin": app_origin})
        foreign = await client.post(
            "/graphql", json={"query": COMMUNITIES}, headers={"Origin": "https://evil.example"}
        )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == app_origin
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    assert answer.headers["access-control-allow-origin"] == app_origin
    assert "access-control-allow-origin" not in foreign.headers
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
