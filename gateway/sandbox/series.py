"""Per-frame numeric series that look like pose-estimation output.

Smooth periodic motion plus a little noise, rounded the way the upstream rounds
(3-4 decimals), so payload sizes are realistic: a few hundred frames times
dozens of columns is the heavy part of every export.
"""

from __future__ import annotations

import math
import random
from typing import Final

FPS: Final = 30.0

# 17 landmarks x (x, y, visibility) = 51 keypoint columns, named like the
# upstream's (`lknev`, `rshox`, ...): landmark then axis.
LANDMARKS: Final = (
    "head",
    "lear",
    "rear",
    "lsho",
    "rsho",
    "lelb",
    "relb",
    "lwri",
    "rwri",
    "lhip",
    "rhip",
    "lkne",
    "rkne",
    "lank",
    "rank",
    "ltoe",
    "rtoe",
)
AXES: Final = ("x", "y", "v")

# Rough vertical position of each landmark in a normalized frame (0 = top).
_HEIGHT: Final = {
    "head": 0.12,
    "lear": 0.13,
    "rear": 0.13,
    "lsho": 0.25,
    "rsho": 0.25,
    "lelb": 0.38,
    "relb": 0.38,
    "lwri": 0.48,
    "rwri": 0.48,
    "lhip": 0.52,
    "rhip": 0.52,
    "lkne": 0.7,
    "rkne": 0.7,
    "lank": 0.88,
    "rank": 0.88,
    "ltoe": 0.92,
    "rtoe": 0.92,
}


def timestamps(frames: int) -> list[float]:
    return [round(i / FPS, 4) for i in range(frames)]


def wave(
    rng: random.Random,
    frames: int,
    *,
    base: float,
    amplitude: float,
    noise: float = 0.0,
    decimals: int = 3,
) -> list[float]:
    period = rng.uniform(18.0, 40.0)
    phase = rng.uniform(0.0, math.tau)
    step = math.tau / period
    gauss = rng.gauss
    return [
        round(base + amplitude * math.sin(phase + i * step) + gauss(0.0, noise), decimals)
        for i in range(frames)
    ]


def keypoints(rng: random.Random, frames: int) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {}
    for landmark in LANDMARKS:
        side = -0.04 if landmark.startswith("l") else 0.04
        series[f"{landmark}x"] = wave(
            rng, frames, base=0.5 + side, amplitude=0.05, noise=0.002, decimals=4
        )
        series[f"{landmark}y"] = wave(
            rng, frames, base=_HEIGHT[landmark], amplitude=0.03, noise=0.002, decimals=4
        )
        series[f"{landmark}v"] = [
            round(min(1.0, rng.uniform(0.55, 1.05)), 3) for _ in range(frames)
        ]
    return series


def angles(rng: random.Random, names: tuple[str, ...], frames: int) -> dict[str, list[float]]:
    return {
        name: wave(rng, frames, base=rng.uniform(60.0, 150.0), amplitude=25.0, noise=0.8)
        for name in names
    }


def contact(rng: random.Random, frames: int) -> list[bool]:
    # Feet touch the ground for roughly 60% of each stride.
    stride = rng.randint(18, 24)
    offset = rng.randint(0, stride)
    return [((i + offset) % stride) < stride * 0.6 for i in range(frames)]


def short_series(
    rng: random.Random, count: int, low: float, high: float, decimals: int = 3
) -> list[float]:
    return [round(rng.uniform(low, high), decimals) for _ in range(count)]
