"""The one source of each default a partner starts with (and returns to when erased).

The model (bot/db/models.py), erasure, menus, the docs and the tests all read these;
`tests/test_defaults.py` checks that the migrations' server defaults and the docs agree.
"""

from __future__ import annotations

from typing import Final

TIMEZONE: Final = "UTC"
DELIVERY_TIME: Final = "09:00"
LANGUAGE: Final = "en"
QUIET_START: Final = "22:00"  # nothing is sent from here ...
QUIET_END: Final = "07:00"  # ... until here, in the partner's own time zone
SHARE_WITH_THERAPIST: Final = False  # asked at setup; nothing is shared without a yes
SHARE_WITH_PARTNER: Final = True  # shared exercises reveal answers once both answered
