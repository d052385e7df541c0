"""Standard metadata derived from the contracts: Frictionless Data Package and DCAT-AP 3."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ddss.data_contracts import Contract

LICENCES = {"CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/"}
FREQUENCY = {  # EU frequency vocabulary, used by DCAT-AP
    "P1D": "http://publications.europa.eu/resource/authority/frequency/DAILY",
    "P1W": "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
    "P1M": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
    "P3M": "http://publications.europa.eu/resource/authority/frequency/QUARTERLY",
    "P1Y": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
}
MEDIA = {
    "csv": ("text/csv", "http://publications.europa.eu/resource/authority/file-type/CSV"),
    "parquet": (
        "application/vnd.apache.parquet",
        "http://publications.europa.eu/resource/authority/file-type/PARQUET",
    ),
    "json": ("application/json", "http://publications.europa.eu/resource/authority/file-type/JSON"),
}
TOPIC_THEME = {  # data.europa.eu data themes
    "public-administration": "http://publications.europa.eu/resource/authority/data-theme/GOVE",
}


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


def write_catalog(ctx: Context, target: Path) -> Path:
    base = ctx.base_url.rstrip("/") + "/"
    issued = ctx.published_at.isoformat(timespec="seconds")
    datasets = []
    publishers = {}
    for dataset_id, info in ctx.datasets.items():
        contract = ctx.contracts[dataset_id]
        department = contract.department
        publisher_id = f"{base}#publisher-{department.id}"
        publishers[department.id] = {
            "@id": publisher_id,
            "@type": "foaf:Agent",
            "foaf:name": [
                {"@value": department.name_vi, "@language": "vi"},
                {"@value": department.name_en, "@language": "en"},
            ],
        }
        distributions = []
        for fmt, path in info["files"].items():
            media, file_type = MEDIA[fmt]
            url = f"{base}versions/{ctx.version}/{path.relative_to(target)}"
            distributions.append(
                {
                    "@id": f"{url}#distribution",
                    "@type": "dcat:Distribution",
                    "dcat:accessURL": {"@id": f"{base}datasets/{dataset_id}.html"},
                    "dcat:downloadURL": {"@id": url},
                    "dcat:mediaType": {
                        "@id": f"http://www.iana.org/assignments/media-types/{media}"
                    },
                    "dct:format": {"@id": file_type},
                    "dct:license": {"@id": LICENCES.get(contract.licence, contract.licence)},
                    "dcat:byteSize": {
                        "@value": str(path.stat().st_size),
                        "@type": "xsd:nonNegativeInteger",
                    },
                    "dct:title": f"{contract.title_vi} ({fmt.upper()})",
                }
            )
        item = {
            "@id": f"{base}datasets/{dataset_id}.html#dataset",
            "@type": "dcat:Dataset",
            "dct:identifier": dataset_id,
            "dct:title": [
                {"@value": contract.title_vi, "@language": "vi"},
                {"@value": contract.title_en, "@language": "en"},
            ],
            "dct:description": [
                {"@value": contract.description_vi, "@language": "vi"},
                {"@value": contract.description_en, "@language": "en"},
            ],
            "dct:publisher": {"@id": publisher_id},
            "dcat:keyword": [{"@value": k, "@language": "vi"} for k in contract.keywords],
            "dcat:distribution": distributions,
            "dct:modified": {"@value": issued, "@type": "xsd:dateTime"},
            "dct:accrualPeriodicity": {
                "@id": FREQUENCY.get(contract.update_period, contract.update_period)
            },
            "dcat:landingPage": {"@id": f"{base}datasets/{dataset_id}.html"},
            "owl:versionInfo": ctx.version,
        }
        if contract.topic in TOPIC_THEME:
            item["dcat:theme"] = {"@id": TOPIC_THEME[contract.topic]}
        datasets.append(item)
    catalog = {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "owl": "http://www.w3.org/2002/07/owl#",
        },
        "@graph": [
            {
                "@id": f"{base}#catalog",
                "@type": "dcat:Catalog",
                "dct:title": [
                    {"@value": "Cổng dữ liệu mở", "@language": "vi"},
                    {"@value": "Open data portal", "@language": "en"},
                ],
                "dct:description": [
                    {
                        "@value": "Dữ liệu mở đã kiểm định đúng, đủ, sạch, sống của các cơ quan nhà nước.",
                        "@language": "vi",
                    },
                    {
                        "@value": "Validated open data (correct, complete, clean, live) of state agencies.",
                        "@language": "en",
                    },
                ],
                "dct:publisher": {"@id": next(iter(publishers.values()))["@id"]}
                if publishers
                else None,
                "dct:modified": {"@value": issued, "@type": "xsd:dateTime"},
                "dcat:dataset": [{"@id": d["@id"]} for d in datasets],
            },
            *publishers.values(),
            *datasets,
        ],
    }
    path = target / "catalog.jsonld"
    path.write_text(json.dumps(catalog, ensure_ascii=False, indent=1), "utf-8")
    return path
