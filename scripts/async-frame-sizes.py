#!/usr/bin/env python3
"""Prints the async frame (context) size of every async function of a binary whose symbol matches a pattern.

A long-lived async function (an xDS stream's loop) keeps its frame in Swift's task allocator for as long as it runs,
so its size is memory per stream. The size is read from the function's async function pointer (`...Tu` symbol):
a 32-bit relative offset, then the 32-bit context size.

Usage: scripts/async-frame-sizes.py BINARY [REGEX]   (default REGEX: ADSStream|DiscoveryService)
"""
import re
import struct
import subprocess
import sys


def sections(binary):
    output = subprocess.run(["readelf", "-S", "-W", binary], capture_output=True, text=True, check=True).stdout
    found = []
    for line in output.splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) > 6 and parts[0].startswith("[") and parts[0] != "[Nr]":
            try:
                found.append((int(parts[3], 16), int(parts[4], 16), int(parts[5], 16)))
            except ValueError:
                pass
    return found


def main():
    binary = sys.argv[1]
    pattern = re.compile(sys.argv[2] if len(sys.argv) > 2 else "ADSStream|DiscoveryService")
    symbols = subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout.splitlines()
    pointers = [line.split() for line in symbols if line.endswith("Tu")]
    names = subprocess.run(
        ["swift", "demangle", "--compact"], input="\n".join(p[2] for p in pointers), capture_output=True, text=True, check=True
    ).stdout.splitlines()
    data = open(binary, "rb").read()
    layout = sections(binary)
    rows = []
    for (address, _, _), name in zip(pointers, names):
        if not pattern.search(name) or "partial apply" in name:
            continue
        value = int(address, 16)
        for start, offset, size in layout:
            if start <= value < start + size:
                _, context = struct.unpack("<iI", data[offset + value - start: offset + value - start + 8])
                rows.append((context, name.replace("async function pointer to ", "")))
                break
    for context, name in sorted(rows, reverse=True):
        print(f"{context:7d}  {name[:160]}")


if __name__ == "__main__":
    main()
