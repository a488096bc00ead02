"""ns per normal and per uniform on one core: the scalar stream (rng) against the lanes.

    .venv/bin/python benchmarks/lanes.py [--rounds 5] [--json FILE]

Each generator fills a cache-resident block of 256 (and 1024) values over and over,
as kernels do; every figure is the best of ``--rounds`` timings of about 20 ms, the
generators taking turns round by round so that a busy machine slows all of them
alike. NumPy's ``Generator(SFC64)`` is timed for reference, filling the same blocks
(``out=``, so its per-call overhead counts) and one array of 10**6. About 15 s.
"""

import argparse
import json
import platform
import time
from pathlib import Path

import numba
import numpy as np

from mc_twolevel import lanes, rng

TARGET_SECONDS = 0.02  # per timing


@numba.njit(nogil=True)
def _old_uniform_blocks(states, out, repeats):
    s = states[0]
    for _ in range(repeats):
        rng.uniforms_into(s, out, out.shape[0])


def _numpy_blocks(generator, out, repeats):
    for _ in range(repeats):
        generator.standard_normal(out=out)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def vector_width():
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    return "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"


def cases(size):
    """name -> (fill(repeats), values per repeat) for blocks of ``size``."""
    block = np.empty(size)
    scalar_normals, scalar_uniforms = rng.stream_state(1, (0,)), rng.stream_state(1, (0,))
    out = {
        "rng.normals_into (scalar ziggurat)": (lambda r: rng.fill_normal_blocks(scalar_normals, block, r), size),
        "rng.uniforms_into": (lambda r: _old_uniform_blocks(scalar_uniforms, block, r), size),
    }
    for count in (4, 8, 16):
        state = lanes.lane_state(1, (0,), lanes=count)
        out[f"lanes.normals_into, L = {count}"] = (lambda r, s=state: lanes.fill_normal_blocks(s, block, r), size)
        out[f"lanes.uniforms_into, L = {count}"] = (lambda r, s=state: lanes.fill_uniform_blocks(s, block, r), size)
    generator = np.random.Generator(np.random.SFC64(1))
    out["numpy Generator(SFC64).standard_normal(out=block)"] = (lambda r: _numpy_blocks(generator, block, r), size)
    big = np.empty(10**6)
    out["numpy Generator(SFC64).standard_normal, 10**6 at once"] = (
        lambda r: _numpy_blocks(generator, big, r),
        big.size,
    )
    return out


def measure(size, rounds):
    """Best ns per value of every case, the cases taking turns."""
    table = cases(size)
    repeats = {}
    for name, (fill, _values) in table.items():
        fill(1)  # compile
        started = time.perf_counter()
        fill(10)
        per_repeat = (time.perf_counter() - started) / 10
        repeats[name] = max(1, int(TARGET_SECONDS / max(per_repeat, 1e-9)))
    best = {name: float("inf") for name in table}
    for _ in range(rounds):
        for name, (fill, values) in table.items():
            started = time.perf_counter()
            fill(repeats[name])
            best[name] = min(best[name], (time.perf_counter() - started) / (repeats[name] * values) * 1e9)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    results = {
        "cpu": cpu_model(),
        "vectors": vector_width(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "blocks": {size: measure(size, args.rounds) for size in (256, 1024)},
    }
    print(f"{results['cpu']} ({results['vectors']}), numpy {results['numpy']}, numba {results['numba']}; "
          f"best of {args.rounds}, one core\n")  # fmt: skip
    print("| ns per value | block of 256 | block of 1024 |")
    print("|---|---|---|")
    for name in results["blocks"][256]:
        print(f"| {name} | {results['blocks'][256][name]:.3f} | {results['blocks'][1024][name]:.3f} |")
    print()
    for size in (256, 1024):
        row = results["blocks"][size]
        old_n, old_u = row["rng.normals_into (scalar ziggurat)"], row["rng.uniforms_into"]
        speedups = ", ".join(f"L = {count}: normals {old_n / row[f'lanes.normals_into, L = {count}']:.2f}x, "
                             f"uniforms {old_u / row[f'lanes.uniforms_into, L = {count}']:.2f}x"
                             for count in (4, 8, 16))  # fmt: skip
        print(f"blocks of {size}, lanes over the scalar stream: {speedups}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
