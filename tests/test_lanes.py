"""The lane-parallel generator: each lane against randomgen's xoshiro256**, the documented
maps from words to uniforms and normals against numpy, the normals against N(0, 1), and
the stream's determinism."""

import re
from pathlib import Path

import numba
import numpy as np
import pytest
from scipy import stats

from mc_twolevel import lanes, rng

SIGMAS = 5
ULP = np.finfo(float).eps


def randomgen_lane(words, count):
    """``count`` raw outputs of randomgen's Xoshiro256 started from the state ``words``,
    and its state words after them."""
    randomgen = pytest.importorskip("randomgen")
    generator = randomgen.Xoshiro256(0)
    state = generator.state  # {'bit_generator': ..., 's': 4 uint64 words, 'has_uint32': ..., 'uinteger': ...}
    state["s"] = np.array(words, dtype=np.uint64)
    state["has_uint32"], state["uinteger"] = 0, 0
    generator.state = state
    return generator.random_raw(count), generator.state["s"]


@pytest.mark.parametrize("lane_count", [4, 8, 16])
def test_every_lane_is_xoshiro256starstar_bit_for_bit(lane_count):
    state = lanes.lane_state(2026, (3, 4), lanes=lane_count)
    words = state[0]["s"].copy()
    out = np.empty(1000 * lane_count, dtype=np.uint64)
    lanes.fill_u64(state, out)
    for lane in range(lane_count):
        outputs, after = randomgen_lane(words[:, lane], 1000)
        assert np.array_equal(out[lane::lane_count], outputs), f"lane {lane}"
        assert np.array_equal(state[0]["s"][:, lane], after), f"lane {lane}'s state after 1000 rounds"


def test_state_words_come_from_the_seed_sequence_as_documented():
    state = lanes.lane_state(7, (1, 2), lanes=8)
    words = np.random.SeedSequence(7, spawn_key=(1, 2)).generate_state(4 + 4 * 8, np.uint64)
    assert np.array_equal(state[0]["s"], words[4:].reshape(8, 4).T)
    # the first four words are the scalar stream's: no lane repeats rng.stream_state(seed, key)
    assert np.array_equal(rng.stream_state(7, (1, 2)).view(np.uint64), words[:4])
    assert lanes.lane_state(7, (1, 2), lanes=8).tobytes() == state.tobytes()
    assert lanes.lane_state(7, (2, 1), lanes=8).tobytes() != state.tobytes()
    assert lanes.lane_state(8, (1, 2), lanes=8).tobytes() != state.tobytes()
    with pytest.raises(ValueError):
        lanes.lane_state(7, (1,), lanes=3)


def test_substreams_take_further_words_and_leave_the_first_unchanged():
    states = lanes.lane_state(7, (1, 2), count=3, lanes=8)
    words = np.random.SeedSequence(7, spawn_key=(1, 2)).generate_state(4 + 4 * 8 * 3, np.uint64)
    for k in range(3):
        assert np.array_equal(states[k]["s"], words[4 + 32 * k : 4 + 32 * (k + 1)].reshape(8, 4).T), f"substream {k}"
    assert states[:1].tobytes() == lanes.lane_state(7, (1, 2)).tobytes()  # adding substreams moves nothing
    assert states[:2].tobytes() == lanes.lane_state(7, (1, 2), count=2).tobytes()
    # 24 lanes, 24 distinct starting states (overlap would need two of them on one 2**256 cycle within reach)
    assert len({tuple(states[k]["s"][:, j]) for k in range(3) for j in range(8)}) == 24
    with pytest.raises(ValueError):
        lanes.lane_state(7, (1,), count=0)


