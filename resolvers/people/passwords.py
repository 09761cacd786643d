"""Password rules and one-time reset codes."""

import secrets

from resolvers.errors import DomainFailure, ErrorCode

MIN_LENGTH = 10
# Among the most used passwords in published leak lists (and their local favourites): refused
# whatever their length. Compared case-insensitively.
COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "0123456789",
        "9876543210",
        "1111111111",
        "0000000000",
        "1234512345",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "qwerty1234",
        "qwerty123456",
        "asdfghjkl;",
        "zxcvbnm123",
        "password123",
        "password1234",
        "passw0rd123",
        "p@ssw0rd123",
        "abc1234567",
        "abcd123456",
        "a123456789",
        "aa12345678",
        "iloveyou123",
        "woaini1314",
        "woaini520520",
        "5201314520",
        "1314520520",
        "admin12345",
        "administrator",
        "changeme123",
        "welcome123",
        "letmein123",
        "linli123456",
        "linli-password",
        "hangzhou123",
        "wuchang123",
    }
)


def check_password(password: str, *, phone: str | None) -> None:
    """Refuses a weak password with a stable code (nothing is stored)."""
    if len(password) < MIN_LENGTH:
        raise DomainFailure(ErrorCode.PASSWORD_TOO_SHORT, f"密码至少 {MIN_LENGTH} 位")
    digits = "".join(ch for ch in password if ch.isdigit())
    if phone and (phone in password or digits == phone):
        raise DomainFailure(ErrorCode.PASSWORD_IS_PHONE, "密码不能包含手机号")
    if password.lower() in COMMON or len(set(password)) <= 2:
        raise DomainFailure(ErrorCode.PASSWORD_TOO_COMMON, "密码过于常见，请换一个不易猜到的密码")


# No 0/O, 1/I/L: read aloud or copied from a screen without doubt.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_reset_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()
