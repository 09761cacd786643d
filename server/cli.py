"""The `linli` command. User mistakes end in one clear line and a non-zero exit, never a traceback."""

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from pydantic import ValidationError

from models.people import Role

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


class CommandError(Exception):
    pass


def _settings():
    from server.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(str(item["msg"]).removeprefix("Value error, ") for item in error.errors())
        raise CommandError(f"配置错误：{problems}") from None


async def _in_session(work):
    """Run `work(session)` in one transaction and commit it."""
    from server.db import create_engine, create_session_factory

    engine = create_engine(_settings())
    try:
        async with create_session_factory(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


def cmd_db_upgrade(args) -> None:
    from server.migrate import upgrade

    upgrade(_settings().database_url)
    print("数据库已迁移到最新版本")


def cmd_seed(args) -> None:
    from seeds.demo import seed_demo
    from seeds.facilities import seed_scale

    async def work(session):
        summary = await seed_demo(session=session)
        if args.scale:
            summary["synthetic_facilities_added"] = await seed_scale(session=session, count=args.scale)
        return summary

    summary = asyncio.run(_in_session(work))
    print("演示数据已加载：" + ", ".join(f"{key}={value}" for key, value in summary.items()))


def _drained(signum, frame) -> None:
    raise SystemExit(0)


def cmd_serve(args) -> None:
    import uvicorn

    settings = _settings()
    # On SIGTERM uvicorn stops accepting, lets the requests in flight finish (up to the graceful
    # timeout), then raises the signal again for the handler that was there before it: with the
    # default one the process would die by the signal (status 143) after a clean drain. This one
    # ends it with status 0, so a supervisor sees the orderly stop it was.
    signal.signal(signal.SIGTERM, _drained)
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        access_log=False,  # our middleware writes one JSON line per request
        log_config=None,  # uvicorn logs through our JSON handler too
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


def cmd_user_add(args) -> None:
    from resolvers import people as people_service

    async def work(session):
        return await people_service.add_user(
            session=session,
            phone=args.phone,
            name=args.name,
            role=Role(args.role),
            community_name=args.community,
            password=args.password,
        )

    person = asyncio.run(_in_session(work))
    print(f"用户 {person.name}（{person.phone}）角色：{', '.join(person.role_names)}")


def cmd_token(args) -> None:
    from resolvers import people as people_service
    from server.auth import TokenService

    settings = _settings()

    async def work(session):
        person = await people_service.get_person_by_phone(session=session, phone=args.phone)
        if person is None:
            raise CommandError(f"没有手机号为 {args.phone} 的用户（先运行 linli user add）")
        await session.refresh(person, ["roles"])
        return person

    person = asyncio.run(_in_session(work))
    token, _ = TokenService(settings).issue(person, ttl_seconds=args.ttl)
    print(token)


def cmd_export_schema(args) -> None:
    from schema import build_schema

    sdl = build_schema(_settings()).as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl, encoding="utf-8")
        print(f"已导出 {args.output}")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="linli", description="Linli 邻里 — 五常未来社区服务 API")
    commands = root.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="数据库").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="运行迁移到最新版本").set_defaults(run=cmd_db_upgrade)

    seed = commands.add_parser("seed", help="加载五常演示数据（可重复运行）")
    seed.add_argument(
        "--scale", type=int, default=0, metavar="N", help="另加 N 个分布在杭州的合成设施，用于压测"
    )
    seed.set_defaults(run=cmd_seed)

    serve = commands.add_parser("serve", help="启动 HTTP/WebSocket 服务")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=cmd_serve)

    user = commands.add_parser("user", help="用户").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="新增用户，或为已有手机号增加角色")
    add.add_argument("--phone", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--community", help="社区名称，例如 南睦未来社区")
    add.add_argument("--password")
    add.set_defaults(run=cmd_user_add)

    token = commands.add_parser("token", help="为用户签发令牌（只输出令牌本身）")
    token.add_argument("--phone", required=True)
    token.add_argument("--ttl", type=int, default=None, metavar="SECONDS")
    token.set_defaults(run=cmd_token)

    export = commands.add_parser("export-schema", help="导出 SDL 到 schema/schema.graphql")
    export.add_argument("--output", default=str(SCHEMA_FILE))
    export.set_defaults(run=cmd_export_schema)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except CommandError as error:
        print(f"linli: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        message = _user_facing(error)
        if message is None:
            raise
        print(f"linli: {message}", file=sys.stderr)
        return 1
    return 0


def _user_facing(error: Exception) -> str | None:
    """One line for the mistakes a user can make; None for our own bugs (they keep the traceback)."""
    from resolvers.errors import DomainFailure

    if isinstance(error, DomainFailure):
        return error.message
    if isinstance(error, ValueError) and "DATABASE_URL" in str(error):
        return str(error)
    if isinstance(error, (OSError, ConnectionError, TimeoutError)):
        return f"无法连接数据库（{type(error).__name__}: {error}）：请检查 DATABASE_URL 和数据库是否在运行"
    if type(error).__module__.startswith("asyncpg"):
        return f"数据库报错（{type(error).__name__}）：{error}"
    cause = getattr(error, "orig", None) or error.__cause__
    if cause is not None and cause is not error:
        return _user_facing(cause)
    return None


if __name__ == "__main__":
    sys.exit(main())
