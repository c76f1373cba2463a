"""Independent arithmetic for tests: written out here from the textbook formulae, not imported from app/."""

import math

Z = 1.959963984540054


def wilson_percent(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    scale = 1 + Z * Z / n
    return (centre - spread) / scale * 100, (centre + spread) / scale * 100
