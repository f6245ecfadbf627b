"""One exception hierarchy for trayapp, translated to messages once, at the edges.

    TrayAppError              base; `str(err)` is a one-line message a user can act on
      ConfigError             config.toml is malformed or invalid (exit status 2)
      SpawnError              the program could not be started (missing binary, permission)
      ControlError            the running instance could not be reached or refused a command
        NotRunningError      no running instance answers on the control channel
      BackupError             a backup, verify, restore or prune failed; nothing partial is left
      AutostartError          the login item could not be written, read or removed
      PlatformNotSupported    the feature does not exist on this platform

Every error carries an optional `fix`: one sentence that tells the user what to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trayapp.i18n import _

if TYPE_CHECKING:
    from trayapp.message import Message


class TrayAppError(Exception):
    """Base class. `exit_code` is what the CLI returns for it."""

    exit_code = 1

    def __init__(self, message: str | Message, *, fix: str | Message | None = None) -> None:
        super().__init__(str(message))
        # `said`/`fix_said` keep a Message as made (English for the journal); `message`/`fix` are the
        # words a person reads, in the language active where the error was raised.
        from trayapp.message import words

        self.said, self.fix_said = message, fix
        self.message = words(message)
        self.fix = None if fix is None else words(fix)

    def __str__(self) -> str:
        return f"{self.message}\n  " + _("fix: {fix}").format(fix=self.fix) if self.fix else self.message


def logged(exc: BaseException) -> str:
    """An error in the words trayapp's log gets: English where trayapp kept its words as Messages
    (`said`/`fix_said`; str() of the error is the user's language), else as the error says itself."""
    if not isinstance(exc, TrayAppError):
        return str(exc)
    fix = "" if exc.fix_said is None else f"; fix: {exc.fix_said}"
    return f"{exc.said}{fix}"


class ConfigError(TrayAppError):
    """The config file is malformed or fails validation; nothing is started."""

    exit_code = 2

    def __init__(self, message: str | Message, *, problems: list[str] | None = None,
                 fix: str | Message | None = None) -> None:
        super().__init__(message, fix=fix)
        self.problems = problems or []
        # The same error in English, for the journal and --json (see `in_english`); None: none was made.
        self.english: ConfigError | None = None

    def in_english(self) -> ConfigError:
        """The English twin config.parse made by reading a broken file once more under english();
        itself for an error made only once (in English, or by a command that prints it)."""
        return self.english or self

    def __str__(self) -> str:
        lines = [self.message, *(f"  - {p}" for p in self.problems)]
        if self.fix:
            lines.append("  " + _("fix: {fix}").format(fix=self.fix))
        return "\n".join(lines)


class SpawnError(TrayAppError):
    """The program could not be started at all; retrying at once would not help.

    `said`/`fix_said` keep the words as Messages where trayapp made them, so a status shows them in
    the user's language and the journal in English; `missing`: the command itself was not found."""

    def __init__(self, message: Message | str, *, fix: Message | str | None = None, missing: bool = False) -> None:
        from trayapp.message import words

        super().__init__(words(message), fix=None if fix is None else words(fix))
        self.said, self.fix_said, self.missing = message, fix, missing


class ControlError(TrayAppError):
    """The control channel failed."""


class NotRunningError(ControlError):
    """No trayapp instance is running for this user."""

    exit_code = 3


class BackupError(TrayAppError):
    """A backup operation failed; the archive set on disk is unchanged."""


class AutostartError(TrayAppError):
    """The login item could not be changed."""


class PlatformNotSupported(TrayAppError):
    """The feature is not available on this operating system."""
