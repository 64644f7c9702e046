#!/usr/bin/env python3
"""The layout shows the architecture (docs/ARCHITECTURE.md "Which layer may include which"):
every quoted #include under src/ must point at the including file's own layer or at one the table
below allows. Nothing includes upward or sideways; the table is a DAG. Exit 1 and one line per
violation otherwise."""
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"

# Layer -> the layers it may include (besides itself). Longest directory prefix wins.
ALLOWED = {
    "common": set(),
    "proto": set(),
    "protocol": {"common", "proto"},
    "e2ee": {"common", "proto"},
    "net/h3": {"common"},
    "net/quic": {"common", "protocol"},
    "client/webtransport": {"common", "protocol", "net/h3", "net/quic"},
    "client": {"common", "proto", "protocol", "e2ee", "net/quic", "client/webtransport"},
    "tools": {"common", "proto", "protocol", "client"},
    "server/room": {"common", "proto", "protocol"},
    "server/store": {"common"},
    "server/auth": {"common", "proto", "protocol", "server/room"},
    "server/bus": {"common", "proto", "protocol", "server/room"},
    "server/core": {"common", "proto", "protocol", "server/room", "server/auth", "server/store"},
    "server/http": {"common", "proto", "protocol", "server/room", "server/auth", "server/store",
                    "server/core"},
    "server/ws": {"common", "proto", "protocol", "server/room", "server/auth", "server/core",
                  "server/http"},
    "server/webtransport": {"common", "proto", "protocol", "net/h3", "net/quic", "server/room",
                            "server/auth", "server/core"},
    "server/app": {"common", "proto", "protocol", "server/room", "server/auth", "server/store",
                   "server/core", "server/http", "server/ws"},
    # main.cpp: the executable wires everything of the server.
    "server": {"common", "proto", "protocol", "server/room", "server/auth", "server/store",
               "server/core", "server/http", "server/ws", "server/webtransport", "server/bus",
               "server/app"},
}

# First components of include paths that name a layer by another spelling.
# Narrow interfaces: the media transports see the server through core/media_host.hpp, never the
# whole ServerContext (which holds the REST API's state too).
FORBIDDEN = {
    "server/ws": {"server/core/server_context.hpp"},
    "server/webtransport": {"server/core/server_context.hpp"},
}

ALIASES = {"videocall": "client", "webtransport": "client/webtransport"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(relative: str) -> str | None:
    best = None
    for layer in ALLOWED:
        if relative == layer or relative.startswith(layer + "/"):
            if best is None or len(layer) > len(best):
                best = layer
    return best


def target_layer(include: str, including: pathlib.Path) -> str | None:
    first = include.split("/", 1)[0]
    if "/" not in include:
        return layer_of(str(including.parent.relative_to(SRC)))  # same directory
    if first in ALIASES and not (SRC / include).exists():
        return ALIASES[first]
    if (including.parent / include).exists():  # relative to the including file
        return layer_of(str((including.parent / include).relative_to(SRC).parent))
    return layer_of(str(pathlib.PurePosixPath(include).parent))


def main() -> int:
    violations = []
    files = [p for p in SRC.rglob("*") if p.suffix in (".cpp", ".hpp")]
    for path in files:
        relative = str(path.relative_to(SRC))
        layer = layer_of(str(path.parent.relative_to(SRC)))
        if layer is None:
            violations.append(f"{relative}: in no layer (add its directory to the table)")
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            if match.group(1) in FORBIDDEN.get(layer, ()):
                violations.append(f'{relative}:{number}: {layer} includes "{match.group(1)}" '
                                  "(use its narrow interface)")
                continue
            target = target_layer(match.group(1), path)
            if target is None or target == layer or target in ALLOWED[layer]:
                continue
            violations.append(f'{relative}:{number}: {layer} includes "{match.group(1)}" ({target})')
    for violation in violations:
        print(violation)
    print(f"{len(files)} files, {len(violations)} layering violations")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
