"""An API error that the server turns into a GitLab-style JSON response."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised by route handlers; becomes `status` with a JSON `body`."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body


def not_found(what: str = "") -> ApiError:
    """GitLab's 404 body, e.g. `{"message": "404 Project Not Found"}`."""
    return ApiError(404, {"message": f"404 {what} Not Found" if what else "404 Not found"})
