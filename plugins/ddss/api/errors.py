"""Errors the API answers with: an HTTP status and one message in Vietnamese, then English.

A client (or a citizen reading the JSON) gets what went wrong and which parameter and value
caused it; never a traceback."""

from __future__ import annotations


class ApiError(Exception):
    """A refusal the client can act on (400), something that is not there (404), or a
    version the server will not serve because it fails verification (503)."""

    def __init__(
        self,
        status: int,
        message_vi: str,
        message_en: str,
        *,
        parameter: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.status = status
        self.message_vi = message_vi
        self.message_en = message_en
        self.parameter = parameter
        self.value = value

    def body(self) -> dict:
        error: dict = {
            "status": self.status,
            "message": f"{self.message_vi} / {self.message_en}",
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }
        if self.parameter is not None:
            error["parameter"] = self.parameter
        if self.value is not None:
            error["value"] = self.value
        return {"error": error}


def not_found(what_vi: str, what_en: str, value: str) -> ApiError:
    return ApiError(
        404,
        f"Không tìm thấy {what_vi} '{value}'.",
        f"No {what_en} '{value}'.",
        value=value,
    )


def bad_parameter(parameter: str, value: str, why_vi: str, why_en: str) -> ApiError:
    return ApiError(
        400,
        f"Tham số '{parameter}' có giá trị '{value}' không hợp lệ: {why_vi}",
        f"Parameter '{parameter}' has an invalid value '{value}': {why_en}",
        parameter=parameter,
        value=value,
    )
