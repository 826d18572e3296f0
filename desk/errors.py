"""Expected failures, each with a message that tells the user what to do next.

The CLIs print `str(error)` without a traceback; the API maps each class to an HTTP status."""


class DeskError(Exception):
    """Base of every expected error. `status` is the HTTP status the API answers with."""

    status = 400


class ConfigError(DeskError):
    status = 500


class LoadError(DeskError):
    """A source file can't be read: corrupt, empty, binary, bad encoding, bad front matter."""

    status = 422

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnsupportedFileType(LoadError):
    status = 415


class StoreUnavailable(DeskError):
    """The Chroma server can't be reached, or the embedded store can't be opened."""

    status = 503


class StoreMissing(DeskError):
    """No store has been built yet, or it is corrupt."""

    status = 503


class SourceNotFound(DeskError):
    status = 404


class GeneratorUnavailable(DeskError):
    """The configured LLM endpoint does not answer."""

    status = 502


class UploadTooLarge(DeskError):
    status = 413


class UploadConflict(DeskError):
    """The file is fine but can't join the store as it is (its id is taken by another source)."""

    status = 409


class Forbidden(DeskError):
    """An operation this server has switched off (uploads, deletions)."""

    status = 403


class ProtectedSource(Forbidden):
    """A source from the configured corpus folder: curated, so no API or UI call may delete it."""


class NotInTrash(SourceNotFound):
    """Restore was asked for a source the trash does not hold."""


class RestoreConflict(UploadConflict):
    """The trashed source can't come back as it was (its id is in the store again)."""
