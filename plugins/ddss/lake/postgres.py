"""A PostgreSQL server of this machine's Debian packages, for the lake's catalog: started
on a free loopback port with its data under a folder of ours, as the ``postgres`` user when
we are root (PostgreSQL refuses to run as root). ``make postgres`` installs the packages."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class PostgresUnavailable(RuntimeError):
    pass


def binary(name: str) -> Path | None:
    """The newest Debian PostgreSQL's ``name`` (initdb, pg_ctl, ...), or one on PATH."""
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return folder / name
    found = shutil.which(name)
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


def _chown(path: Path) -> None:
    if os.getuid() == 0:
        shutil.chown(path, "postgres", "postgres")


@dataclass
class LocalPostgres:
    """One server: ``data_dir`` is its cluster, the socket and log live beside it."""

    data_dir: Path
    port: int = 0
    user: str = "postgres"

    @property
    def dsn_base(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user}"

    def dsn(self, database: str = "postgres") -> str:
        return f"{self.dsn_base} dbname={database}"

    @property
    def _port_file(self) -> Path:
        return self.data_dir.parent / "port"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        pg_ctl = binary("pg_ctl")
        if pg_ctl is None:
            raise PostgresUnavailable("pg_ctl not found: run `make postgres`")
        return subprocess.run(
            _as_owner([str(pg_ctl), "-D", str(self.data_dir), *args]),
            check=check,
            capture_output=True,
            text=True,
        )

    def running(self) -> bool:
        return self.data_dir.exists() and self._pg_ctl("status", check=False).returncode == 0

    def start(self) -> LocalPostgres:
        """Start the cluster (creating it first if new); reuse it if it already runs."""
        initdb = binary("initdb")
        if initdb is None:
            raise PostgresUnavailable(
                "Không tìm thấy PostgreSQL (initdb); chạy `make postgres`. / "
                "PostgreSQL (initdb) was not found; run `make postgres`."
            )
        folder = self.data_dir.parent
        folder.mkdir(parents=True, exist_ok=True)
        _chown(folder)
        if self.running() and self._port_file.exists():
            self.port = int(self._port_file.read_text())
            return self
        if not (self.data_dir / "PG_VERSION").exists():
            created = subprocess.run(
                # Trust on the loopback only (pg_hba): the server listens nowhere else.
                _as_owner([str(initdb), "-D", str(self.data_dir), "-U", self.user, "-A", "trust"]),
                capture_output=True,
                text=True,
            )
            if created.returncode != 0:
                raise PostgresUnavailable(
                    f"initdb failed for {self.data_dir} (the server's user must be able to "
                    f"reach that folder): {created.stderr.strip()}"
                )
        self.port = self.port or free_port()
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {folder} -c max_connections=200"
        started = self._pg_ctl(
            "-o",
            options,
            "-l",
            str(folder / "postgres.log"),
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if started.returncode != 0:
            log_tail = (folder / "postgres.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(
                f"PostgreSQL did not start in {self.data_dir}: {started.stderr}{log_tail}"
            )
        self._port_file.write_text(str(self.port))
        return self

    def stop(self) -> None:
        if self.running():
            self._pg_ctl("-m", "fast", "-w", "stop", check=False)

    def _admin(self):
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                con = psycopg2.connect(self.dsn())
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        con.autocommit = True
        return con

    def drop_database(self, name: str) -> None:
        con = self._admin()
        try:
            with con.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}" with (force)')
        finally:
            con.close()

    def create_database(self, name: str) -> str:
        """Create ``name`` unless it exists; its DSN."""
        con = self._admin()
        try:
            with con.cursor() as cursor:
                cursor.execute("select 1 from pg_database where datname = %s", [name])
                if cursor.fetchone() is None:
                    cursor.execute(f'create database "{name}"')
        finally:
            con.close()
        return self.dsn(name)
