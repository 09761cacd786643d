"""What is stored. Importing this package registers every model on `Base.metadata`."""

from models import affairs, audit, childcare, eldercare, facilities, makerspace, notifications, people  # noqa: F401
from models.base import Base

__all__ = ["Base"]
