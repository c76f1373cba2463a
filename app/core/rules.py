class RuleError(ValueError):
    """A change that breaks one of a service's rules. The message is shown to the user, beside `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
