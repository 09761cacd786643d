"""The `linli` command end to end: real processes against the test database."""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import TEST_DATABASE_URL

LINLI = str(Path(sys.executable).with_name("linli"))
PHONE = "13712345678"
SCHEMA_SDL = (Path(__file__).resolve().parents[2] / "schema" / "schema.graphql").read_text(encoding="utf-8")


async def linli(*args: str, database_url: str = TEST_DATABASE_URL) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        LINLI, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.fixture
async def cleanup_phone(engine):
    yield PHONE
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM persons WHERE phone = :phone"), {"phone": PHONE})


async def test_user_add_then_token_then_me(client, cleanup_phone):
    plain_url = TEST_DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://")
    code, out, err = await linli(
        "user",
        "add",
        "--phone",
        PHONE,
        "--name",
        "钱多多",
        "--role",
        "CARE_STAFF",
        "--community",
        "永福社区",
        database_url=plain_url,
    )
    assert code == 0, err
    assert "角色：CARE_STAFF" in out
    code, _, err = await linli("user", "add", "--phone", PHONE, "--name", "钱多多", "--role", "RESIDENT")
    assert code == 0, err

    code, token, err = await linli("token", "--phone", PHONE, "--ttl", "600")

    assert code == 0, err
    assert token.count("\n") == 1 and token.count(".") == 2  # the token alone on stdout
    response = await client.post(
        "/graphql",
        json={"query": "{ me { name roles community { name } } }"},
        headers={"Authorization": f"Bearer {token.strip()}"},
    )
    assert response.json()["data"]["me"] == {
        "name": "钱多多",
        "roles": ["CARE_STAFF", "RESIDENT"],
        "community": {"name": "永福社区"},
    }


@pytest.mark.parametrize(
    ("args", "database_url", "expected"),
    [
        (
            ["user", "add", "--phone", "123", "--name", "x", "--role", "ADMIN"],
            TEST_DATABASE_URL,
            "手机号格式不正确",
        ),
        (
            ["user", "add", "--phone", PHONE, "--name", "x", "--role", "ADMIN", "--community", "火星社区"],
            TEST_DATABASE_URL,
            "没有名为「火星社区」的社区",
        ),
        (["token", "--phone", "13700000000"], TEST_DATABASE_URL, "没有手机号为 13700000000 的用户"),
        (["token", "--phone", "13800000001", "--ttl", "0"], TEST_DATABASE_URL, "--ttl 必须是正整数"),
        (["token", "--phone", "13800000001", "--ttl", "-5"], TEST_DATABASE_URL, "--ttl 必须是正整数"),
        (["db", "upgrade"], "mysql://root@localhost/linli", "DATABASE_URL"),
        (["seed"], "postgresql://linli@127.0.0.1:1/linli", "无法连接数据库"),
    ],
    ids=[
        "bad-phone",
        "unknown-community",
        "unknown-person",
        "ttl-zero",
        "ttl-negative",
        "wrong-url-scheme",
        "no-database",
    ],
)
async def test_user_mistakes_are_one_clear_line_and_a_nonzero_exit(args, database_url, expected):
    code, _, err = await linli(*args, database_url=database_url)

    assert code == 1
    assert expected in err
    assert "Traceback" not in err
    assert err.strip().count("\n") == 0, err


async def test_export_schema_prints_the_served_sdl():
    code, out, err = await linli("export-schema", "--output", "-")

    assert code == 0, err
    assert out == SCHEMA_SDL


async def test_seed_is_safe_to_run_twice(engine):
    for _ in range(2):
        code, _, err = await linli("seed")
        assert code == 0, err
    async with engine.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM communities WHERE name = '南睦未来社区'"))
    assert count == 1


def test_every_command_and_option_says_what_it_is_for():
    """`linli … --help` explains every option (argparse prints nothing for one without help)."""
    import argparse

    from server.cli import parser

    missing = []

    def walk(command: argparse.ArgumentParser, path: str) -> None:
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(parser(), "linli")
    assert missing == []
