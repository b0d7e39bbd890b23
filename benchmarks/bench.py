"""Benchmark: whole seg-convert runs against the floor and against labelme.

    python benchmarks/bench.py --photos ../shared/labelme-examples
    python benchmarks/bench.py --quick          # one try each, a few minutes
    python benchmarks/bench.py --photos DIR --readme docs/speed.md   # rewrite its table

For each image size (``--sizes``, in megapixels; 0.3 and 5 by default) it makes
a data set of ``--images`` labelme files: real labelme files from ``--photos``
(every ``*.json`` below it, its image and shapes scaled to the size), or else
generated photo-like JPEGs with about ten polygons each. Then, in one run on the
same files, it measures:

- the floor per image: what no converter of this output can skip, on one core.
  Without visualizations, saving each int32 ``.npy`` and its palette PNG into
  new files; with them, also decoding the photo (gray, the cheapest) and
  encoding and writing a full-size JPEG. Measured over the whole set, as a run
  writes it, because writing into memory not used before costs more than the
  same file written again and again (see ``best_time``);
- labelme: what labelme's labelme2voc example does for each file, with and
  without the visualization, in this process (its start-up not counted);
- seg-convert, whole runs of the command (start-up included) at ``--jobs 1`` and
  ``--jobs 2``: wall time and CPU time (user + sys of every process) per image,
  the share of the floor reached (the floor's time per image over the cores the
  run can use, divided by the run's time per image; 100%: nothing but the floor)
  and the ratio to labelme;
- the peak memory of a seg-convert run (the largest process) on 10 files and on
  ``--memory-files``.

Not a test: numbers depend on the machine and on what else it is running; the
fastest of ``--repeat`` tries counts. Needs the test extra (labelme).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

SHARED_PHOTOS = (
    Path(__file__).resolve().parents[2]
    / "shared/labelme-examples/semantic_segmentation/data_annotated"
)
CLASSES = ["person", "car", "tree", "road", "sign"]
ASPECT = 4 / 3  # of the generated photos
TABLE_START = "<!-- bench.py table -->"
TABLE_END = "<!-- /bench.py table -->"
# Python writes no bytecode cache under this variable, so every start would
# compile seg-convert's modules again; an installed package has its cache.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def size_of(megapixels: float, aspect: float) -> tuple[int, int]:
    height = math.sqrt(megapixels * 1e6 / aspect)
    return round(height * aspect), round(height)


def make_photo(
    rng: np.random.Generator, index: int, width: int, height: int
) -> Image.Image:
    """A photo-like image: an upscaled example photo or shaded texture, plus noise."""
    photos = sorted(SHARED_PHOTOS.glob("*.jpg")) if SHARED_PHOTOS.is_dir() else []
    if photos:
        with Image.open(photos[index % len(photos)]) as photo:
            base = photo.convert("RGB").resize(
                (width, height), Image.Resampling.BICUBIC
            )
        pixels = np.asarray(base).astype(np.int16)
    else:
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        phase = rng.uniform(0, 6.28, 3)
        pixels = np.stack(
            [
                128 + 60 * np.sin(x / (90 + 40 * c) + y / (130 + 30 * c) + phase[c])
                for c in range(3)
            ],
            axis=-1,
        ).astype(np.int16)
    pixels += rng.integers(-14, 15, pixels.shape, dtype=np.int16)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def make_polygon(
    rng: np.random.Generator, width: int, height: int
) -> list[list[float]]:
    """A star-shaped polygon of 8 to 24 points, like a traced object."""
    scale = width / 1600
    cx = rng.uniform(100 * scale, width - 100 * scale)
    cy = rng.uniform(100 * scale, height - 100 * scale)
    radius = rng.uniform(40, 260) * scale
    count = int(rng.integers(8, 25))
    angles = np.sort(rng.uniform(0, 2 * math.pi, count))
    radii = radius * rng.uniform(0.6, 1.0, count)
    return [
        [round(float(cx + r * math.cos(a)), 2), round(float(cy + r * math.sin(a)), 2)]
        for a, r in zip(angles, radii, strict=True)
    ]


def write_labels(folder: Path, classes: Sequence[str]) -> Path:
    labels = folder.parent / "labels.txt"
    labels.write_text("\n".join(["__ignore__", "_background_", *classes]) + "\n")
    return labels


def make_dataset(
    folder: Path, images: int, annotations: int, megapixels: float
) -> Path:
    """``images`` generated JPEGs and ``annotations`` labelme files using them in
    turn; returns the labels file."""
    rng = np.random.default_rng(0)
    width, height = size_of(megapixels, ASPECT)
    folder.mkdir(parents=True)
    for index in range(images):
        photo = make_photo(rng, index, width, height)
        photo.save(folder / f"photo_{index:04d}.jpg", quality=90)
    for index in range(annotations):
        shapes = [
            {
                "label": str(rng.choice(CLASSES)),
                "points": make_polygon(rng, width, height),
                "group_id": None,
                "description": "",
                "shape_type": "polygon",
                "flags": {},
                "mask": None,
            }
            for _ in range(int(rng.integers(8, 13)))
        ]
        document = {
            "version": "5.8.0",
            "flags": {},
            "shapes": shapes,
            "imagePath": f"photo_{index % images:04d}.jpg",
            "imageData": None,
            "imageHeight": height,
            "imageWidth": width,
        }
        (folder / f"ann_{index:05d}.json").write_text(json.dumps(document))
    return write_labels(folder, CLASSES)


def scale_photos(source: Path, folder: Path, count: int, megapixels: float) -> Path:
    """``count`` labelme files made from the real ones below ``source`` in turn,
    each photo resized to about ``megapixels`` (saved as a JPEG of quality 90, as
    a camera writes) and its shapes' points scaled with it; mask shapes, whose
    pixels would need scaling too, are left out. Returns the labels file."""
    files = [(path, _labelme_document(path)) for path in sorted(source.rglob("*.json"))]
    files = [(path, document) for path, document in files if document is not None]
    if not files:
        raise SystemExit(f"no labelme files (*.json) below {source}")
    folder.mkdir(parents=True)
    classes: set[str] = set()
    for index in range(count):
        path, document = files[index % len(files)]
        document = json.loads(json.dumps(document))  # a copy to change
        if document.get("imageData"):
            photo = Image.open(io.BytesIO(base64.b64decode(document["imageData"])))
        else:
            photo = Image.open(path.parent / document["imagePath"])
        with photo:
            width, height = size_of(megapixels, photo.width / photo.height)
            scale_x, scale_y = width / photo.width, height / photo.height
            resized = photo.convert("RGB").resize(
                (width, height), Image.Resampling.BICUBIC
            )
        name = f"photo_{index:04d}.jpg"
        resized.save(folder / name, quality=90)
        shapes = [s for s in document["shapes"] if s.get("shape_type") != "mask"]
        for shape in shapes:
            shape["points"] = [[x * scale_x, y * scale_y] for x, y in shape["points"]]
            classes.add(shape["label"])
        document.update(
            shapes=shapes,
            imagePath=name,
            imageData=None,
            imageWidth=width,
            imageHeight=height,
        )
        (folder / f"ann_{index:05d}.json").write_text(json.dumps(document))
    return write_labels(folder, sorted(classes - {"__ignore__", "_background_"}))


def _labelme_document(path: Path) -> dict[str, Any] | None:
    """The JSON of a labelme file, or None for other JSON (a COCO file)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    is_labelme = isinstance(document, dict) and "shapes" in document
    return document if is_labelme and "imagePath" in document else None


