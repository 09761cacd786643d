"""The people domain's failures that have result types of their own."""

from resolvers.errors import DomainFailure, ErrorCode


class InvalidCredentials(DomainFailure):
    """Wrong phone or password (never says which), or a disabled account after the right password."""

    codes = (ErrorCode.INVALID_CREDENTIALS, ErrorCode.ACCOUNT_DISABLED)


class InvalidRefreshToken(DomainFailure):
    """A refresh token refused. Kept changes: a reuse has just revoked the session, for good."""

    codes = (
        ErrorCode.REFRESH_TOKEN_INVALID,
        ErrorCode.REFRESH_TOKEN_EXPIRED,
        ErrorCode.REFRESH_TOKEN_REUSED,
        ErrorCode.SESSION_REVOKED,
    )
    keep_changes = True


class InvalidResetCode(DomainFailure):
    """A password reset code refused: counted as an attempt (like a PIN), nothing else changes."""

    codes = (
        ErrorCode.RESET_CODE_INVALID,
        ErrorCode.RESET_CODE_USED,
        ErrorCode.RESET_CODE_EXPIRED,
        ErrorCode.ACCOUNT_DISABLED,
    )
