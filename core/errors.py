class DomainError(Exception):
    """A rule of the business was broken; `message` is already in the user's language."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
