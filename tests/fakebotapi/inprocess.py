"""The fake Bot API without HTTP: a PTB request object that calls the method handlers directly.

For tests that send thousands of updates (the fuzz in tests/test_properties.py): the same
method handlers, validation (HTML, entities, lengths, keyboards) and records (``calls``,
``errors``) as ``FakeTelegram``'s HTTP endpoint, minus two loopback HTTP stacks per call.
Install it with ``bot._request = (bot._request[0], InProcessRequest(tg))``; ``getUpdates``
keeps the HTTP request, so polling still works. ``fail_next`` applies here too;
``drop_response_next`` (a closed connection) does not.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from telegram.request import BaseRequest, RequestData

from .model import ApiCall, ApiError, ApiErrorRecord, UploadedFile
from .params import Params, _decode
from .registry import HANDLERS, canonical

if TYPE_CHECKING:
    from .server import FakeTelegram

__all__ = ["InProcessRequest"]


class InProcessRequest(BaseRequest):
    """Answers PTB's requests from the fake's state, as its HTTP endpoint would."""

    def __init__(self, tg: FakeTelegram) -> None:
        self._tg = tg

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        name = canonical(name) or name
        # What HTTPXRequest would post: every value a string, files as multipart parts.
        raw: dict[str, Any] = dict(request_data.json_parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            for key, part in request_data.multipart_data.items():
                if isinstance(part, tuple):
                    filename, content = part[0], part[1]
                    mime = part[2] if len(part) > 2 else None
                    raw[key] = UploadedFile(content, filename, mime)
        data = {key: _decode(key, value) for key, value in raw.items()}
        state = self._tg.state
        state.calls.append(ApiCall(name, data))
        state.signal.pulse()
        try:
            injected = self._tg._faults.take_failure(name, data.get("chat_id"))
            if injected is not None:
                raise injected
            if name not in HANDLERS:
                raise ApiError(404, "Not Found")
            result = await HANDLERS[name](state, Params(data))
        except ApiError as err:
            state.errors.append(ApiErrorRecord(name, data, err.status, err.description))
            state.signal.pulse()
            return err.status, json.dumps(err.body()).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()
