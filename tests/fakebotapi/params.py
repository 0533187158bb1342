"""Reading a Bot API request the way Telegram does: query string, form, multipart or JSON.

PTB 22 (``HTTPXRequest.do_request``) sends ``RequestData.json_parameters`` as form fields: every
value is a string, non-strings JSON-encoded (``chat_id=1001``, ``disable_notification=true``,
``reply_markup={"inline_keyboard": ...}``), and switches to multipart when files are attached
(file parts named after the parameter, e.g. ``document``). Other clients post JSON bodies.
We decode every value to its JSON type except parameters that are strings by definition, so
``text="123"`` stays a string while ``chat_id="1001"`` becomes ``1001``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .model import UploadedFile, bad_request

__all__ = ["Params", "read_params"]

STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "caption_parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "language_code",
        "action",
        "file_id",
        "title",
        "description",
        "short_description",
        "name",
        "emoji",
        "query",
        "business_connection_id",
        "message_effect_id",
        "ip_address",
        "photo",
        "document",
        "sticker",
        "thumbnail",
    }
)


async def read_params(request: web.Request) -> dict[str, Any]:
    raw: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            raw.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(value.file.read(), value.filename, value.content_type)
                else:
                    raw[key] = value
    return {key: _decode(key, value) for key, value in raw.items()}


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class Params:
    """Typed access to one request's parameters, failing like Telegram on bad values."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        return self.data.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, UploadedFile):
            raise bad_request(f"field {name!r} must be a string")
        return str(value)

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        raise bad_request(f"invalid {name} specified")

    def number(self, name: str, default: float) -> float:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.data.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: str) -> Any:
        """An object/array parameter, which may arrive as a JSON string or already decoded."""
        value = self.data.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def file(self, name: str) -> UploadedFile | str | None:
        value = self.data.get(name)
        if value is None or isinstance(value, UploadedFile):
            return value
        return str(value)
