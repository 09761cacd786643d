"""What the benchmarks share: Linli served in its production configuration, tokens, query plans."""

import asyncio
import contextlib
import os
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import asyncpg
import httpx

BENCH_SECRET = "bench-secret-bench-secret-bench-secret-0123"


ROOT = Path(__file__).resolve().parents[1]


def export(revision: str, into: Path) -> Path:
    """A commit's tree, for a benchmark that measures the code before a change beside the code now."""
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


@contextlib.asynccontextmanager
async def stamped_for(dsn: str, tree: Path):
    """While an older tree is served, the database says it is at that tree's newest migration.

    The database is built with the current migrations, which only add to what an older tree reads
    and writes; its `/readyz` would otherwise answer `migrations_pending` and it would never serve.
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(tree / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    connection = await asyncpg.connect(dsn)
    try:
        current = await connection.fetchval("SELECT version_num FROM alembic_version")
        await connection.execute("UPDATE alembic_version SET version_num = $1", head)
        try:
            yield
        finally:
            await connection.execute("UPDATE alembic_version SET version_num = $1", current)
    finally:
        await connection.close()


def server_env(url: str) -> dict[str, str]:
    """Production configuration against `url`: periodic jobs off, so only the load runs."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "LINLI_ENV": "production",
        "LINLI_JWT_SECRET": BENCH_SECRET,
        "LINLI_LOG_LEVEL": "WARNING",
        "LINLI_JOBS_ENABLED": "false",
    }


def linli_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("linli")), *args]


def token_for(env: dict[str, str], phone: str) -> str:
    done = subprocess.run(linli_command("token", "--phone", phone), env=env, capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"linli token failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(linli_command("serve", "--port", str(port), "--workers", "1"), env=env)


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


async def wait_ready(base: str, server: subprocess.Popen) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit(f"linli serve exited with {server.returncode}")
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("Linli did not become ready")


async def generic_plan(connection, statement: str, parameters) -> str:
    """The plan of a prepared statement's generic plan, as auto_explain reports it while it runs."""
    driver = (await connection.get_raw_connection()).driver_connection
    notes: list[str] = []

    def listen(_, message) -> None:
        notes.append(message.message)

    driver.add_log_listener(listen)
    try:
        await driver.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; "
            "SET auto_explain.log_buffers = on; SET plan_cache_mode = force_generic_plan; "
            "SET client_min_messages = log"
        )
        prepared = await driver.prepare(statement)
        await prepared.fetch(*parameters)
    finally:
        await driver.execute(
            "RESET client_min_messages; RESET plan_cache_mode; RESET auto_explain.log_min_duration"
        )
        driver.remove_log_listener(listen)
    plans = [note for note in notes if "plan:" in note]
    if not plans:
        return "(auto_explain reported nothing)"
    head, _, rest = plans[-1].partition("Query Text: ")
    return (
        head.strip() + "\n" + rest[len(statement) :].strip("\n") if rest.startswith(statement) else plans[-1]
    )


async def print_plans(connection, label: str, statement: str, parameters) -> None:
    """The statement, its custom plan (EXPLAIN ANALYZE) and the generic plan it may switch to."""
    print(f"\n-- {label}\n{statement}\n-- parameters: {parameters}")
    plan = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
    print("-- custom plan (the parameters' values known to the planner)")
    print("\n".join(row[0] for row in plan.all()))
    # What the server may run after five executions of its prepared statement.
    print("-- generic plan (prepared, plan_cache_mode = force_generic_plan, auto_explain)")
    print(await generic_plan(connection, statement, parameters))
