"""A CKAN-compatible read API as static files in each version, so that CKAN-based portals
(national open-data portals among them) can harvest ours without a server of our own:

    api/3/action/package_list            {"success": true, "result": [ids]}
    api/3/action/package_show/<id>.json  what CKAN's package_show?id=<id> returns
    api/3/action/package_search.json     every package (a static file cannot filter by q)

The shapes follow CKAN's action API (``help``, ``success``, ``result``); packages carry
the same facts as the DCAT-AP catalogue."""

from __future__ import annotations

import json
from pathlib import Path

from ddss.publish import catalog_vocabularies as vocab
from ddss.publish.metadata import Context, temporal_coverage

ACTIONS = "api/3/action"


def _envelope(action: str, base: str, result: object) -> str:
    body = {"help": f"{base}{ACTIONS}/{action}", "success": True, "result": result}
    return json.dumps(body, ensure_ascii=False, indent=1)


def _resources(ctx: Context, dataset_id: str, target: Path) -> list[dict]:
    base = ctx.base_url.rstrip("/") + "/"
    contract = ctx.contracts[dataset_id]
    created = ctx.published_at.isoformat(timespec="seconds")
    resources = []
    for fmt, path in ctx.datasets[dataset_id]["files"].items():
        media = vocab.FORMATS[fmt][0]
        resources.append(
            {
                "id": f"{dataset_id}-{fmt}",
                "package_id": dataset_id,
                "name": f"{contract.title_vi} ({fmt.upper()})",
                "url": f"{base}versions/{ctx.version}/{path.relative_to(target)}",
                "format": fmt.upper(),
                "mimetype": media,
                "size": path.stat().st_size,
                "hash": f"sha256:{ctx.digests(path)}",
                "created": created,
                "last_modified": created,
            }
        )
    return resources


def package(ctx: Context, dataset_id: str, target: Path) -> dict:
    """One dataset as CKAN's package_show returns it."""
    base = ctx.base_url.rstrip("/") + "/"
    contract = ctx.contracts[dataset_id]
    department = contract.department
    licence = vocab.LICENCES.get(contract.licence)
    coverage = temporal_coverage(ctx, dataset_id)
    extras = {
        "title_en": contract.title_en,
        "notes_en": contract.description_en,
        "frequency": vocab.frequency_uri(contract.update_period),
        "theme": json.dumps(vocab.theme_uris(contract.topic)),
        "access_rights": vocab.PUBLIC_ACCESS,
        "version": ctx.version,
        "rows": str(ctx.datasets[dataset_id]["rows"]),
    }
    if coverage:
        extras["temporal_start"], extras["temporal_end"] = (d.isoformat() for d in coverage)
    modified = ctx.published_at.isoformat(timespec="seconds")
    return {
        "id": dataset_id,
        "name": dataset_id.replace("_", "-"),
        "type": "dataset",
        "title": contract.title_vi,
        "notes": contract.description_vi,
        "url": f"{base}datasets/{dataset_id}.html",
        "license_id": contract.licence,
        "license_title": licence[3] if licence else contract.licence,
        "license_url": licence[1] if licence else "",
        "isopen": True,
        "private": False,
        "state": "active",
        "version": ctx.version,
        "metadata_modified": modified,
        "organization": {
            "name": department.id.replace("_", "-"),
            "title": department.name_vi,
            "description": department.name_en,
        },
        "tags": [{"name": keyword} for keyword in contract.keywords],
        "num_tags": len(contract.keywords),
        "resources": _resources(ctx, dataset_id, target),
        "num_resources": len(ctx.datasets[dataset_id]["files"]),
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
    }


def write_ckan_api(ctx: Context, target: Path) -> list[Path]:
    """Write the static CKAN action API under ``target``/api/3/action; returns the files."""
    base = ctx.base_url.rstrip("/") + "/"
    actions = target / ACTIONS
    (actions / "package_show").mkdir(parents=True, exist_ok=True)
    packages = [package(ctx, dataset_id, target) for dataset_id in ctx.datasets]
    written = []
    for item in packages:
        path = actions / "package_show" / f"{item['id']}.json"
        path.write_text(_envelope(f"package_show?id={item['id']}", base, item), "utf-8")
        written.append(path)
    listing = _envelope("package_list", base, [item["id"] for item in packages])
    for name in ("package_list", "package_list.json"):
        (actions / name).write_text(listing, "utf-8")
        written.append(actions / name)
    search = {"count": len(packages), "sort": "score desc", "results": packages}
    (actions / "package_search.json").write_text(_envelope("package_search", base, search), "utf-8")
    written.append(actions / "package_search.json")
    return written