def labelme_convert(source: Path, labels: Path, out: Path, *, viz: bool) -> None:
    """What labelme's examples/semantic_segmentation/labelme2voc.py does per file."""
    import imgviz
    import labelme
    import labelme.utils
    from loguru import logger  # labelme's logger: a line per image otherwise

    logger.remove()

    names = labels.read_text().splitlines()
    name_to_id = {name: i - 1 for i, name in enumerate(names)}
    class_names = names[1:]
    for folder in ("JPEGImages", "SegmentationClass", "SegmentationClassPNG", "Viz"):
        (out / folder).mkdir(parents=True)
    for path in sorted(source.glob("*.json")):
        label_file = labelme.LabelFile(filename=str(path))
        stem = path.stem
        (out / "JPEGImages" / f"{stem}.jpg").write_bytes(label_file.image_data)
        image = labelme.utils.img_data_to_arr(label_file.image_data)
        label, _ = labelme.utils.shapes_to_label(
            img_shape=image.shape,
            shapes=label_file.shapes,
            label_name_to_value=name_to_id,
        )
        imgviz.io.lblsave(
            out / "SegmentationClassPNG" / f"{stem}.png",
            np.where(label < 0, 255, label).astype(np.uint8),
        )
        np.save(out / "SegmentationClass" / f"{stem}.npy", label)
        if viz:
            picture = imgviz.label2rgb(
                label,
                imgviz.rgb2gray(image),
                font_size=15,
                label_names=class_names,
                loc="rb",
            )
            imgviz.io.imsave(out / "Viz" / f"{stem}.jpg", picture)


