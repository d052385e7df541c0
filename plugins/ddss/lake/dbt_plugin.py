"""dbt-duckdb plugin of the lake target (``profiles.yml``): DuckDB finds the DuckLake and
postgres extensions of the installed wheels and never downloads one. It runs before the
profile's ``attach`` of the lake."""

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin  # noqa: TID253  (only dbt imports this)

from ddss.warehouse import extension_directory


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        config["extension_directory"] = extension_directory()
        config["autoinstall_known_extensions"] = False
