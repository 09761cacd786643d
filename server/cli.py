"""The `linli` command. User mistakes end in one clear line and a non-zero exit, never a traceback."""

import argparse
import asyncio
import ipaddress
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from models.people import Role, SessionKind

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"
README_FILE = Path(__file__).resolve().parent.parent / "README.md"


WS_READ_FACTOR = 32  # × LINLI_MAX_BODY_BYTES: the largest WebSocket message uvicorn reads whole


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


def _is_loopback(host: str) -> bool:
    name = host.strip().removeprefix("[").removesuffix("]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # any other name may resolve to a public address
        return False


def refuse_development_secret_off_loopback(host: str, settings) -> None:
    """LINLI_ENV defaults to development, whose HS256 secret is public: a deployment that forgot
    LINLI_ENV would accept tokens anyone can sign. Such a server may listen on loopback only."""
    from server.settings import DEVELOPMENT_SECRET

    development_secret = settings.jwt_public_key is None and settings.jwt_secret == DEVELOPMENT_SECRET
    if development_secret and not _is_loopback(host):
        raise CommandError(
            f"拒绝在 {host or '所有地址'} 上提供服务：令牌仍用公开的开发密钥签名，任何人都能伪造；"
            "请设置 LINLI_JWT_SECRET（或 LINLI_JWT_PUBLIC_KEY）和 LINLI_ENV=production，或只监听 127.0.0.1"
        )


def cmd_serve(args) -> None:
    import uvicorn

    settings = _settings()
    refuse_development_secret_off_loopback(args.host, settings)
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
        # A WebSocket message over the body limit is refused (4413) once read; far larger ones are
        # not even read whole (1009), so one socket cannot make a worker hold many megabytes.
        ws_max_size=WS_READ_FACTOR * settings.max_body_bytes,
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


def cmd_admin_create(args) -> None:
    from resolvers.people import office

    settings = _settings()

    async def work(session):
        return await office.first_admin(
            session=session,
            phone=args.phone,
            name=args.name,
            password=args.password,
            now=datetime.now(UTC),
            ttl=settings.password_reset_timedelta,
        )

    person, code = asyncio.run(_in_session(work))
    print(f"首位系统管理员已创建：{person.name}（{person.phone}）")
    if code is not None:
        print(
            f"一次性重置码：{code.code}（{code.expires_at:%Y-%m-%d %H:%M} UTC 前用 passwordReset 设置密码）"
        )


def cmd_token(args) -> None:
    from resolvers import people as people_service
    from server.auth import TokenService

    settings = _settings()

    if args.ttl is not None and args.ttl <= 0:
        raise CommandError(f"--ttl 必须是正整数（秒），收到 {args.ttl}")
    ttl = args.ttl or settings.token_ttl_seconds

    async def work(session):
        person = await people_service.get_person_by_phone(session=session, phone=args.phone)
        if person is None:
            raise CommandError(f"没有手机号为 {args.phone} 的用户（先运行 linli user add）")
        if person.disabled_at is not None:
            raise CommandError(f"{args.phone} 的账号已停用")
        await session.refresh(person, ["roles"])
        # A session of its own, so the token can be revoked like a sign-in (sessionRevoke, disabling).
        now = datetime.now(UTC)
        issued = await people_service.open_session(
            session=session,
            person=person,
            kind=SessionKind.ISSUED,
            now=now,
            expires_at=now + timedelta(seconds=ttl),
            user_agent="linli token",
        )
        return person, issued.session.id

    person, session_id = asyncio.run(_in_session(work))
    token, _ = TokenService(settings).issue(person, ttl_seconds=ttl, session_id=session_id)
    print(token)


class TextProgress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self.started = time.perf_counter()
        self.shown_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        tenth = int(fraction * 10)
        if not self.tty and tenth == self.shown_tenth:
            return
        self.shown_tenth = tenth
        filled = int(fraction * self.width)
        rate = done / max(time.perf_counter() - self.started, 1e-9)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] {done}/{total} 行 {fraction:4.0%} {rate:,.0f} 行/秒"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def cmd_facilities_import(args) -> int:
    from resolvers.coordinates import CoordinateSystem
    from resolvers.facilities.importing import ImportFileError, import_file

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"找不到文件：{path}")
    progress = TextProgress()

    async def work(session):
        try:
            report = await import_file(
                session=session,
                path=path,
                file_format=args.format,
                system=CoordinateSystem(args.system),
                source=args.source,
                dry_run=args.dry_run,
                progress=progress,
            )
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        if args.dry_run:
            await session.rollback()
        return report

    report = asyncio.run(_in_session(work))
    for rejected in report.rejected:
        print(f"rejected {rejected.where}: {rejected.reason} {rejected.message}")
    rate = report.imported / report.seconds if report.seconds else 0.0
    verb = "试运行（未写入）：将导入" if report.dry_run else "已导入"
    print(
        f"{verb} {report.imported} 行（新增 {report.inserted}，更新 {report.updated}，"
        f"未变 {report.unchanged}），拒绝 "
        f"{len(report.rejected)} 行，共 {report.total} 行；来源 {report.source}；{report.seconds:.2f} 秒，"
        f"{rate:,.0f} 行/秒"
    )
    return 2 if report.rejected else 0


