"""Planning cost of ``augment run`` at scale: discovery of a manifest input, output naming and
units, for N inputs that share few stems (the case that was quadratic: 200k lines over 4 names).

    python benchmarks/bench_plan.py [N ...]      (default 20000 200000 1000000)

Prints seconds per phase and microseconds per input; near-linear planning keeps us/input flat.
The sources need not exist (a missing one is a failed input, found with one stat each).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from augment.batch.plan import assign_names, discover


def main(sizes: list[int]) -> None:
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            man = Path(tmp) / "big.manifest"
            names = ["cat", "dog", "bird", "fish"]
            with open(man, "w") as f:
                for i in range(n):
                    f.write(json.dumps({"source": f"{tmp}/d{i % 97}/{names[i % 4]}.jpg", "annotation": [
                        {"type": "modelarts/image_classification", "name": names[i % 4]}]}) + "\n")
            t0 = time.perf_counter()
            layout, items, problems, _ = discover(man)
            t1 = time.perf_counter()
            assign_names(items)  # again, alone
            t2 = time.perf_counter()
            assert len({it.stem.lower() for it in items}) == n
            print(f"N={n:>9,}: discover+name {t1 - t0:6.2f} s ({(t1 - t0) / n * 1e6:5.1f} us/input), "
                  f"naming alone {t2 - t1:5.2f} s ({(t2 - t1) / n * 1e6:4.1f} us/input)", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20_000, 200_000, 1_000_000])
