"""Domain errors. Each carries its HTTP status; `http.py` renders them in one JSON shape.

They derive from ChaliceUnhandledError so that Chalice lets them through to our
middleware instead of turning them into its own error body.
"""
from __future__ import annotations

from chalice import ChaliceUnhandledError


class AppError(ChaliceUnhandledError):
    """Base of every error the API answers on purpose."""

    STATUS_CODE = 400
    CODE = "bad_request"
    MESSAGE = "The request could not be handled."

    def __init__(self, message: str | None = None, *, fields: list[dict] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.message = message or self.MESSAGE
        self.fields = fields or []
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequestError(AppError):
    STATUS_CODE = 400
    CODE = "bad_request"
    MESSAGE = "The request is malformed."


class MalformedJSONError(BadRequestError):
    CODE = "malformed_json"
    MESSAGE = "The request body is not valid JSON."


class UnauthorizedError(AppError):
    STATUS_CODE = 401
    CODE = "unauthorized"
    MESSAGE = "A valid organiser token is required."


class ForbiddenError(AppError):
    STATUS_CODE = 403
    CODE = "forbidden"
    MESSAGE = "This token may not do that."


class RoleForbiddenError(ForbiddenError):
    """A valid token whose role (read-only, moderate) does not reach this route."""
    CODE = "role_forbidden"
    MESSAGE = "This token's role may not do that."


class TokenRefusedError(ForbiddenError):
    """The authorizer refused the token: API Gateway answers it (infra's gateway responses),
    in this shape and with this code."""
    CODE = "token_refused"
    MESSAGE = "This organiser token was not accepted."


class NotFoundError(AppError):
    STATUS_CODE = 404
    CODE = "not_found"
    MESSAGE = "Not found."


class LetterNotFoundError(NotFoundError):
    CODE = "letter_not_found"
    MESSAGE = "There is no such letter."


class MethodNotAllowedError(AppError):
    STATUS_CODE = 405
    CODE = "method_not_allowed"
    MESSAGE = "This method is not allowed here."


class ConflictError(AppError):
    """409: the request conflicts with what is stored. Catch the subclass you mean."""
    STATUS_CODE = 409
    CODE = "conflict"
    MESSAGE = "The request conflicts with the current state."


class AlreadySignedError(ConflictError):
    CODE = "already_signed"
    MESSAGE = "This email address has already signed this letter."


class StateConflictError(ConflictError):
    CODE = "state_conflict"
    MESSAGE = "The signature is not in a state this action applies to."


class LetterExistsError(ConflictError):
    CODE = "letter_exists"
    MESSAGE = "A letter with this slug exists already; edit it instead."


class LetterChangedError(ConflictError):
    CODE = "letter_changed"
    MESSAGE = "The letter was changed meanwhile (by another organiser). Reload it and try again."


class SnapshotUnusableError(ConflictError):
    CODE = "snapshot_unusable"
    MESSAGE = "That snapshot cannot be delivered."


class DeliveryExistsError(ConflictError):
    CODE = "delivery_exists"
    MESSAGE = "This delivery was sent already; send it again only on purpose (again: true)."


class LetterClosedError(AppError):
    STATUS_CODE = 410
    CODE = "letter_closed"
    MESSAGE = "This letter is closed and no longer takes signatures."


class PayloadTooLargeError(AppError):
    STATUS_CODE = 413
    CODE = "payload_too_large"
    MESSAGE = "The request body is too large."


class UnsupportedMediaTypeError(AppError):
    STATUS_CODE = 415
    CODE = "unsupported_media_type"
    MESSAGE = "Send the body as application/json."


class ValidationFailedError(AppError):
    STATUS_CODE = 422
    CODE = "invalid_fields"
    MESSAGE = "Some fields are missing or invalid."


class DeliveryRefusedError(AppError):
    STATUS_CODE = 422
    CODE = "delivery_refused"
    MESSAGE = "The mail service refused the message; nothing was sent."


class TokenInvalidError(AppError):
    STATUS_CODE = 404
    CODE = "token_invalid"
    MESSAGE = "This link is not valid. Check that you copied all of it."


class TokenExpiredError(AppError):
    STATUS_CODE = 410
    CODE = "token_expired"
    MESSAGE = "This link has expired. Sign again to get a new one."


class SignatureWithdrawnError(AppError):
    STATUS_CODE = 410
    CODE = "signature_withdrawn"
    MESSAGE = "This signature was withdrawn. To add your name again, sign the letter again."


class TooManyRequestsError(AppError):
    STATUS_CODE = 429
    CODE = "too_many_requests"
    MESSAGE = "Too many requests. Please wait and try again."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, headers={"Retry-After": str(self.retry_after)})


class ServiceUnavailableError(AppError):
    STATUS_CODE = 503
    CODE = "service_unavailable"
    MESSAGE = "The service is busy. Please try again shortly."

    def __init__(self, retry_after: int = 2, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, headers={"Retry-After": str(retry_after)})
