"""The controlled vocabularies the DCAT-AP 3 catalogue refers to, as typed JSON-LD nodes.

DCAT-AP 3.0.0's SHACL shapes check the class of every resource a property points to
(``dct:license`` → ``dct:LicenseDocument``, ``dcat:mediaType`` → ``dct:MediaType`` …). A
harvester that does not load the EU vocabularies sees only what the catalogue itself says,
so the catalogue types each referenced resource and labels it, as ckanext-dcat's DCAT-AP 3
profile does. The URIs are those of the EU Publications Office's authority tables (the
vocabularies data.europa.eu's metadata quality assessment recognises) and IANA's media types.
"""

from __future__ import annotations

EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"


def labels(vi: str, en: str) -> list[dict]:
    return [{"@value": vi, "@language": "vi"}, {"@value": en, "@language": "en"}]


# contract licence id -> (EU licence authority code, canonical licence text, vi, en)
LICENCES = {
    "CC-BY-4.0": (
        "CC_BY_4_0",
        "https://creativecommons.org/licenses/by/4.0/",
        "Giấy phép Creative Commons Ghi công 4.0 Quốc tế",
        "Creative Commons Attribution 4.0 International",
    ),
}

# ISO 8601 update period -> (EU frequency code, vi, en)
FREQUENCIES = {
    "P1D": ("DAILY", "Hằng ngày", "daily"),
    "P1W": ("WEEKLY", "Hằng tuần", "weekly"),
    "P1M": ("MONTHLY", "Hằng tháng", "monthly"),
    "P3M": ("QUARTERLY", "Hằng quý", "quarterly"),
    "P1Y": ("ANNUAL", "Hằng năm", "annual"),
}

# download format -> (IANA media type, EU file type, vi, en)
FORMATS = {
    "csv": ("text/csv", "CSV", "CSV (giá trị phân tách bằng dấu phẩy)", "CSV"),
    "parquet": ("application/vnd.apache.parquet", "PARQUET", "Apache Parquet", "Apache Parquet"),
    "json": ("application/json", "JSON", "JSON", "JSON"),
}

# EU data themes (data-theme authority table): code -> (vi, en)
THEMES = {
    "ECON": ("Kinh tế và tài chính", "Economy and finance"),
    "ENVI": ("Môi trường", "Environment"),
    "GOVE": ("Chính phủ và khu vực công", "Government and public sector"),
    "HEAL": ("Y tế", "Health"),
    "SOCI": ("Dân số và xã hội", "Population and society"),
    "TECH": ("Khoa học và công nghệ", "Science and technology"),
    "TRAN": ("Giao thông vận tải", "Transport"),
}

# contract topic -> (vi, en, EU data themes); the portal shows the labels, DCAT the themes
TOPICS = {
    "digital-transformation": ("Chuyển đổi số", "Digital transformation", ("GOVE", "TECH")),
    "finance": ("Tài chính, thuế", "Finance and tax", ("ECON",)),
    "government": ("Chính quyền", "Government", ("GOVE",)),
    "health": ("Y tế", "Health", ("HEAL",)),
    "land": ("Đất đai, môi trường", "Land and environment", ("ENVI",)),
    "public-administration": ("Hành chính công", "Public administration", ("GOVE",)),
    "social-protection": ("An sinh xã hội", "Social protection", ("SOCI",)),
    "transport": ("Giao thông", "Transport", ("TRAN",)),
}

LANGUAGES = {"VIE": ("Tiếng Việt", "Vietnamese"), "ENG": ("Tiếng Anh", "English")}
PUBLIC_ACCESS = EU + "access-right/PUBLIC"
VIET_NAM = EU + "country/VNM"
THEME_SCHEME = EU + "data-theme"
SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"


def licence_uri(licence: str) -> str:
    return EU + "licence/" + LICENCES[licence][0] if licence in LICENCES else licence


def frequency_uri(period: str) -> str:
    return EU + "frequency/" + FREQUENCIES[period][0] if period in FREQUENCIES else period


def theme_uris(topic: str) -> list[str]:
    return [EU + "data-theme/" + code for code in TOPICS.get(topic, ("", "", ()))[2]]


def language_uris() -> list[str]:
    return [EU + "language/" + code for code in LANGUAGES]


def nodes() -> list[dict]:
    """Every vocabulary resource the catalogue may refer to, typed as the shapes require."""
    items: list[dict] = []
    for code, canonical, vi, en in LICENCES.values():
        items.append(
            {
                "@id": EU + "licence/" + code,
                "@type": "dct:LicenseDocument",
                "rdfs:label": labels(vi, en),
                "rdfs:seeAlso": {"@id": canonical},
            }
        )
    for code, vi, en in FREQUENCIES.values():
        items.append(
            {
                "@id": EU + "frequency/" + code,
                "@type": "dct:Frequency",
                "skos:prefLabel": labels(vi, en),
            }
        )
    for media, file_type, vi, en in FORMATS.values():
        items.append({"@id": IANA + media, "@type": "dct:MediaType", "rdfs:label": media})
        items.append(
            {
                "@id": EU + "file-type/" + file_type,
                "@type": "dct:MediaTypeOrExtent",
                "rdfs:label": labels(vi, en),
            }
        )
    items.append(
        {
            "@id": THEME_SCHEME,
            "@type": "skos:ConceptScheme",
            "dct:title": labels("Chủ đề dữ liệu (EU)", "Data theme (EU)"),
        }
    )
    for code, (vi, en) in THEMES.items():
        items.append(
            {
                "@id": EU + "data-theme/" + code,
                "@type": "skos:Concept",
                "skos:prefLabel": labels(vi, en),
                "skos:inScheme": {"@id": THEME_SCHEME},
            }
        )
    for code, (vi, en) in LANGUAGES.items():
        items.append(
            {
                "@id": EU + "language/" + code,
                "@type": "dct:LinguisticSystem",
                "rdfs:label": labels(vi, en),
            }
        )
    items.append(
        {
            "@id": PUBLIC_ACCESS,
            "@type": "dct:RightsStatement",
            "rdfs:label": labels("Công khai", "Public"),
        }
    )
    items.append(
        {"@id": VIET_NAM, "@type": "dct:Location", "skos:prefLabel": labels("Việt Nam", "Viet Nam")}
    )
    items.append({"@id": SHA256, "@type": "spdx:ChecksumAlgorithm"})
    return items