def test_substreams_are_uncorrelated_and_each_a_xoshiro_stream():
    states = lanes.lane_state(21, (0, 5), count=3)
    words = states["s"].copy()
    n = 1 << 18
    draws = []
    for k in range(3):
        raw = np.empty(8 * 64, dtype=np.uint64)
        lanes.fill_u64(states[k : k + 1], raw)
        assert np.array_equal(raw[3::8], randomgen_lane(words[k][:, 3], 64)[0]), f"substream {k}, lane 3"
        draws.append(lanes.normal_block(states[k : k + 1], n))
    for a, b in ((0, 1), (1, 2), (0, 2)):
        assert abs(np.corrcoef(draws[a], draws[b])[0, 1]) < SIGMAS / np.sqrt(n), (a, b)
        # and no substream repeats a stretch of another (a shifted copy would match exactly)
        assert not np.isin(draws[a][:1000], draws[b]).any()


def test_an_all_zero_lane_is_replaced(monkeypatch):
    class Zeros:
        def __init__(self, *args, **kwargs):
            pass

        def generate_state(self, count, dtype):
            return np.zeros(count, dtype=dtype)

    monkeypatch.setattr(lanes.np.random, "SeedSequence", Zeros)
    state = lanes.lane_state(0, (0,), lanes=4)
    assert (state[0]["s"][0] == 1).all() and not state[0]["s"][1:].any()


def test_uniforms_are_the_top_53_bits_of_the_words():
    words = np.empty(4096, dtype=np.uint64)
    lanes.fill_u64(lanes.lane_state(5, (0,)), words)
    uniforms = lanes.uniform_block(lanes.lane_state(5, (0,)), 4096)
    assert np.array_equal(uniforms, (words >> np.uint64(11)).astype(np.float64) * 2.0**-53)
    many = lanes.uniform_block(lanes.lane_state(6, (0,)), 1_000_000)
    assert many.min() >= 0 and many.max() < 1
    assert stats.kstest(many, "uniform").pvalue > 1e-3


def box_muller_reference(words):
    """The module doc's map from pairs of words to pairs of normals, in numpy."""
    w1, w2 = words[0::2], words[1::2]
    radius = np.sqrt(-2.0 * np.log((w1 | np.uint64(1)).astype(np.float64) * 2.0**-64))
    offset = ((w2 << np.uint64(3)).view(np.int64) >> 11).astype(np.float64) * (np.pi / 2 * 2.0**-53)
    swap = (w2 >> np.uint64(61)) & np.uint64(1) == 1
    a = np.where(swap, np.sin(offset), np.cos(offset))
    b = np.where(swap, np.cos(offset), np.sin(offset))
    z1 = np.where((w2 >> np.uint64(63)) == 1, -1.0, 1.0) * radius * a
    z2 = np.where((w2 >> np.uint64(62)) & np.uint64(1) == 1, -1.0, 1.0) * radius * b
    out = np.empty(words.size)
    out[0::2], out[1::2] = z1, z2
    return out


def test_normals_follow_the_documented_map_from_words():
    words = np.empty(1 << 16, dtype=np.uint64)
    lanes.fill_u64(lanes.lane_state(9, (4,)), words)
    words[:6] = [0, 1, 2**64 - 1, 2**63, 2**62, 2**61]  # the extremes of u and the bit flags
    expected = box_muller_reference(words)
    out = np.empty(words.size)
    out_view = out.view(np.uint64)
    out_view[:] = words
    lanes._to_normals(out, out.size)
    assert np.allclose(out, expected, rtol=8 * ULP, atol=4 * ULP)
    assert np.array_equal(np.sign(out), np.sign(expected))
    assert abs(out[0]) == pytest.approx(np.sqrt(128 * np.log(2)), rel=4 * ULP)  # u = 2**-64: the largest radius
    # and the generator applies this map to its own words
    state_words = np.empty(1024, dtype=np.uint64)
    lanes.fill_u64(lanes.lane_state(9, (5,)), state_words)
    assert np.allclose(lanes.normal_block(lanes.lane_state(9, (5,)), 1024), box_muller_reference(state_words),
                       rtol=8 * ULP, atol=4 * ULP)  # fmt: skip


@numba.njit(error_model="numpy", fastmath={"contract"})
def _minus_two_logs(words):
    out = np.empty(words.size)
    for i in range(words.size):
        out[i] = lanes.minus_two_log(words[i])
    return out


