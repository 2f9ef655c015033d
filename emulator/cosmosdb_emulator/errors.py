"""The error type handlers raise, mapped by the HTTP layer to a Cosmos error response."""

from __future__ import annotations

_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    408: "RequestTimeout",
    409: "Conflict",
    410: "Gone",
    412: "PreconditionFailed",
    413: "RequestEntityTooLarge",
    424: "FailedDependency",
    429: "TooManyRequests",
    449: "RetryWith",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


def code_for(status: int) -> str:
    """The service's ``code`` string for an HTTP status (e.g. 404 -> ``NotFound``)."""
    return _CODES.get(status, "Error")


class CosmosError(Exception):
    """An error answer: HTTP status, optional ``x-ms-substatus`` and a one-line message.

    The body sent is ``{"code": <code_for(status)>, "message": message}``, the shape azure-cosmos
    reads into ``CosmosHttpResponseError`` (``azure/cosmos/_synchronized_request.py:_Request``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        substatus: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.substatus = substatus
        self.headers = dict(headers or {})


def not_found(what: str = "Resource") -> CosmosError:
    """404 ``NotFound``."""
    return CosmosError(
        404, f"{what} Not Found. Entity with the specified id does not exist in the system."
    )


def conflict() -> CosmosError:
    """409 ``Conflict``."""
    return CosmosError(409, "Resource with specified id, name, or unique index already exists.")


def bad_request(message: str, substatus: int | None = None) -> CosmosError:
    """400 ``BadRequest``."""
    return CosmosError(400, message, substatus)


def precondition_failed() -> CosmosError:
    """412 ``PreconditionFailed``."""
    return CosmosError(
        412, "Operation cannot be performed because one of the specified precondition is not met."
    )


def gone_split(range_id: str) -> CosmosError:
    """410 with sub-status 1002: partition key range gone after a split.

    azure-cosmos refreshes its routing map only on this sub-status
    (``azure/cosmos/_retry_utility.py:Execute``,
    ``azure/cosmos/_change_feed/change_feed_fetcher.py:fetch_next_block``); 1007 would make the
    change feed retry the same range without backoff.
    """
    return CosmosError(410, f"Partition key range {range_id} is gone (split).", substatus=1002)