def seg_convert_command(source: Path, labels: Path, out: Path, *args: str) -> list[str]:
    command = [sys.executable, "-m", "seg_convert", "labelme2voc", str(source)]
    return command + [str(out), "--labels", str(labels), "--quiet", *args]


@dataclass(frozen=True)
class Timing:
    """The fastest try: its wall time and the CPU time (user + sys) it took."""

    wall: float
    cpu: float


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def best_time(run: Callable[[Path], object], out: Path, *, repeat: int) -> Timing:
    """The fastest of ``repeat`` runs of ``run(out)``, each into a fresh ``out``
    that is deleted afterwards, with the CPU time of this process and of the
    processes it waited for. Before each, the files earlier runs wrote are
    flushed to disk, so that no run pays for another's writing; deleting them
    lets the next run reuse their memory, as a long-running machine does, rather
    than touch fresh memory, which a virtual machine makes slow the first time
    (seen here: the same run 0.8 s or 1.8 s)."""
    tries = []
    for _ in range(repeat):
        os.sync()
        cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        run(out)
        wall = time.perf_counter() - started
        cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN) - cpu
        tries.append(Timing(wall, cpu))
        shutil.rmtree(out)
    return min(tries, key=lambda timing: timing.wall)


def floor_times(
    out: Path, photos: Sequence[Path], labels: Sequence[Path], *, repeat: int
) -> tuple[Timing, Timing]:
    """Per image, on one core, what no converter of this output can skip (see
    the module's docstring), without and with visualizations: the fastest of
    ``repeat`` tries of each file's part, each try into new files.

    It runs as the workers do, keeping freed memory (faulting it in again for
    every file is not unavoidable). The JPEG encoded is the photo itself, in
    RGB (prepared untimed): a blend of it costs about as much to encode, while a
    flat canvas would cost less than any real visualization."""
    from seg_convert.formats.voc.writer import label_png
    from seg_convert.run.process_setup import keep_freed_memory

    keep_freed_memory()
    arrays = [np.load(path) for path in labels]
    best = {"outputs": [math.inf] * len(arrays), "viz": [math.inf] * len(arrays)}
    best_cpu = {"outputs": [math.inf] * len(arrays), "viz": [math.inf] * len(arrays)}

    def timed(part: str, index: int, action: Callable[[], object]) -> None:
        cpu, started = time.process_time(), time.perf_counter()
        action()
        wall = time.perf_counter() - started
        best[part][index] = min(best[part][index], wall)
        best_cpu[part][index] = min(best_cpu[part][index], time.process_time() - cpu)

    def gray(photo: Path) -> None:
        with Image.open(photo) as image:
            image.draft("L", image.size)
            image.load()

    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        os.sync()
        for index, (label, photo) in enumerate(zip(arrays, photos, strict=True)):
            with Image.open(photo) as image:
                rgb = image.convert("RGB")

            def outputs(index: int = index, label: np.ndarray = label) -> None:
                np.save(out / f"{index}.npy", label)
                (out / f"{index}.png").write_bytes(label_png(label))

            def viz(
                index: int = index, photo: Path = photo, rgb: Image.Image = rgb
            ) -> None:
                gray(photo)
                rgb.save(out / f"{index}.jpg", quality=90)

            timed("outputs", index, outputs)
            timed("viz", index, viz)
    shutil.rmtree(out)
    count = len(arrays)
    without = Timing(sum(best["outputs"]) / count, sum(best_cpu["outputs"]) / count)
    extra = Timing(sum(best["viz"]) / count, sum(best_cpu["viz"]) / count)
    return without, Timing(without.wall + extra.wall, without.cpu + extra.cpu)


