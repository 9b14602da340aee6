#!/usr/bin/env bash
# Installable check (issue 24): build the sdist and, from it, the wheel; install the wheel into a fresh
# venv (not editable, no system site-packages; dependencies from the package index); use it from outside
# the source tree: `spectral-inr --help`, `import spectral_inr` (its version = the metadata's), one tiny fit.
# The wheel must carry the bundled cameraman and the licence, and no tests/, experiments/ or benchmarks/.
#
#   bash scripts/wheel_check.sh            # PY=python3.11 to pick the interpreter; KEEP=1 keeps the folder
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spectral_inr-wheel.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
start=$SECONDS
say() { printf 'wheel_check [%3ds] %s\n' "$((SECONDS - start))" "$*"; }

say "building sdist and wheel (python -m build: the wheel is built from the sdist) in $WORK"
"$PY" -m venv "$WORK/build-env"
pipq() { "$@" > "$WORK/pip.log" 2>&1 || { tail -40 "$WORK/pip.log"; return 1; }; }   # pip's output only on failure
pipq "$WORK/build-env/bin/pip" install --quiet build
[ -e "$ROOT/spectral_inr.egg-info" ] && had_egg_info=1 || had_egg_info=0   # the sdist step writes one into the tree
"$WORK/build-env/bin/python" -m build --outdir "$WORK/dist" "$ROOT" > "$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }
[ "$had_egg_info" = 1 ] || rm -rf "$ROOT/spectral_inr.egg-info"
ls -l "$WORK/dist"

say "checking the wheel's contents"
"$WORK/build-env/bin/python" - "$WORK/dist" "$ROOT/spectral_inr/_version.py" <<'EOF'
import re, sys, tarfile, zipfile
from pathlib import Path
dist = Path(sys.argv[1])
version = re.search(r'__version__ = "([^"]+)"', Path(sys.argv[2]).read_text()).group(1)
wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
assert len(wheels) == 1 and len(sdists) == 1, (wheels, sdists)
assert wheels[0].name.startswith(f"spectral_inr-{version}-py3-none-any"), (wheels[0].name, version)
names = zipfile.ZipFile(wheels[0]).namelist()
assert "spectral_inr/assets/cameraman.png" in names, "the bundled asset is missing"
assert "spectral_inr/_version.py" in names
for bad in ("tests/", "experiments/", "benchmarks/", "examples/", "scripts/", "results/", "docs/"):
    assert not any(n.startswith(bad) for n in names), f"the wheel carries {bad}"
assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names), "no LICENSE"
meta = zipfile.ZipFile(wheels[0]).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
assert f"\nVersion: {version}\n" in meta, "metadata version"
sdist = tarfile.open(sdists[0]).getnames()
assert any(n.endswith("/LICENSE") for n in sdist) and any(n.endswith("/_version.py") for n in sdist)
print(f"  {wheels[0].name}: {len(names)} files, cameraman.png and LICENSE in, no tests/experiments/benchmarks")
EOF

say "installing the wheel into a fresh venv"
"$PY" -m venv "$WORK/venv"
pipq "$WORK/venv/bin/pip" install --quiet "$WORK"/dist/*.whl

cd "$WORK"    # outside the source tree: `import spectral_inr` must find the installed copy
say "spectral-inr --help"
"$WORK/venv/bin/spectral-inr" --help | head -5
say "import spectral_inr"
"$WORK/venv/bin/python" - "$WORK/venv" <<'EOF'
import importlib.metadata, sys
import spectral_inr
assert spectral_inr.__file__.startswith(sys.argv[1]), f"imported from {spectral_inr.__file__}, not the venv"
assert spectral_inr.__version__ == importlib.metadata.version("spectral_inr"), "version != metadata"
print(f"  spectral_inr {spectral_inr.__version__} from {spectral_inr.__file__}")
EOF
say "one tiny fit"
CI=1 MPLBACKEND=Agg "$WORK/venv/bin/spectral-inr" fit --steps 5 --width 8 --depth 1 --resize 16,16 --out "$WORK/fit" | tail -3
test -s "$WORK/fit/metrics.json"
say "ok: sdist and wheel build, the wheel installs and runs ($((SECONDS - start)) s)"
