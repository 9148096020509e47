"""`puente import stix FILE`, `puente export stix`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from puente.activity import give_way
from puente.cli.common import (
    ActAs,
    DataDir,
    acting_user,
    console,
    errors,
    handles_errors,
    opened,
    t,
)
from puente.errors import N_, NP_, InvalidInput, Problem, TooLarge, counted
from puente.policy.markings import Markings
from puente.policy.schemas import MarkingsIn
from puente.records import service
from puente.records.bundles import parse_bundle, stream_bundle

import_app = typer.Typer(help="Import data.")
export_app = typer.Typer(help="Export data, through the egress gate.")

# Above this, stream the bundle instead of parsing it whole: parsed objects take about six times
# the file's size in memory, and ijson's C backend streams as fast as orjson parses.
WHOLE_FILE_LIMIT = 16 * 1024 * 1024


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
        disable=not errors.is_terminal,
    )


def stream_objects(handle: BinaryIO, max_objects: int | None = None) -> Iterator[Any]:
    """Objects of a bundle read incrementally (flat memory), with clear errors; as many as the
    file holds unless ``max_objects`` says otherwise."""
    count = 0
    try:
        for obj in ijson.items(handle, "objects.item", use_float=True):
            count += 1
            if max_objects is not None and count > max_objects:
                raise TooLarge(
                    N_("The bundle holds more than {limit} objects, the most this node accepts."),
                    pointer="/objects",
                    limit=max_objects,
                )
            yield obj
    except ijson.JSONError as exc:
        raise InvalidInput(
            [
                Problem(
                    N_("Malformed JSON after {count} objects: {reason}"),
                    "",
                    {"count": count, "reason": str(exc)},
                )
            ]
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            [Problem(N_("The body is not valid UTF-8 (byte {offset})."), "", {"offset": exc.start})]
        ) from None


@import_app.command("stix")
@handles_errors
def import_stix(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    tlp: str = typer.Option(
        "",
        "--tlp",
        help="Mark objects that carry no Puente markings with this TLP level (never "
        "below a TLP marking an object carries).",
    ),
    rel_to: list[str] = typer.Option([], "--rel-to", help="Countries for REL TO (with --tlp)."),
    handling: str = typer.Option("H0", "--handling"),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Import a STIX 2.1 bundle: every object is stored, or none is."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        override: Markings | None = None
        if tlp:
            override = MarkingsIn(tlp=tlp.upper(), rel_to=rel_to, handling=handling).to_markings(
                node.settings.country, pointer=""
            )
        size = file.stat().st_size

        # limits.max_bundle_objects bounds what a request's body may hold in memory; a file on
        # the node's own disk streams in chunks (records.ingest), whatever its size.
        def advanced(count: int) -> None:
            bar.advance(task, count)
            give_way(node)  # people first (puente.activity): the import is bulk work

        with file.open("rb") as handle, _progress() as bar, node.db.session() as session:
            task = bar.add_task(t("Importing {file}", file=file.name), total=None)
            if size <= WHOLE_FILE_LIMIT:
                objects: Any = parse_bundle(handle.read(), sys.maxsize)
                bar.update(task, total=len(objects))
            else:
                _check_bundle_type(handle)
                objects = stream_objects(handle)
            result = service.import_objects(
                session,
                node.settings,
                actor,
                objects,
                override,
                progress=advanced,
                parallel=True,  # this process imports nothing else: a second core prepares
            )
    console.print(
        t(
            N_("Imported {stored} ({unchanged}, {superseded})."),
            stored=counted("{count} object", "{count} objects", result.stored),
            unchanged=counted("{count} already stored", "{count} already stored", result.unchanged),
            superseded=counted(
                "{count} older version superseded",
                "{count} older versions superseded",
                result.superseded,
            ),
        )
    )
    console.print(f"sha256 {result.digest}")


def _check_bundle_type(handle: BinaryIO) -> None:
    """Refuse a file whose top-level "type" is not "bundle" before anything is stored.

    The type may come after the objects (keys sorted: id, objects, spec_version, type), so the
    file is read as far as it (ijson's C parser, building nothing else: about 1.5 µs an
    object, next to some 60 to import one); a file that starts with it stops there. Malformed
    JSON is left for the import's own pass, which says where it is."""
    found: Any = None
    try:
        found = next(ijson.items(handle, "type"), None)
    except (ijson.JSONError, UnicodeDecodeError):
        return
    finally:
        handle.seek(0)
    if found != "bundle":
        raise InvalidInput(
            [Problem(N_('Expected a STIX bundle: an object with "type": "bundle".'), "/type")]
        )


@export_app.command("stix")
@handles_errors
def export_stix(
    output: Path | None = typer.Option(None, "--output", "-o", help="Default: standard output."),
    kind: list[str] = typer.Option([], "--kind"),
    tlp: list[str] = typer.Option([], "--tlp"),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Export, as a STIX 2.1 bundle, what the acting user may see."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        query = service.SearchQuery(kinds=tuple(kind), tlp=tuple(t_.upper() for t_ in tlp))
        with node.db.session() as session:
            target = output.open("wb") if output else sys.stdout.buffer
            try:
                for chunk in stream_bundle(service.export(session, actor, query)):
                    target.write(chunk)
            finally:
                if output:
                    target.close()
                else:
                    target.flush()
    if output:
        count = len(orjson.loads(output.read_bytes())["objects"])
        errors.print(
            t(
                NP_("Exported {count} object to {file}.", "Exported {count} objects to {file}."),
                count=count,
                file=str(output),
            )
        )
