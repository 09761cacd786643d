"""Sign-in, bearer tokens (HS256 by default, RS256 from an identity provider) and permissions."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import strawberry
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from models.people import Role
from resolvers import people as people_service
from resolvers.actor import Viewer
from schema.permissions import has_role, signed_in
from seeds.demo import DEMO_PASSWORD
from server.app import create_app
from server.settings import DEVELOPMENT_SECRET, Settings
from tests.conftest import make_settings

LOGIN = """
mutation Login($phone: String!, $password: String!) {
  login(phone: $phone, password: $password) {
    __typename
    ... on LoginSuccess { token expiresAt viewer { name phone roles community { name } } }
    ... on InvalidCredentials { code message }
  }
}
"""
ME = "{ me { name roles community { name } } }"


def codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_login_with_the_demo_password_gives_a_token_that_works(gql):
    result = (await gql(LOGIN, {"phone": "138 0000 0001", "password": DEMO_PASSWORD}))["data"]["login"]

    assert result["__typename"] == "LoginSuccess"
    assert result["viewer"] == {
        "name": "王晓燕",
        "phone": "13800000001",
        "roles": ["RESIDENT"],
        "community": {"name": "南睦未来社区"},
    }
    me = await gql(ME, token=result["token"])
    assert me["data"]["me"]["roles"] == ["RESIDENT"]


@pytest.mark.parametrize(
    ("phone", "password"),
    [("13800000001", "wrong-password"), ("13899999999", DEMO_PASSWORD), ("not-a-phone", DEMO_PASSWORD)],
)
async def test_wrong_credentials_are_data_and_do_not_say_which_half_was_wrong(gql, phone, password):
    result = (await gql(LOGIN, {"phone": phone, "password": password}))["data"]["login"]

    assert result == {
        "__typename": "InvalidCredentials",
        "code": "INVALID_CREDENTIALS",
        "message": "手机号或密码不正确",
    }


async def test_me_is_null_without_a_token(gql):
    assert (await gql(ME))["data"] == {"me": None}


def token_with(settings: Settings, **changes) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": "1",
        "roles": ["ADMIN"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    secret = changes.pop("secret", settings.jwt_secret)
    claims.update(changes)
    return jwt.encode(
        {key: value for key, value in claims.items() if value is not None}, secret, algorithm="HS256"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": datetime.now(UTC) - timedelta(seconds=1)},
        {"secret": "another-secret-that-is-long-enough-0123456789"},
        {"aud": "someone-else"},
        {"iss": "someone-else"},
        {"exp": None},
    ],
    ids=["expired", "wrong-signature", "wrong-audience", "wrong-issuer", "no-expiry"],
)
async def test_a_bad_or_expired_token_is_unauthenticated(gql, settings, changes):
    response = await gql.post(ME, token=token_with(settings, **changes))

    assert response.status_code == 401
    assert codes(response.json()) == ["UNAUTHENTICATED"]
    assert "data" not in response.json()


async def test_garbage_and_non_bearer_authorization_are_unauthenticated(client):
    for header in ["Bearer not.a.jwt", "Basic dXNlcjpwYXNz", "Bearer "]:
        response = await client.post("/graphql", json={"query": ME}, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert codes(response.json()) == ["UNAUTHENTICATED"]


async def test_a_token_from_login_stops_working_when_it_expires(client_with):
    async with client_with(access_token_ttl_seconds=1) as client:
        login = await client.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"phone": "13800000001", "password": DEMO_PASSWORD}},
        )
        token = login.json()["data"]["login"]["token"]
        fresh = await client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
        )
        await asyncio.sleep(2.1)
        stale = await client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
        )

    assert fresh.json()["data"]["me"]["roles"] == ["RESIDENT"]
    assert stale.status_code == 401
    assert codes(stale.json()) == ["UNAUTHENTICATED"]


async def test_rs256_tokens_from_an_identity_provider_are_accepted_and_hs256_refused(engine, db, clock):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings = make_settings(jwt_public_key=public_pem)
    app = create_app(settings, engine=engine, session_factory=db, clock=clock, configure_logs=False)
    now = datetime.now(UTC)
    claims = {
        "sub": "1",
        "roles": ["RESIDENT"],
        "iss": "linli",
        "aud": "linli-api",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    rs256 = jwt.encode(claims, key, algorithm="RS256")
    # The classic confusion attack: an HS256 token signed with the public key as the secret.
    confused = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        accepted = await client.post(
            "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {rs256}"}
        )
        refused = await client.post(
            "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {confused}"}
        )

    assert accepted.status_code == 200
    assert refused.status_code == 401


def test_production_refuses_the_development_secret():
    with pytest.raises(ValidationError, match="LINLI_JWT_SECRET"):
        Settings(env="production", jwt_secret=DEVELOPMENT_SECRET)
    with pytest.raises(ValidationError):
        Settings(env="production", jwt_secret="short")
    assert Settings(env="production", jwt_secret="x" * 40).graphiql_enabled is False


async def test_production_turns_off_graphiql_introspection_and_suggestions(engine, db, clock):
    settings = make_settings(env="production", jwt_secret="p" * 48)
    app = create_app(settings, engine=engine, session_factory=db, clock=clock, configure_logs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        ide = await client.get("/graphql", headers={"Accept": "text/html"})
        asset = await client.get("/graphiql/graphiql/graphiql.min.js")
        introspection = await client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        typo = await client.post("/graphql", json={"query": "{ communitie { edges { cursor } } }"})

    assert ide.status_code in (400, 404) and "GraphiQL" not in ide.text
    assert asset.status_code == 404
    assert set(codes(introspection.json())) == {"BAD_REQUEST"}
    assert "introspection has been disabled" in introspection.text
    assert "Did you mean" not in typo.text


async def test_development_suggests_fields(gql):
    response = await gql.post("{ communitie { edges { cursor } } }")

    assert "Did you mean" in response.text


# ── permission classes ───────────────────────────────────────────────────────


@strawberry.type
class ProbeQuery:
    @strawberry.field(extensions=signed_in())
    def anyone_signed_in(self) -> str:
        return "ok"

    @strawberry.field(extensions=has_role(Role.CARE_STAFF, Role.ADMIN))
    def care_only(self) -> str:
        return "ok"


PROBE = strawberry.Schema(query=ProbeQuery)


class ProbeContext:
    def __init__(self, viewer):
        self.viewer = viewer


@pytest.mark.parametrize(
    ("viewer", "field", "expected"),
    [
        (None, "anyoneSignedIn", "UNAUTHENTICATED"),
        (None, "careOnly", "UNAUTHENTICATED"),
        (Viewer(1, frozenset({"RESIDENT"})), "anyoneSignedIn", None),
        (Viewer(1, frozenset({"RESIDENT"})), "careOnly", "FORBIDDEN"),
        (Viewer(1, frozenset({"CARE_STAFF"})), "careOnly", None),
        (Viewer(1, frozenset({"ADMIN"})), "careOnly", None),
    ],
)
async def test_signed_in_and_has_role_permissions(viewer, field, expected):
    result = await PROBE.execute(f"{{ {field} }}", context_value=ProbeContext(viewer))

    if expected is None:
        assert result.errors is None and result.data == {field: "ok"}
    else:
        assert [error.extensions["code"] for error in result.errors] == [expected]


async def test_adding_a_role_to_an_existing_phone_adds_the_role(session):
    await people_service.add_user(session=session, phone="13911112222", name="孙丽", role=Role.RESIDENT)
    person = await people_service.add_user(
        session=session,
        phone="+86 139 1111 2222",
        name="孙丽",
        role=Role.CARE_STAFF,
        community_name="海创社区",
    )

    assert person.role_names == ["CARE_STAFF", "RESIDENT"]
    assert person.community_id is not None
