"""gunicorn settings for `bench/checkin.py --stream-cap` and `bench/live.py --stream-cap`.

`helpdesk serve` sets each worker's limit on open live screens (SSE_MAX_STREAMS, from --streams): past it a
stream is refused with 503 and Retry-After, so the threads left for ordinary requests stay free. Plain gunicorn
sets no limit; this hook sets the same one in each worker, from BENCH_SSE_MAX_STREAMS.
"""

from __future__ import annotations

import os
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Once the worker has built the app: the same stream limit as `helpdesk serve --streams`."""
    streams = os.environ.get("BENCH_SSE_MAX_STREAMS")
    if streams:
        worker.wsgi.config["SSE_MAX_STREAMS"] = int(streams)
