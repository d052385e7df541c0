"""Standard metadata derived from the contracts: Frictionless Data Package and DCAT-AP 3."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ddss.data_contracts import Contract, Department
from ddss.publish import catalog_vocabularies as vocab
from ddss.publish.digests import Digests

LICENCES = {code: canonical for code, (_, canonical, _, _) in vocab.LICENCES.items()}


@dataclass
class Context:
    version: str
    run_id: str
    published_at: datetime
    contracts: dict[str, Contract]
    datasets: dict[str, dict]  # id -> {"rows": n, "files": {fmt: Path}}
    quality: dict  # per dataset
    base_url: str
    departments: dict = field(default_factory=dict)  # scorecards per department
    # the published versions before this one, newest first (publisher's list_versions):
    # they date each dataset's first issue in the catalogue
    previous_versions: list[dict] = field(default_factory=list)
    # the publication's checksums: each download read once for its page, the catalogues
    # and the manifest
    digests: Digests = field(default_factory=Digests)

    @property
    def labels(self) -> Any:
        """The citizen-facing labels (``ddss.publish.labels``) for the portal's templates."""
        from ddss.publish import labels

        return labels


def _schema(contract: Contract) -> dict:
    fields = []
    for column in contract.publish_columns:
        item: dict[str, object] = {
            "name": column.name,
            "type": column.type,
            "title": column.description_en,
            "description": column.description_vi,
        }
        if column.enum:
            item["constraints"] = {"enum": list(column.enum)}
        fields.append(item)
    schema: dict[str, object] = {"fields": fields, "missingValues": [""]}
    if contract.publish_key:
        schema["primaryKey"] = list(contract.publish_key)
    return schema


def write_datapackage(ctx: Context, target: Path) -> Path:
    resources = []
    for dataset_id, info in ctx.datasets.items():
        contract = ctx.contracts[dataset_id]
        csv_path = info["files"]["csv"]
        resources.append(
            {
                "name": dataset_id.replace("_", "-"),
                "path": str(csv_path.relative_to(target)),
                "title": contract.title_vi,
                "description": f"{contract.description_vi}\n\n{contract.description_en}",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "bytes": csv_path.stat().st_size,
                "licenses": [
                    {"name": contract.licence, "path": LICENCES.get(contract.licence, "")}
                ],
                "schema": _schema(contract),
            }
        )
    package = {
        "name": "ddss-open-data",
        "title": "Dữ liệu mở của các cơ quan nhà nước / Open data of state agencies",
        "version": ctx.version,
        "created": ctx.published_at.isoformat(timespec="seconds"),
        "licenses": [{"name": "CC-BY-4.0", "path": LICENCES["CC-BY-4.0"]}],
        "resources": resources,
    }
    path = target / "datapackage.json"
    path.write_text(json.dumps(package, ensure_ascii=False, indent=1), "utf-8")
    return path


CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def version_time(version: str) -> datetime:
    """A version id (``20261124T185102Z``) as the UTC time it was published."""
    return datetime.strptime(version, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _date_time(moment: datetime) -> dict:
    return {"@value": moment.isoformat(timespec="seconds"), "@type": "xsd:dateTime"}


def _first_issued(ctx: Context, dataset_id: str) -> datetime:
    """When the dataset was first published: the oldest version that has its CSV."""
    path = f"downloads/{dataset_id}.csv"
    versions = [v["version"] for v in ctx.previous_versions if path in v.get("rows", {})]
    return version_time(min(versions)) if versions else ctx.published_at


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a reporting period: ``2022``, ``2022-Q3`` or ``2022-07``."""
    year = int(period[:4])
    if len(period) == 4:
        return date(year, 1, 1), date(year, 12, 31)
    if period[5] == "Q":
        first, last = 3 * int(period[6]) - 2, 3 * int(period[6])
    else:
        first = last = int(period[5:7])
    following = date(year + last // 12, last % 12 + 1, 1)
    return date(year, first, 1), date.fromordinal(following.toordinal() - 1)


def temporal_coverage(ctx: Context, dataset_id: str) -> tuple[date, date] | None:
    """The days the dataset's data covers: the reporting periods received (freshness),
    or for a derived dataset those of its sources."""
    quality = ctx.quality.get(dataset_id, {})
    periods = (quality.get("freshness") or {}).get("received") or []
    bounds = [period_bounds(p) for p in periods]
    contract = ctx.contracts.get(dataset_id)
    for source in contract.derived_from if contract and not bounds else ():
        covered = temporal_coverage(ctx, source)
        if covered:
            bounds.append(covered)
    if not bounds:
        return None
    return min(b[0] for b in bounds), max(b[1] for b in bounds)


def _agent_nodes(base: str, department: Department) -> list[dict]:
    """The department as publisher, its contact point, the place it serves and the rights
    statement its data is published under."""
    from ddss.reference.wards import wards_of

    wards = wards_of(department.province_code)
    province = wards[0].province_name if wards else department.name_vi
    return [
        {
            "@id": f"{base}#publisher-{department.id}",
            "@type": ["foaf:Agent", "foaf:Organization"],
            "foaf:name": vocab.labels(department.name_vi, department.name_en),
        },
        {
            "@id": f"{base}#contact-{department.id}",
            "@type": ["vcard:Kind", "vcard:Organization"],
            "vcard:fn": department.name_vi,
            "vcard:hasURL": {"@id": f"{base}index.html"},
        },
        {
            "@id": f"{base}#province-{department.province_code}",
            "@type": "dct:Location",
            "skos:prefLabel": {"@value": province, "@language": "vi"},
        },
        {
            "@id": f"{base}#rights-{department.id}",
            "@type": "dct:RightsStatement",
            "rdfs:label": vocab.labels(
                f"Được tự do sử dụng lại, kể cả vì mục đích thương mại, với điều kiện ghi nguồn: "
                f"{department.name_vi}.",
                f"Free to reuse, also commercially, provided the source is credited: "
                f"{department.name_en}.",
            ),
        },
    ]


def _files_time(ctx: Context, dataset_id: str) -> datetime:
    """When the dataset's files were published: this version, or the one a held-back
    dataset's files were carried from."""
    carried = ctx.datasets[dataset_id].get("carried_from")
    return version_time(carried) if carried else ctx.published_at


def _distribution(ctx: Context, contract: Contract, fmt: str, path: Path, target: Path) -> dict:
    base = ctx.base_url.rstrip("/") + "/"
    media, file_type, _, _ = vocab.FORMATS[fmt]
    url = f"{base}versions/{ctx.version}/{path.relative_to(target)}"
    return {
        "@id": f"{url}#distribution",
        "@type": "dcat:Distribution",
        "dct:title": vocab.labels(
            f"{contract.title_vi} ({fmt.upper()})", f"{contract.title_en} ({fmt.upper()})"
        ),
        "dcat:accessURL": {"@id": f"{base}datasets/{contract.id}.html"},
        "dcat:downloadURL": {"@id": url},
        "dcat:mediaType": {"@id": vocab.IANA + media},
        "dct:format": {"@id": vocab.EU + "file-type/" + file_type},
        "dct:license": {"@id": vocab.licence_uri(contract.licence)},
        "dct:rights": {"@id": f"{base}#rights-{contract.department.id}"},
        "dcat:byteSize": {"@value": str(path.stat().st_size), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": vocab.SHA256},
            "spdx:checksumValue": {"@value": ctx.digests(path), "@type": "xsd:hexBinary"},
        },
        "dct:issued": _date_time(_files_time(ctx, contract.id)),
        "dct:language": [{"@id": uri} for uri in vocab.language_uris()],
    }


def _dataset(ctx: Context, dataset_id: str, target: Path) -> dict:
    base = ctx.base_url.rstrip("/") + "/"
    contract, info = ctx.contracts[dataset_id], ctx.datasets[dataset_id]
    department = contract.department
    page = f"{base}datasets/{dataset_id}.html"
    modified = _files_time(ctx, dataset_id)
    item: dict = {
        "@id": f"{page}#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": dataset_id,
        "dct:title": vocab.labels(contract.title_vi, contract.title_en),
        "dct:description": vocab.labels(contract.description_vi, contract.description_en),
        "dct:publisher": {"@id": f"{base}#publisher-{department.id}"},
        "dcat:contactPoint": {"@id": f"{base}#contact-{department.id}"},
        "dcat:keyword": [{"@value": k, "@language": "vi"} for k in contract.keywords],
        "dcat:theme": [{"@id": uri} for uri in vocab.theme_uris(contract.topic)],
        "dct:spatial": [
            {"@id": vocab.VIET_NAM},
            {"@id": f"{base}#province-{department.province_code}"},
        ],
        "dct:accessRights": {"@id": vocab.PUBLIC_ACCESS},
        "dct:language": [{"@id": uri} for uri in vocab.language_uris()],
        "dct:issued": _date_time(min(_first_issued(ctx, dataset_id), modified)),
        "dct:modified": _date_time(modified),
        "dct:accrualPeriodicity": {"@id": vocab.frequency_uri(contract.update_period)},
        "dcat:landingPage": {"@id": page},
        "dcat:version": ctx.version,
        "dcat:distribution": [
            _distribution(ctx, contract, fmt, path, target) for fmt, path in info["files"].items()
        ],
    }
    coverage = temporal_coverage(ctx, dataset_id)
    if coverage:
        item["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@value": coverage[0].isoformat(), "@type": "xsd:date"},
            "dcat:endDate": {"@value": coverage[1].isoformat(), "@type": "xsd:date"},
        }
    return item


