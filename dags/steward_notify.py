"""
### Thư báo cho cán bộ dữ liệu / E-mail to the departments' data stewards

Runs after every publication of the portal (scheduled on the asset `ddss://public/portal`,
which the publishing task updates). One task, **notify**:

1. copies the warehouse's file events (rejected, loaded, withdrawn files) for the steward
   workspace, which never opens the warehouse itself (`data/steward/file_events.json`);
2. e-mails each department's stewards what is new since the last mail: a file the loader
   rejected, new rows in quarantine, a deadline in 3 days, a missed deadline. Each status
   once (`data/steward/notifications.jsonl`), one mail per steward, Vietnamese then
   English, a link to the workspace page and no value from any row.

The same code as `ddss steward-notify` (what to run after `ddss run` without Airflow).
Without `DDSS_SMTP_HOST` nothing is mailed. The task reads the warehouse, so it takes the
writers' one-slot pool: it never opens the file while a department's run writes it.
"""

# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
import pendulum
from airflow.sdk import dag, task

from ddss.orchestration.dag_factory import PORTAL, WRITER_POOL


@dag(
    dag_id="steward_notify",
    schedule=[PORTAL],
    start_date=pendulum.datetime(2022, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["ddss", "steward"],
    default_args={"pool": WRITER_POOL, "retries": 1},
)
def steward_notify() -> None:
    @task
    def notify() -> dict:
        from ddss.settings import load_settings
        from ddss.steward.notify import after_run
        from ddss.steward.settings import load_steward_settings

        cfg = load_settings()
        sent = after_run(cfg, load_steward_settings(cfg))
        return {"sent": len(sent), "kinds": sorted({n.kind for n in sent})}

    notify()


steward_notify()
