"""The public API as the topology run's clients see it (bench/topology.py): patient, spread over
both APIs, retrying a dropped call with the same Idempotency-Key on the other one."""

import asyncio
from collections import Counter
from typing import Any

import httpx

from bench.topology_procs import TopologyError

RETRY_STATUS = frozenset({429, 502, 503, 504})
CALL_ATTEMPTS = 400  # a call is retried at most this often (bounded by attempts, not a clock)


def error_code(r: httpx.Response) -> str | None:
    try:
        body = r.json()
    except ValueError:
        return None
    return body.get("errorCode") if isinstance(body, dict) else None


class Client:
    """The public API as a patient client spread over the APIs: a call that meets a dropped
    connection goes again, with the same Idempotency-Key, to the next API."""

    def __init__(self, api_urls: list[str]) -> None:
        self.urls = api_urls
        self.http = httpx.AsyncClient(
            timeout=60, trust_env=False, limits=httpx.Limits(max_connections=200)
        )
        self.token = ""
        self.retries: Counter[str] = Counter()
        self.in_flight = [0] * len(api_urls)
        self.calls = [0] * len(api_urls)  # every attempt, by the API it went to
        self.homes = [0] * len(api_urls)  # every call, by the API it went to first

    async def call(
        self,
        home: int,
        method: str,
        path: str,
        *,
        json: Any = None,
        key: str | None = None,
        token: str | None = None,
        accept: frozenset[int] = frozenset({200, 201, 202}),
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {token or self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        api = home % len(self.urls)
        self.homes[api] += 1
        for _ in range(CALL_ATTEMPTS):
            used = api
            self.in_flight[used] += 1
            self.calls[used] += 1
            try:
                r = await self.http.request(
                    method, self.urls[used] + path, json=json, headers=headers
                )
            except httpx.TransportError as exc:
                self.retries[f"{type(exc).__name__} → other API"] += 1
                api = (used + 1) % len(self.urls)
                await asyncio.sleep(0.2)
                continue
            finally:
                self.in_flight[used] -= 1
            if r.status_code in accept:
                return r
            code = error_code(r)
            if r.status_code in RETRY_STATUS or code == "IDEMPOTENCY_IN_PROGRESS":
                self.retries[f"{r.status_code} {code or ''}".strip()] += 1
                await asyncio.sleep(min(2.0, float(r.headers.get("retry-after", "1") or 1)))
                continue
            raise TopologyError(f"{method} {path} → {r.status_code} {r.text[:300]}")
        raise TopologyError(f"{method} {path}: no answer after {CALL_ATTEMPTS} attempts")

    async def aclose(self) -> None:
        await self.http.aclose()
