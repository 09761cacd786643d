"""`linli serve` will not put tokens signed with the public development secret on a network."""

import asyncio
import os
import socket

import pytest

from server import cli
from server.settings import DEVELOPMENT_SECRET, Settings
from tests.api.test_cli import LINLI
from tests.conftest import TEST_DATABASE_URL, free_port

REFUSAL = "拒绝在 0.0.0.0 上提供服务"
LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"]
PUBLIC = ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "linli.example", ""]
PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nMFkw…\n-----END PUBLIC KEY-----"


def configured(**values) -> Settings:
    """Settings as a deployment gives them (explicitly, whatever this shell's environment holds)."""
    defaults = {"DATABASE_URL": TEST_DATABASE_URL, "env": "development", "jwt_public_key": None}
    return Settings(**{**defaults, **values})


def development() -> Settings:
    return configured(jwt_secret=DEVELOPMENT_SECRET)


@pytest.mark.parametrize("host", LOOPBACK)
def test_the_development_secret_may_serve_on_loopback(host):
    cli.refuse_development_secret_off_loopback(host, development())  # no error


@pytest.mark.parametrize("host", PUBLIC)
def test_the_development_secret_may_not_serve_elsewhere(host):
    with pytest.raises(cli.CommandError, match="LINLI_JWT_SECRET"):
        cli.refuse_development_secret_off_loopback(host, development())


@pytest.mark.parametrize("host", PUBLIC)
def test_a_real_secret_or_key_may_serve_anywhere(host):
    own_secret = configured(jwt_secret="our-own-secret-of-at-least-32-characters")
    outside_key = configured(jwt_secret=DEVELOPMENT_SECRET, jwt_public_key=PUBLIC_KEY)

    cli.refuse_development_secret_off_loopback(host, own_secret)
    cli.refuse_development_secret_off_loopback(host, outside_key)


def accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def test_serve_on_all_interfaces_with_the_development_secret_exits_1_and_binds_nothing():
    # given: a deployment that forgot LINLI_ENV and the secret
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINLI_")}
    env.update(DATABASE_URL=TEST_DATABASE_URL, LINLI_JOBS_ENABLED="false")
    port = free_port()

    # when
    process = await asyncio.create_subprocess_exec(
        LINLI,
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    bound = False
    try:
        for _ in range(300):  # until it exits, or for 30 s
            if process.returncode is not None:
                break
            bound = bound or accepts(port)
            try:
                await asyncio.wait_for(process.wait(), timeout=0.1)
            except TimeoutError:
                pass
    finally:
        if process.returncode is None:
            process.kill()
        _, stderr = await process.communicate()
    err = stderr.decode()

    # then
    assert not bound and not accepts(port), "linli serve listened on 0.0.0.0 with the development secret"
    assert process.returncode == 1, err
    assert REFUSAL in err and "Traceback" not in err
    assert err.strip().count("\n") == 0, err
