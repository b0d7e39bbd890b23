"""The release, in one place: the package, the CLI and the files we write say it."""

__version__ = "0.1.0"
