"""The ``seg-convert`` command: parse arguments, call the library, report.

Errors a user can cause become one line on stderr, ``path: what is wrong``; exit
codes are 0 when everything went well, 1 when some input files failed and 2 for
usage errors (bad arguments, labels file or output directory); 130 when
interrupted. Each command lives in its own module; this one gathers them.
"""

from __future__ import annotations

import click

from seg_convert.cli.colormap import colormap_command
from seg_convert.cli.convert import conversion_commands
from seg_convert.cli.exits import set_debug
from seg_convert.cli.labels import labels_command
from seg_convert.cli.stats import stats_command
from seg_convert.cli.validate import validate_command
from seg_convert.core.version import __version__
from seg_convert.run.process_setup import keep_freed_memory


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seg-convert")
@click.option(
    "--debug",
    is_flag=True,
    help="Show the traceback of an unexpected error (a bug to report).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Convert labelme annotations into segmentation datasets."""
    set_debug(ctx, debug)
    keep_freed_memory()


for command in (
    *conversion_commands(),
    validate_command,
    colormap_command,
    stats_command,
    labels_command,
):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``seg-convert`` console script."""
    cli(prog_name="seg-convert")
