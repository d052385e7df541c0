"""dbt-duckdb plugin: every dbt connection gets the Vietnamese validators as SQL functions
(``profiles.yml`` lists this module under ``plugins``)."""

from dbt.adapters.duckdb.plugins import BasePlugin

from ddss.transform import validators


class Plugin(BasePlugin):
    def configure_connection(self, conn):
        validators.register(conn)