def least(*timings: tuple[Timing, Timing]) -> tuple[Timing, Timing]:
    """The fastest of several floor measurements, without and with viz."""
    return (
        min((t[0] for t in timings), key=lambda timing: timing.wall),
        min((t[1] for t in timings), key=lambda timing: timing.wall),
    )


def peak_memory_kib(command: list[str]) -> int:
    """Peak resident memory of the largest process of ``command`` (the runner or
    a worker), measured by a fresh parent process so that earlier runs do not
    count."""
    return measured_run(command)[0]


def measured_run(command: list[str]) -> tuple[int, str]:
    """``command``'s peak resident memory in KiB, as ``peak_memory_kib``, and
    what it printed: a step can time itself without a second run."""
    probe = (
        "import resource, subprocess, sys; "
        "run = subprocess.run(sys.argv[1:], check=True, stdout=subprocess.PIPE); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "sys.stdout.flush(); sys.stdout.buffer.write(run.stdout)"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe, *command],
        check=True,
        capture_output=True,
        env=CHILD_ENV,
    )
    peak, _, printed = output.stdout.decode().partition("\n")
    return int(peak), printed


@dataclass(frozen=True)
class Row:
    name: str
    timing: Timing
    share: float | None = None  # of the floor
    ratio: float | None = None  # to labelme


def measure_size(
    work: Path, megapixels: float, arguments: argparse.Namespace
) -> tuple[str, list[Row]]:
    """Every row of one image size's table, and its caption."""
    source = work / "in"
    count = arguments.images
    if arguments.photos is not None:
        labels = scale_photos(arguments.photos, source, count, megapixels)
    else:
        labels = make_dataset(source, count, count, megapixels)
    width, height = Image.open(next(source.glob("*.jpg"))).size
    kind = "real labelme files" if arguments.photos else "generated files"
    caption = f"{count} {kind}, {megapixels:g} MP (e.g. {width}x{height})"
    print(f"\n{caption}, in {source}", flush=True)
    check = work / "check"
    subprocess.run(
        seg_convert_command(source, labels, check, "--noviz"), check=True, env=CHILD_ENV
    )
    photos = sorted(source.glob("*.jpg"))
    arrays = sorted(check.glob("SegmentationClass/*.npy"))
    # Measured before and after the runs, the fastest counting: the machine
    # may be busier in one of the two.
    floors = floor_times(work / "floor", photos, arrays, repeat=arguments.repeat)
    measured: dict[tuple[bool, int], Timing] = {}
    labelme: dict[bool, Timing] = {}
    for viz in (True, False):
        flag = () if viz else ("--noviz",)
        labelme[viz] = best_time(
            lambda out, viz=viz: labelme_convert(source, labels, out, viz=viz),
            work / "labelme",
            repeat=arguments.repeat,
        )
        for jobs in (1, 2):
            measured[viz, jobs] = best_time(
                lambda out, jobs=jobs, flag=flag: subprocess.run(
                    seg_convert_command(
                        source, labels, out, "--jobs", str(jobs), *flag
                    ),
                    check=True,
                    env=CHILD_ENV,
                ),
                work / "ours",
                repeat=arguments.repeat,
            )
    floors = least(
        floors, floor_times(work / "floor", photos, arrays, repeat=arguments.repeat)
    )
    rows = []
    for viz, floor in ((True, floors[1]), (False, floors[0])):
        suffix = "" if viz else " --noviz"
        rows.append(Row(f"floor, one core{suffix}", floor, share=1.0))
        rows.append(Row(f"labelme library{suffix}", labelme[viz]))
        for jobs in (1, 2):
            timing = measured[viz, jobs]
            # The floor's time per image over the cores the run can use.
            least_time = floor.wall * count / min(jobs, cores())
            rows.append(
                Row(
                    f"seg-convert --jobs {jobs}{suffix}",
                    timing,
                    share=least_time / timing.wall,
                    ratio=labelme[viz].wall / timing.wall,
                )
            )
    for row in rows:
        print(format_row(row, count, "{:<32}  {:>8}  {:>8}  {:>6}  {:>9}"))
    shutil.rmtree(work)
    return caption, rows