def cmd_export_schema(args) -> None:
    from schema import build_schema
    from schema.error_codes import with_readme_table

    schema = build_schema(_settings())
    sdl = schema.as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
        return
    Path(args.output).write_text(sdl, encoding="utf-8")
    print(f"已导出 {args.output}")
    if args.readme:
        readme = Path(args.readme)
        readme.write_text(with_readme_table(readme.read_text(encoding="utf-8"), schema), encoding="utf-8")
        print(f"已更新 {args.readme} 的错误码表")


def cmd_release(args) -> None:
    from resolvers.clock import SHANGHAI
    from schema import build_schema
    from server import release

    served = build_schema(_settings()).as_str() + "\n"
    today = datetime.now(SHANGHAI).date()
    try:
        done = release.cut_release(Path(args.root), args.version, served, today)
    except release.ReleaseRefused as refused:
        raise CommandError(str(refused)) from None
    print(
        f"已发布 {done.version}（上一版 {done.previous_version}）：schema 变更 {len(done.changes)} 项，"
        "已写入 schema/released.graphql、版本号（pyproject.toml、uv.lock）和 CHANGELOG.md"
    )
    for change in done.dangerous:
        print(f"注意，可能影响现有客户端：{change}")


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
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="监听地址（默认 127.0.0.1；其他地址须配置真正的 LINLI_JWT_SECRET）",
    )
    serve.add_argument("--port", type=int, default=8000, help="监听端口（默认 8000）")
    serve.add_argument("--workers", type=int, default=1, help="工作进程数（默认 1；每个进程各有连接池）")
    serve.set_defaults(run=cmd_serve)

    user = commands.add_parser("user", help="用户").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="新增用户，或为已有手机号增加角色")
    add.add_argument("--phone", required=True, help="大陆手机号，例如 13800000001（可带 +86、空格）")
    add.add_argument("--name", required=True, help="姓名")
    add.add_argument("--role", required=True, choices=[role.value for role in Role], help="要授予的角色")
    add.add_argument("--community", help="社区名称，例如 南睦未来社区（社区岗位角色必填）")
    add.add_argument("--password", help="登录密码（至少 10 位；不给则不能用密码登录）")
    add.set_defaults(run=cmd_user_add)

    admin = commands.add_parser("admin", help="系统管理员").add_subparsers(
        dest="admin_command", required=True
    )
    first = admin.add_parser("create", help="在空数据库中创建首位系统管理员（已有则拒绝）")
    first.add_argument("--phone", required=True, help="管理员的大陆手机号")
    first.add_argument("--name", required=True, help="管理员姓名")
    first.add_argument("--password", help="不给则打印一次性重置码，用 passwordReset 设置密码")
    first.set_defaults(run=cmd_admin_create)

    token = commands.add_parser("token", help="为用户签发令牌（只输出令牌本身）")
    token.add_argument("--phone", required=True, help="令牌持有人的手机号")
    token.add_argument(
        "--ttl",
        type=int,
        default=None,
        metavar="SECONDS",
        help="有效秒数（正整数；默认 LINLI_TOKEN_TTL_SECONDS）",
    )
    token.set_defaults(run=cmd_token)

    facilities = commands.add_parser("facilities", help="设施").add_subparsers(
        dest="facilities_command", required=True
    )
    load = facilities.add_parser(
        "import",
        help="从 GeoJSON（Point 的 FeatureCollection）或 CSV 导入设施；按来源 id 幂等，可重复运行",
        description="逐行校验，拒绝的行（CSV 行号或 GeoJSON features[下标] 及原因）打印在标准输出，"
        "其余照常导入；进度条在标准错误。退出码：0 全部导入，2 有被拒绝的行，1 文件本身无法导入。",
    )
    load.add_argument("file", help="GeoJSON 或 CSV 文件")
    load.add_argument("--format", choices=["geojson", "csv"], help="文件格式（默认按扩展名判断）")
    load.add_argument(
        "--system",
        choices=["GCJ02", "WGS84", "BD09"],
        default="GCJ02",
        help="文件中坐标的坐标系（默认 GCJ02：高德、腾讯；WGS84：GPS；BD09：百度）",
    )
    load.add_argument(
        "--source", help="来源名（1–40 个字符，默认文件名去掉扩展名）：与每行的 id 一起决定更新哪一个设施"
    )
    load.add_argument("--dry-run", action="store_true", help="只校验并报告，不写入数据库")
    load.set_defaults(run=cmd_facilities_import)

    export = commands.add_parser("export-schema", help="导出 SDL 到 schema/schema.graphql")
    export.add_argument(
        "--output", default=str(SCHEMA_FILE), help="输出文件（默认 schema/schema.graphql；- 为标准输出）"
    )
    export.add_argument(
        "--readme",
        default=str(README_FILE),
        help="同时更新其中由 ErrorCode 生成的错误码表的 README（默认仓库的 README.md；空字符串则不更新）",
    )
    export.set_defaults(run=cmd_export_schema)

    cut = commands.add_parser(
        "release", help="发布新版本：有未先弃用的破坏性 schema 变更则拒绝；记录 SDL、版本号和 CHANGELOG.md"
    )
    cut.add_argument("version", help="新版本号，例如 0.2.0（须大于 pyproject.toml 中的当前版本）")
    cut.add_argument(
        "--root", default=str(SCHEMA_FILE.parent.parent), help="项目目录（默认本仓库；测试时可用临时目录）"
    )
    cut.set_defaults(run=cmd_release)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code = args.run(args)
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
    return code or 0


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