@numba.njit(fastmath={"contract"})
def _sin_cos(x):
    s, c = np.empty_like(x), np.empty_like(x)
    for i in range(x.size):
        s[i], c[i] = lanes.sin_cos(x[i])
    return s, c


def test_the_branch_free_log_sin_and_cos_are_within_two_ulp():
    generator = np.random.default_rng(0)
    words = np.concatenate([
        generator.integers(0, 2**64, 1_000_000, dtype=np.uint64, endpoint=False),
        np.uint64(1) << generator.integers(0, 64, 100_000).astype(np.uint64),  # every binade
        (np.uint64(2**64 - 1) >> generator.integers(0, 64, 100_000).astype(np.uint64)),
        np.array([0, 1, 2, 3, 2**53, 2**63, 2**64 - 1], dtype=np.uint64),
    ])  # fmt: skip
    u = (words | np.uint64(1)).astype(np.float64) * 2.0**-64
    reference = -2.0 * np.log(u)
    got = _minus_two_logs(words)
    assert np.all(np.abs(got - reference) <= 2 * np.spacing(np.maximum(reference, 1e-300)))
    x = np.concatenate([np.linspace(-np.pi / 4, np.pi / 4, 1_000_001), generator.uniform(-1e-8, 1e-8, 1000)])
    s, c = _sin_cos(x)
    assert np.all(np.abs(s - np.sin(x)) <= 2 * np.spacing(np.abs(np.sin(x))))
    assert np.all(np.abs(c - np.cos(x)) <= 2 * np.spacing(np.cos(x)))


def test_normal_moments_within_their_standard_errors():
    z = lanes.normal_block(lanes.lane_state(7, (0,)), 10_000_000)
    n = z.size
    # standard errors of the sample mean, variance, skewness and excess kurtosis of N(0, 1)
    assert abs(z.mean()) < SIGMAS / np.sqrt(n)
    assert abs(z.var() - 1) < SIGMAS * np.sqrt(2 / n)
    assert abs(stats.skew(z)) < SIGMAS * np.sqrt(6 / n)
    assert abs(stats.kurtosis(z)) < SIGMAS * np.sqrt(24 / n)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # the two normals of a pair are uncorrelated, and so are neighbouring pairs
    assert abs(np.corrcoef(z[0::2], z[1::2])[0, 1]) < SIGMAS / np.sqrt(n / 2)
    assert abs(np.corrcoef(z[:-2], z[2:])[0, 1]) < SIGMAS / np.sqrt(n)


@numba.njit(nogil=True)
def _tail_counts(states, blocks, thresholds):
    """How many of ``blocks`` blocks of 1024 normals exceed each threshold in absolute value."""
    s = states[0]
    out = np.empty(1024)
    counts = np.zeros(thresholds.size, dtype=np.int64)
    for _ in range(blocks):
        lanes.normals_into(s, out, 1024)
        for i in range(1024):
            x = abs(out[i])
            for k in range(thresholds.size):
                counts[k] += x > thresholds[k]
    return counts


@numba.njit(nogil=True)
def _beyond(states, blocks, threshold, limit):
    s = states[0]
    out = np.empty(1024)
    found = np.empty(limit)
    count = 0
    for _ in range(blocks):
        lanes.normals_into(s, out, 1024)
        for i in range(1024):
            if abs(out[i]) > threshold and count < limit:
                found[count] = abs(out[i])
                count += 1
    return found[:count]


def test_tail_frequencies_to_six_sigma():
    blocks = 200_000  # 2.05e8 draws
    n = blocks * 1024
    thresholds = np.arange(1.0, 7.0)
    counts = _tail_counts(lanes.lane_state(11, (0,)), blocks, thresholds)
    expected = 2 * stats.norm.sf(thresholds)
    for k, count, p in zip(thresholds[:5], counts[:5], expected[:5]):
        assert abs(count / n - p) < SIGMAS * np.sqrt(p * (1 - p) / n), f"P(|Z| > {k:.0f})"
    # beyond 6 sigma about 0.4 are expected here: the count must be a plausible Poisson draw
    assert stats.poisson.sf(counts[5] - 1, expected[5] * n) > 1e-4
    # the shape of the tail beyond 4 sigma (about 13,000 draws) is the normal's
    tail = _beyond(lanes.lane_state(11, (1,)), blocks, 4.0, 100_000)
    sf4 = stats.norm.sf(4.0)
    assert abs(tail.size / n - 2 * sf4) < SIGMAS * np.sqrt(2 * sf4 / n)
    assert stats.kstest(tail, lambda x: 1 - stats.norm.sf(x) / sf4).pvalue > 1e-3


