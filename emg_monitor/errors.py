"""Expected failures the command line reports as one clear line."""


class UserError(Exception):
    """Bad input from the user (arguments, files, ports): one line, non-zero exit."""