def format_row(row: Row, count: int, template: str) -> str:
    per_image = (
        row.timing.wall if row.name.startswith("floor") else row.timing.wall / count
    )
    cpu = row.timing.cpu if row.name.startswith("floor") else row.timing.cpu / count
    return template.format(
        row.name,
        f"{per_image * 1000:.1f}",
        f"{cpu * 1000:.1f}",
        "" if row.share is None else f"{row.share:.0%}",
        "" if row.ratio is None else f"{row.ratio:.1f}x",
    )


def markdown(tables: Sequence[tuple[str, list[Row]]], count: int, memory: str) -> str:
    """The speed table (docs/speed.md): every size's rows, and the peak memory."""
    lines = [
        "| run | ms/image | CPU ms/image | share of floor | vs labelme |",
        "|---|---:|---:|---:|---:|",
    ]
    for caption, rows in tables:
        lines.append(f"| **{caption}** | | | | |")
        lines += [format_row(row, count, "| {} | {} | {} | {} | {} |") for row in rows]
    return "\n".join(lines) + f"\n\n{memory}\n"


def update_readme(readme: Path, table: str, command: str) -> None:
    """Replace what stands between the table markers in ``readme``."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{readme} has no {TABLE_START} ... {TABLE_END} markers")
    block = f"{TABLE_START}\n`{command}` printed:\n\n{table}{TABLE_END}"
    readme.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=Path, help="a folder of real labelme files")
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument(
        "--sizes", default="0.3,5", help="image sizes in megapixels, comma-separated"
    )
    parser.add_argument("--memory-files", type=int, default=1000)
    parser.add_argument(
        "--repeat", type=int, default=2, help="tries of each; the fastest counts"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one try each, 200 files for memory"
    )
    parser.add_argument(
        "--readme", type=Path, help="rewrite the speed table in this file"
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.repeat, arguments.memory_files = 1, 200
    sizes = [float(size) for size in arguments.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="seg-convert-bench-"))
    print(f"{cores()} cores; ms per image (start-up included), CPU: user + sys")
    print(f"{'':<32}  {'ms/image':>8}  {'CPU ms':>8}  {'floor':>6}  {'labelme':>9}")
    try:
        tables = [measure_size(work / f"{size:g}mp", size, arguments) for size in sizes]
        smallest = min(sizes)
        peaks = []
        for files in sorted({10, arguments.memory_files}):
            folder = work / f"mem-{files}"
            make_dataset(folder / "in", min(files, 10), files, smallest)
            command = seg_convert_command(
                folder / "in", folder / "labels.txt", folder / "out", "--jobs", "2"
            )
            peaks.append(f"{peak_memory_kib(command) / 1024:.0f} MiB for {files} files")
            shutil.rmtree(folder)
        memory = (
            f"Peak memory of a `--jobs 2` run ({smallest:g} MP, largest process): "
            + ", ".join(peaks)
            + "."
        )
        print(f"\n{memory}")
        table = markdown(tables, arguments.images, memory)
        if arguments.readme is not None:
            shown = [
                a
                for a in sys.argv[1:]
                if a != "--readme" and a != str(arguments.readme)
            ]
            update_readme(
                arguments.readme,
                table,
                " ".join(["python benchmarks/bench.py", *shown]),
            )
            print(f"\n{arguments.readme}: table rewritten")
        else:
            print(f"\n{table}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
