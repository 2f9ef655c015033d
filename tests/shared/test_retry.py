from __future__ import annotations

import pytest
from azure.core.exceptions import ServiceRequestError
from azure.cosmos.exceptions import CosmosHttpResponseError

from cosmosdb_shared.retry import cosmos_wait, is_transient, retry_after_seconds, with_retries


class _Response:
    def __init__(self, status: int, headers: dict[str, str]):
        self.status_code = status
        self.headers = headers
        self.reason = "test"

    def text(self):
        return ""


def http_error(status: int, **headers: str) -> CosmosHttpResponseError:
    err = CosmosHttpResponseError(
        status_code=status, message=f"status {status}", response=_Response(status, headers)
    )
    err.headers = headers
    return err


def test_retry_after_header_is_read_in_seconds():
    assert retry_after_seconds(http_error(429, **{"x-ms-retry-after-ms": "1500"})) == 1.5
    assert retry_after_seconds(http_error(429)) is None
    assert retry_after_seconds(ValueError()) is None


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (http_error(429), True),
        (http_error(503), True),
        (http_error(408), True),
        (http_error(449), True),
        (http_error(410, **{"x-ms-substatus": "1002"}), True),
        (http_error(410), False),
        (http_error(400), False),
        (http_error(401), False),
        (http_error(409), False),
        (ServiceRequestError("connection reset"), True),
        (ValueError("bug"), False),
    ],
)
def test_is_transient(exc, expected):
    assert is_transient(exc) is expected


def test_wait_generator_uses_retry_after_then_exponential():
    gen = cosmos_wait(base_seconds=1.0, max_seconds=10.0)
    next(gen)
    assert gen.send(http_error(429, **{"x-ms-retry-after-ms": "250"})) == 0.25
    wait = gen.send(http_error(503))
    assert 1.0 <= wait <= 2.0  # attempt 1: base * 2 ** 1 = 2 s, jittered to 50-100 %
    assert gen.send(http_error(429, **{"x-ms-retry-after-ms": "99000"})) == 10.0  # capped


def test_with_retries_retries_transient_until_success():
    attempts = []
    waits = []

    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise http_error(429, **{"x-ms-retry-after-ms": "1"})
        return "ok"

    assert with_retries(flaky, on_retry=lambda e, w: waits.append(w)) == "ok"
    assert len(attempts) == 3
    assert waits == [0.001, 0.001]


def test_with_retries_gives_up_on_permanent_error_immediately():
    attempts = []

    def bad():
        attempts.append(1)
        raise http_error(400)

    with pytest.raises(CosmosHttpResponseError):
        with_retries(bad)
    assert len(attempts) == 1


def test_with_retries_stops_after_max_tries():
    attempts = []

    def always_throttled():
        attempts.append(1)
        raise http_error(429, **{"x-ms-retry-after-ms": "1"})

    with pytest.raises(CosmosHttpResponseError):
        with_retries(always_throttled, max_tries=4)
    assert len(attempts) == 4
