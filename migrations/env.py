import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


_migration_engine = None


def get_engine():
    """The engine migrations run on: the tables' owner (``MIGRATION_DATABASE_URL``) when configured.

    The application's own role (``DATABASE_URL``) owns nothing and is subject to row-level security;
    without ``MIGRATION_DATABASE_URL`` the application's engine is used (SQLite, development).
    """
    global _migration_engine
    url = current_app.config.get("MIGRATION_DATABASE_URI")
    if not url:
        return current_app.extensions['migrate'].db.engine
    if _migration_engine is None:
        from sqlalchemy import create_engine, pool

        _migration_engine = create_engine(url, poolclass=pool.NullPool)
    return _migration_engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a SQLite table (copy, DROP, rename). With foreign keys on, that DROP
            # first deletes every row, cascading to child tables (an offer's revisions…) or failing on
            # RESTRICT. SQLite's documented procedure for schema changes: keys off outside any
            # transaction (so on the driver connection, before SQLAlchemy begins one), a foreign key
            # check before each migration commits, keys on again.
            _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
        try:
            # A copy: Flask-Migrate's configure_args is shared by every app (and database) of the process.
            options = dict(conf_args)
            if sqlite:
                options.setdefault("on_version_apply", _check_sqlite_foreign_keys)
            if options.get("include_object") is None:
                # Items the models create on one database only (PostgreSQL trigram indexes) are not
                # "missing" on the others.
                from app.models.base import include_in_comparison

                options["include_object"] = include_in_comparison(connection.dialect.name)
            context.configure(
                connection=connection,
                target_metadata=get_metadata(),
                **options
            )

            # Data migrations read and write every tenant's rows: the explicit bypass, also for the
            # row-level security policies (FORCE applies them to the owner too).
            from app.tenancy import all_tenants

            with all_tenants(), context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                if connection.in_transaction():
                    connection.rollback()
                _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def _sqlite_pragma(connection, pragma):
    """Run ``pragma`` on the driver connection, outside any transaction (where SQLite honours it)."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()


def _check_sqlite_foreign_keys(ctx, step, heads, run_args):
    """Refuse (roll back) a SQLite migration step that left rows with dangling foreign keys."""
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"Migration {step.up_revision_id} broke foreign keys: {broken[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
