"""How a command ends: one line for what went wrong, the exit code, and the
signals that stop a run cleanly (Ctrl-C 130, SIGTERM 143)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import NoReturn

import click

from seg_convert.core.errors import SegConvertError, Terminated

USAGE_EXIT = 2  # click's code for usage errors; ours (the whole job) too


INTERRUPTED_EXIT = 130  # as a shell reports a command stopped by Ctrl-C


TERMINATED_EXIT = 128 + signal.SIGTERM  # 143, as a shell reports a SIGTERM


_DEBUG = "seg_convert.debug"


def set_debug(ctx: click.Context, debug: bool) -> None:
    ctx.meta[_DEBUG] = debug


def debug_mode() -> bool:
    """Whether ``seg-convert --debug`` was asked for."""
    return bool(click.get_current_context().meta.get(_DEBUG, False))


@contextlib.contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn what goes wrong into one line and an exit code, never a traceback
    (but for a bug under --debug): a problem of the whole job is a usage error
    (2), Ctrl-C (130) and SIGTERM (143) end the run cleanly, a bug is reported
    (1)."""
    with _terminating():
        try:
            yield
        except click.ClickException:
            raise
        except SegConvertError as error:
            # One line, `path: what is wrong`, as for a file; click's usage
            # block is for arguments it parsed itself.
            click.echo(str(error), err=True)
            raise SystemExit(USAGE_EXIT) from None
        except KeyboardInterrupt:
            _stopped("interrupted", INTERRUPTED_EXIT)
        except Terminated:
            _stopped("terminated", TERMINATED_EXIT)
        except BrokenPipeError:
            raise  # stdout closed early (`| head`): click ends quietly
        except Exception as error:
            if debug_mode():
                raise
            click.echo(
                f"seg-convert: unexpected error, please report it: "
                f"{type(error).__name__}: {error} (seg-convert --debug COMMAND ... "
                "shows where)",
                err=True,
            )
            raise SystemExit(1) from None


def _stopped(how: str, code: int) -> NoReturn:
    click.echo(f"seg-convert: {how}; run the same command again to finish", err=True)
    raise SystemExit(code) from None


def _raise_terminated(signum: int, frame: FrameType | None) -> NoReturn:
    raise Terminated


@contextlib.contextmanager
def _terminating() -> Iterator[None]:
    """SIGTERM raises Terminated meanwhile, so that it unwinds the run as Ctrl-C
    does (Python's default is to die at once, leaving temporary files). Only
    the main thread can set handlers; elsewhere SIGTERM keeps its default."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        # None: set outside Python, which cannot be put back; the default is.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
