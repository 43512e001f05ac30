"""hls.js for the watch page, vendored in ``static/vendor/hls.js/`` with its licence.

The player is committed as released (as Django's admin vendors its scripts): an install
needs neither npm nor the npm registry, which a provincial data centre may not reach.
``install_hls_js`` is the maintainers' way to move to another release: change
``HLS_JS_VERSION``, run ``python -c "from broadcasts.vendor import install_hls_js;
print(install_hls_js())"`` (it needs npm) and commit the files. Should the file be missing,
the page falls back to the browser's own HLS (Safari, iOS, recent Android Chrome) and says
so when neither works.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

HLS_JS_VERSION = "1.7.4"
HLS_STATIC_PATH = "vendor/hls.js/hls.min.js"
NPM_TIMEOUT_SECS = 180
_PROJECT = Path(__file__).resolve().parents[1]
# The source map too: hls.min.js names it, and collectstatic's manifest storage (production)
# refuses a file that references one it cannot find.
_WANTED = ("package/dist/hls.min.js", "package/dist/hls.min.js.map", "package/LICENSE")


def vendor_dir(project: Path = _PROJECT) -> Path:
    """Where the vendored hls.js lives."""
    return project / "static" / "vendor" / "hls.js"


def hls_installed(project: Path = _PROJECT) -> bool:
    """Whether the page can offer hls.js."""
    return (vendor_dir(project) / "hls.min.js").is_file()


def install_hls_js(project: Path = _PROJECT, *, npm: str = "npm") -> str:
    """Fetch this version of hls.js with npm unless it is there (maintainers, when the
    version changes); returns what happened."""
    target = vendor_dir(project)
    stamp = target / "VERSION"
    complete = all((target / Path(name).name).is_file() for name in _WANTED)
    if complete and stamp.is_file() and stamp.read_text().strip() == HLS_JS_VERSION:
        return "present"
    if shutil.which(npm) is None:
        return "npm is not installed: the watch page will use the browser's own HLS"
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", f"hls.js@{HLS_JS_VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECS,
            check=False,
        )
        tarballs = list(Path(tmp).glob("hls.js-*.tgz"))
        if done.returncode != 0 or not tarballs:
            return f"npm could not fetch hls.js: {done.stderr.strip()[-300:]}"
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarballs[0]) as archive:
            for name in _WANTED:
                member = archive.extractfile(name)
                if member is not None:
                    (target / Path(name).name).write_bytes(member.read())
    stamp.write_text(HLS_JS_VERSION + "\n")
    return f"installed hls.js {HLS_JS_VERSION}"
