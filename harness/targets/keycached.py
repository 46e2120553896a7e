"""The reference fix behind a cache keyed by the API key alone (the base URL left out of the key,
a bug seen in client caches): the first endpoint asked for in a process gets the right client,
every later one gets that same client. A fresh process per scenario never shows it; the
long-lived rows do, with the request going to the first endpoint's host (``wrong host``)."""

from __future__ import annotations

from harness.targets.cached import cache_by

factory = cache_by(lambda provider, base_url, api_key, async_client: (api_key, async_client))
