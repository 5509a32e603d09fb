"""Exceptions that carry a message for the economist (in Swedish), and operating-system
errors as short Swedish phrases (never the English strerror)."""

from __future__ import annotations

import errno


class FollowupError(Exception):
    """An error the user can act on. ``str(err)`` is a complete Swedish sentence.

    ``exit_code`` is what the command line returns: 1 for bad input or a file that
    cannot be read or written safely, 2 for usage errors.
    """

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UsageError(FollowupError):
    exit_code = 2


_REASONS = {
    errno.ENOENT: "filen finns inte",
    errno.EACCES: "åtkomst nekad",
    errno.EPERM: "åtkomst nekad",
    errno.ENOSPC: "disken är full",
    errno.EDQUOT: "diskkvoten är slut",
    errno.EROFS: "mappen är skrivskyddad",
    errno.EISDIR: "det är en mapp",
    errno.ENOTDIR: "en del av sökvägen är ingen mapp",
    errno.ENAMETOOLONG: "namnet är för långt",
    errno.ELOOP: "sökvägen är en symbolisk länk som programmet inte följer",
    errno.EEXIST: "filen finns redan",
    errno.EBUSY: "filen används av ett annat program",
    errno.EIO: "ett in- eller utmatningsfel på disken",
    errno.EMFILE: "för många öppna filer",
    errno.EXDEV: "filerna ligger på olika diskar",
    errno.ETXTBSY: "filen används av ett annat program",
}


def os_reason(exc: OSError) -> str:
    """'åtkomst nekad', 'disken är full' ...: what an OSError means, in Swedish."""
    reason = _REASONS.get(exc.errno or 0)
    if reason is None and getattr(exc, "winerror", None) in (32, 33):  # pragma: no cover
        reason = "filen används av ett annat program"
    if reason:
        return reason
    return f"systemfel {exc.errno}" if exc.errno else "okänt systemfel"