def test_streams_are_deterministic_and_distinct():
    a = lanes.normal_block(lanes.lane_state(3, (1, 2)), 1000)
    assert np.array_equal(a, lanes.normal_block(lanes.lane_state(3, (1, 2)), 1000))
    assert not np.array_equal(a, lanes.normal_block(lanes.lane_state(3, (2, 1)), 1000))
    assert not np.array_equal(a, lanes.normal_block(lanes.lane_state(4, (1, 2)), 1000))
    u = lanes.uniform_block(lanes.lane_state(3, (1, 2)), 1000)
    assert np.array_equal(u, lanes.uniform_block(lanes.lane_state(3, (1, 2)), 1000))


@pytest.mark.parametrize("fill", [lanes.normals_into, lanes.uniforms_into])
def test_pieces_that_are_whole_rounds_equal_one_fill(fill):
    whole = np.empty(296)
    fill(lanes.lane_state(12, (0,))[0], whole, 296)
    pieces = np.empty(296)
    state = lanes.lane_state(12, (0,))
    position = 0
    for size in (8, 8, 16, 256, 8):  # multiples of L = 8: the scalar tail and the vector body agree
        fill(state[0], pieces[position:], size)
        position += size
    assert np.array_equal(pieces, whole)


@pytest.mark.parametrize("fill", [lanes.normals_into, lanes.uniforms_into])
def test_a_ragged_fill_consumes_whole_rounds(fill):
    first = np.empty(16)
    state = lanes.lane_state(13, (0,))
    fill(state[0], first, 16)
    ragged = np.full(16, -9.0)
    state = lanes.lane_state(13, (0,))
    fill(state[0], ragged, 5)  # the first 5 of a round; the other 3 are discarded
    fill(state[0], ragged[8:], 8)
    assert np.array_equal(ragged[:5], first[:5]) and (ragged[5:8] == -9.0).all()
    assert np.array_equal(ragged[8:], first[8:])
    fill(state[0], ragged, 0)  # nothing requested: nothing consumed
    with pytest.raises(ValueError):
        fill(state[0], ragged, 17)


@numba.njit
def _normal_blocks(states, out, repeats):  # not cached, so that its machine code can be inspected
    for _ in range(repeats):
        lanes.normals_into(states[0], out, out.size)


@numba.njit
def _uniform_blocks(states, out, repeats):
    for _ in range(repeats):
        lanes.uniforms_into(states[0], out, out.size)


@pytest.mark.skipif("avx2" not in Path("/proc/cpuinfo").read_text(), reason="needs a CPU with AVX2")
def test_the_kernels_are_vectorised():
    state, out = lanes.lane_state(1, (0,)), np.empty(256)
    _normal_blocks(state, out, 1)
    _uniform_blocks(state, out, 1)
    normals = _normal_blocks.inspect_asm(_normal_blocks.signatures[0])
    uniforms = _uniform_blocks.inspect_asm(_uniform_blocks.signatures[0])
    for asm in (normals, uniforms):  # the xoshiro round: packed shifts and xors on ymm or zmm
        assert re.search(r"vp(sll|srl|rol)q\s+\$\d+, %[yz]mm", asm) and re.search(
            r"vp(xor|ternlog)\w*\s+.*%[yz]mm", asm
        )
    assert re.search(r"vsqrtpd\s+%[yz]mm", normals) and re.search(r"vdivpd\s+%[yz]mm", normals)
    assert re.search(r"vcvt\w*q2pd\s+%[yz]mm", uniforms)
