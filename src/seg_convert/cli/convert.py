"""The conversion commands (``labelme2voc``, ``coco2voc``, ...), one for each
pair of ``run.registry.COMMANDS``, made from the source's and the format's
specs: the source's arguments and options, then the format's, then the options
of every command that writes a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from seg_convert.cli.exits import reporting_errors
from seg_convert.cli.options import (
    INPUT_DIR,
    SHARED_GROUPS,
    make_options,
    output_options,
    spec_options,
)
from seg_convert.cli.running import run_conversion
from seg_convert.core.errors import UsageProblem
from seg_convert.core.specs import ArgumentSpec, FormatSpec, SourceSpec
from seg_convert.run.registry import (
    COMMANDS,
    command_name,
    format_spec,
    source_spec,
)

_END = (
    "OUTPUT_DIR must be new, empty, or written by this command before: then only "
    "what changed is converted again (see --force).\n\nAn input that cannot be "
    "converted is reported on stderr and skipped; the exit code is then 1."
)


def conversion_command(source: SourceSpec, target: FormatSpec) -> click.Command:
    """The command that converts ``source`` into ``target``."""

    def command(
        output_dir: Path, report_path: Path | None, quiet: bool, **params: Any
    ) -> None:
        from seg_convert.run.batch import convert
        from seg_convert.run.registry import open_source

        with reporting_errors():
            try:
                opened = open_source(source.name, params)
            except UsageProblem as problem:
                raise click.UsageError(str(problem)) from None
        labels = opened.labels if opened.labels is not None else params["labels"]
        options = make_options(params, labels=labels)
        run_conversion(
            lambda hooks: convert(
                opened.source,
                output_dir,
                to=target.name,
                options=options,
                hooks=hooks,
                report_path=report_path,
            ),
            output_dir=output_dir,
            report_path=report_path,
            quiet=quiet,
        )

    # Applied last to first: --help lists the source's options, the shared
    # groups it asks for, the format's options, then the output options.
    decorated: Any = spec_options(target.options)(output_options(command))
    for group in reversed(source.shared):
        decorated = SHARED_GROUPS[group](decorated)
    decorated = spec_options(source.options)(decorated)
    decorated = click.argument(
        "output_dir", type=click.Path(file_okay=False, path_type=Path)
    )(decorated)
    for argument in reversed(source.arguments):
        decorated = _argument(argument)(decorated)
    help_text = (
        f"Convert {source.describes} into {target.describes}.\n\n"
        f"{source.help}\n\n{target.help}\n\n{_END}"
    )
    name = command_name(source.name, target.name)
    made: click.Command = click.command(name, help=help_text)(decorated)
    return made


def _argument(spec: ArgumentSpec) -> Any:
    if spec.many:
        return click.argument(
            spec.name,
            metavar=spec.metavar,
            nargs=-1,
            required=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
        )
    return click.argument(spec.name, metavar=spec.metavar, type=INPUT_DIR)


def conversion_commands() -> list[click.Command]:
    """Every conversion command, in the registry's order."""
    return [
        conversion_command(source_spec(source), format_spec(target))
        for source, target in COMMANDS
    ]
