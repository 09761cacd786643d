"""Alembic environment (async). The URL comes from the config the caller built (see server.migrate)."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

import models
from server.settings import normalize_database_url

target_metadata = models.Base.metadata


def _is_partition(table_name: str) -> bool:
    # Monthly partitions of readings are made at run time (ensure_readings_partition), not modelled.
    return table_name.startswith("readings_")


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table":
        # PostGIS owns spatial_ref_sys; partitions are not ours to diff.
        return name != "spatial_ref_sys" and not (reflected and compare_to is None and _is_partition(name))
    if type_ == "index" and reflected and compare_to is None:
        return not _is_partition(obj.table.name)
    return True


def do_run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    url = normalize_database_url(context.config.get_main_option("sqlalchemy.url"))
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("离线迁移不受支持：请连接数据库运行 linli db upgrade")

connection = context.config.attributes.get("connection")
if connection is not None:
    do_run_migrations(connection)
else:
    asyncio.run(run_async_migrations())
