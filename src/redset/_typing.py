"""The member type variable shared by every set class."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # The default makes a set built without a codec a set of str. Only type
    # checkers read it, so typing_extensions is not a runtime dependency.
    from typing_extensions import TypeVar

    T = TypeVar("T", default=str)
else:
    from typing import TypeVar

    T = TypeVar("T")

__all__ = ["T"]
