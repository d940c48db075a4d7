"""Pack exercises/nn100 into a zip the grader accepts: ``nn100/...`` at its root.

    python -m tools.student_submit submission.zip      (make submit)

Refuses when nn100 does not import: such a submission would score nothing. A refusal
also deletes the zip an earlier run wrote, so that an older version is not uploaded.
"""
import sys
import zipfile
from pathlib import Path

from tools.check import import_error

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "exercises" / "nn100"
SKIPPED = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


def files_to_pack(package: Path) -> list[Path]:
    return sorted(path for path in package.rglob("*") if path.is_file()
                  and not SKIPPED.intersection(path.relative_to(package).parts)
                  and path.suffix != ".pyc")


def pack(package: Path, zip_path: Path) -> list[str]:
    """Write ``zip_path`` holding ``package`` as ``nn100/``; return the names written.

    Fixed timestamps, so packing the same work twice gives the same bytes.
    """
    names = []
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files_to_pack(package):
            name = "nn100/" + path.relative_to(package).as_posix()
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
            names.append(name)
    return names


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m tools.student_submit ZIP", file=sys.stderr)
        return 2
    zip_path = Path(argv[0])
    problem = import_error(PACKAGE.parent)
    if problem:
        print(f"submit: nn100 does not import, so it would score nothing; fix this first:\n\n"
              f"{problem}", file=sys.stderr)
        if zip_path.exists():  # an older zip left there could be uploaded by mistake
            zip_path.unlink()
            print(f"\nsubmit: deleted the older {zip_path}, so that it cannot be uploaded "
                  "by mistake", file=sys.stderr)
        return 1
    names = pack(PACKAGE, zip_path)
    print(f"submit: wrote {zip_path} ({len(names)} files: {', '.join(names)})")
    print("submit: upload it as it is; `make check` shows what the visible checks think of it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
