"""An office starts from an empty database: `linli admin create` makes the first ADMIN (once), who
sets a password with the printed code; and two ADMINs disabling each other at once cannot leave
none (#14). Both on a database of their own, built by the migrations and nothing else."""

import asyncio
import os
import re
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from models.people import Person, Role
from resolvers import people as people_service
from schema.common import encode_global_id
from server.app import create_app
from server.migrate import upgrade
from tests.conftest import TEST_DATABASE_URL, make_settings, recreate_database, running_server

LINLI = str(Path(sys.executable).with_name("linli"))
EMPTY_URL = make_url(TEST_DATABASE_URL).set(database=f"{make_url(TEST_DATABASE_URL).database}_empty")
EMPTY = EMPTY_URL.render_as_string(hide_password=False)
PASSWORD = "first-admin-passphrase"


@pytest.fixture(scope="module")
async def empty_database():
    await recreate_database(EMPTY)
    await asyncio.to_thread(upgrade, EMPTY)
    engine = create_async_engine(EMPTY)
    yield engine
    await engine.dispose()


async def linli(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": EMPTY}
    process = await asyncio.create_subprocess_exec(
        LINLI, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


async def test_the_first_admin_is_made_once_and_sets_a_password_with_the_printed_code(empty_database):
    code, out, err = await linli("admin", "create", "--phone", "13912340001", "--name", "首位管理员")
    again, _, refusal = await linli("admin", "create", "--phone", "13912340002", "--name", "第二位")
    reset_code = re.search(r"一次性重置码：([A-Z0-9]{10})", out)

    assert code == 0, err
    assert reset_code, out
    assert again == 1 and "已有系统管理员" in refusal and refusal.count("\n") == 1

    app = create_app(make_settings(DATABASE_URL=EMPTY), configure_logs=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://linli.test"
    ) as client:
        reset = await client.post(
            "/graphql",
            json={
                "query": 'mutation($c: String!) { passwordReset(phone: "13912340001", code: $c, '
                'newPassword: "first-admin-passphrase") { __typename ... on DomainError { code } } }',
                "variables": {"c": reset_code[1]},
            },
        )
        login = await client.post(
            "/graphql",
            json={
                "query": 'mutation { login(phone: "13912340001", password: "first-admin-passphrase") '
                "{ __typename ... on LoginSuccess { viewer { roles } } } }"
            },
        )
    await app.state.services.engine.dispose()

    assert reset.json()["data"]["passwordReset"]["__typename"] == "PasswordSet"
    assert login.json()["data"]["login"]["viewer"]["roles"] == ["ADMIN"]


async def test_two_admins_disabling_each_other_at_once_leave_one(empty_database):
    # Given exactly two active ADMINs
    async with empty_database.begin() as connection:
        session = AsyncSession(bind=connection)
        await session.execute(update(Person).values(disabled_at=text("now()")))
        pair = [
            await people_service.add_user(
                session=session, phone=f"1391234100{n}", name=f"管理员{n}", role=Role.ADMIN, password=PASSWORD
            )
            for n in (1, 2)
        ]
        ids = [person.id for person in pair]
    app = create_app(make_settings(DATABASE_URL=EMPTY), configure_logs=False)
    login = (
        'mutation($p: String!) { login(phone: $p, password: "first-admin-passphrase") '
        "{ ... on LoginSuccess { token } } }"
    )
    disable = "mutation($id: ID!) { personDisable(id: $id) { __typename ... on DomainError { code } } }"
    outcomes = []
    async with running_server(app) as address:
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as client:
            for _ in range(5):  # several rounds: the race is real each time
                tokens = [
                    (
                        await client.post(
                            "/graphql", json={"query": login, "variables": {"p": f"1391234100{n}"}}
                        )
                    ).json()["data"]["login"]["token"]
                    for n in (1, 2)
                ]
                # When each disables the other at the same moment, over connections of their own
                answers = await asyncio.gather(
                    *(
                        client.post(
                            "/graphql",
                            json={"query": disable, "variables": {"id": encode_global_id("Person", other)}},
                            headers={"Authorization": f"Bearer {token}"},
                        )
                        for token, other in zip(tokens, reversed(ids), strict=True)
                    )
                )
                outcomes.append(
                    sorted(answer.json()["data"]["personDisable"].get("code", "DONE") for answer in answers)
                )
                async with empty_database.begin() as connection:
                    active = await connection.scalar(
                        select(text("count(*)"))
                        .select_from(Person)
                        .where(Person.id.in_(ids), Person.disabled_at.is_(None))
                    )
                    assert active == 1, "one ADMIN stays active"
                    await connection.execute(
                        update(Person).where(Person.id.in_(ids)).values(disabled_at=None)
                    )
    await app.state.services.engine.dispose()

    # Then each time exactly one succeeded and the other was refused as the last ADMIN
    assert outcomes == [["DONE", "LAST_ADMIN"]] * 5
