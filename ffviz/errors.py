"""The one error type users see: a problem with their input, said in one line."""


class FfvizError(ValueError):
    """Bad user input (a file, a value, a setting); its message is one line meant for a person."""

    def __init__(self, message: str):
        # One line, always: callers print str(err) as is.
        super().__init__(" ".join(str(message).split()))
