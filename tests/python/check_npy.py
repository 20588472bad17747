#!/usr/bin/env python3
"""Checks the crate's streaming NPY writer with an independent reader, numpy.

    cargo run --example write_npy_samples -- DIR && python3 tests/python/check_npy.py DIR

For every sample listed in DIR/samples.json: the header is NPY 1.0 with fortran_order False
and the listed dtype and shape, the data starts on a 64-byte boundary and the file ends where
the data does; np.load (and np.load with mmap_mode="r") gives exactly the elements of the
formula below, computed here in numpy; a SHA-256 computed while writing equals the file's.
Exits non-zero on the first failure. Prints "N passed, 0 failed" at the end.
"""

import hashlib
import json
import os
import sys

import numpy as np

from checks import check, done


def expected(descr, shape):
    """The element at flat index i, as examples/write_npy_samples.rs writes it."""
    i = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.uint64)
    u = np.uint64
    with np.errstate(over="ignore"):
        if descr == "|u1":
            v = ((i * u(7) + u(3)) % u(256)).astype(np.uint8)
        elif descr == "<i2":
            v = (((i * u(7919) + u(13)) % u(65536)).astype(np.int64) - 32768).astype(np.int16)
        elif descr == "<i4":
            v = (((i * u(2654435761)) % u(2**32)).astype(np.int64) - 2**31).astype(np.int32)
        elif descr == "<i8":
            v = (i * u(0x9E3779B97F4A7C15)).astype(np.int64)
        elif descr == "<f4":
            v = (i % u(1000003)).astype(np.float32) * np.float32(0.125) - np.float32(3.0)
        elif descr == "<f8":
            v = i.astype(np.float64) * 0.5 + 0.1
        else:
            raise ValueError(descr)
    return v.reshape(shape)


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "samples.json")) as f:
        samples = json.load(f)
    check(len(samples) >= 8, "samples listed")
    descrs = set()
    for s in samples:
        name, descr, shape = s["name"], s["descr"], tuple(s["shape"])
        path = os.path.join(out, name + ".npy")
        descrs.add(descr)
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            check(version == (1, 0), f"{name}: NPY version {version}")
            hshape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            offset = f.tell()
        check(hshape == shape, f"{name}: header shape {hshape} != {shape}")
        check(fortran is False, f"{name}: fortran_order {fortran}")
        check(dtype == np.dtype(descr), f"{name}: dtype {dtype} != {descr}")
        check(offset % 64 == 0, f"{name}: data starts at {offset}, not a multiple of 64")
        want = expected(descr, shape)
        check(os.path.getsize(path) == offset + want.nbytes, f"{name}: file size")
        a = np.load(path)
        check(a.dtype == want.dtype and a.shape == want.shape, f"{name}: loaded {a.dtype} {a.shape}")
        check(np.array_equal(a, want), f"{name}: elements differ from the formula")
        m = np.load(path, mmap_mode="r")
        check(m.shape == shape and np.array_equal(m, want), f"{name}: mmap load")
        del m
        if s["sha256"] is not None:
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            check(s["sha256"] == digest, f"{name}: SHA-256 computed while writing")
    check(descrs == {"|u1", "<i2", "<i4", "<i8", "<f4", "<f8"}, f"every dtype covered: {descrs}")
    check(any(0 in s["shape"] for s in samples), "an empty array covered")
    check(any(expected(s["descr"], tuple(s["shape"])).nbytes > (16 << 20) for s in samples), "a large array covered")
    done()


main()
