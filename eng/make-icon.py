#!/usr/bin/env python3
"""Draws eng/icon.png, the packages' icon: a ring with a gap and a dot (a run that stops and resumes).

Pure standard library (zlib), so anyone can redraw it: python3 eng/make-icon.py
"""
import math
import struct
import zlib
from pathlib import Path

SIZE = 128
BACKGROUND = (38, 70, 140)   # deep blue disc
FOREGROUND = (255, 255, 255)


def coverage(x: float, y: float) -> tuple[float, float]:
    """Returns (disc alpha, white alpha) for the centre of pixel (x, y), 4x4 supersampled."""
    disc = white = 0.0
    c = SIZE / 2
    for sy in range(4):
        for sx in range(4):
            px, py = x + (sx + 0.5) / 4 - c, y + (sy + 0.5) / 4 - c
            r = math.hypot(px, py)
            if r > c - 2:
                continue
            disc += 1
            angle = math.degrees(math.atan2(py, px)) % 360
            # The ring leaves a gap at the top right; the dot sits in it, where the run resumes.
            in_ring = 30 <= r <= 42 and not 290 <= angle <= 345
            in_dot = math.hypot(px - 36 * math.cos(math.radians(317)), py - 36 * math.sin(math.radians(317))) <= 9
            if in_ring or in_dot:
                white += 1
    return disc / 16, white / 16


def main() -> None:
    rows = bytearray()
    for y in range(SIZE):
        rows.append(0)  # filter: none
        for x in range(SIZE):
            disc, white = coverage(x, y)
            colour = [round(b + (f - b) * (white / disc if disc else 0)) for b, f in zip(BACKGROUND, FOREGROUND)]
            rows.extend(bytes(colour + [round(255 * disc)]))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")
    Path(__file__).with_name("icon.png").write_bytes(png)


if __name__ == "__main__":
    main()