def _resources(base: str, datasets: list[dict]) -> list[dict]:
    """The pages and files the datasets link to, typed as DCAT-AP 3's shapes require."""
    pages = {d["dcat:landingPage"]["@id"] for d in datasets}
    downloads = {x["dcat:downloadURL"]["@id"] for d in datasets for x in d["dcat:distribution"]}
    return [
        {"@id": f"{base}index.html", "@type": "foaf:Document"},
        *({"@id": p, "@type": ["foaf:Document", "rdfs:Resource"]} for p in sorted(pages)),
        *({"@id": u, "@type": "rdfs:Resource"} for u in sorted(downloads)),
    ]


def write_catalog(ctx: Context, target: Path) -> Path:
    """catalog.jsonld: DCAT-AP 3.0.0, conformant to its SHACL shapes (tests/publish/test_catalog.py)."""
    base = ctx.base_url.rstrip("/") + "/"
    datasets = [_dataset(ctx, dataset_id, target) for dataset_id in ctx.datasets]
    departments = {
        ctx.contracts[d].department.id: ctx.contracts[d].department for d in ctx.datasets
    }
    catalog = {
        "@id": f"{base}#catalog",
        "@type": "dcat:Catalog",
        "dct:title": vocab.labels("Cổng dữ liệu mở", "Open data portal"),
        "dct:description": vocab.labels(
            "Dữ liệu mở đã kiểm định đúng, đủ, sạch, sống của các cơ quan nhà nước.",
            "Validated open data (correct, complete, clean, live) of state agencies.",
        ),
        "dct:publisher": {"@id": f"{base}#operator"},
        "foaf:homepage": {"@id": f"{base}index.html"},
        "dct:language": [{"@id": uri} for uri in vocab.language_uris()],
        "dct:license": {"@id": vocab.licence_uri("CC-BY-4.0")},
        "dct:spatial": {"@id": vocab.VIET_NAM},
        "dcat:themeTaxonomy": {"@id": vocab.THEME_SCHEME},
        "dct:modified": _date_time(ctx.published_at),
        "dcat:dataset": [{"@id": d["@id"]} for d in datasets],
    }
    operator = {
        "@id": f"{base}#operator",
        "@type": "foaf:Agent",
        "foaf:name": vocab.labels(
            "Đơn vị vận hành Cổng dữ liệu mở", "Operator of the open data portal"
        ),
    }
    graph = [
        catalog,
        operator,
        *(node for department in departments.values() for node in _agent_nodes(base, department)),
        *datasets,
        *_resources(base, datasets),
        *vocab.nodes(),
    ]
    path = target / "catalog.jsonld"
    path.write_text(
        json.dumps({"@context": CONTEXT, "@graph": graph}, ensure_ascii=False, indent=1), "utf-8"
    )
    return path
