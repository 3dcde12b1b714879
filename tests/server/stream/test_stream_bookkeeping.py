"""Latest-frame slot, rate limit and session counters, without sockets."""

from __future__ import annotations

import asyncio

from server.stream.latest_frame import LatestFrameSlot, PendingFrame
from server.stream.protocol import FrameMessage
from server.stream.rate_limit import TokenBucket
from server.stream.session import StreamSession


def pending(i: int) -> PendingFrame:
    return PendingFrame(FrameMessage(i, 0.0, b""), 0.0)


def test_the_slot_keeps_only_the_newest_frame_and_counts_the_rest():
    async def go():
        slot = LatestFrameSlot()
        replaced = [slot.put(pending(i)) for i in range(5)]
        first = await slot.take()
        slot.close()
        return replaced, first, await slot.take()

    replaced, first, after_close = asyncio.run(go())
    assert replaced == [0, 1, 1, 1, 1] and first.message.frame_id == 4 and after_close is None


def test_a_waiting_taker_gets_the_next_frame():
    async def go():
        slot = LatestFrameSlot()
        taker = asyncio.create_task(slot.take())
        await asyncio.sleep(0.01)
        slot.put(pending(7))
        return await asyncio.wait_for(taker, 1)

    assert asyncio.run(go()).message.frame_id == 7


def test_the_bucket_passes_a_steady_camera_and_stops_a_flood():
    bucket = TokenBucket(30.0, now=0.0)
    steady = [bucket.take(i / 30.0) for i in range(1, 300)]
    assert all(steady)
    flood = TokenBucket(10.0, now=0.0)
    allowed = sum(flood.take(0.001 * i) for i in range(100))  # 100 frames in 0.1 s
    assert allowed == 3  # a 2.5-frame burst plus what 0.1 s refills


def test_session_counters_add_up_and_reset_the_since_last_count():
    session = StreamSession()
    for _ in range(5):
        session.frame_received()
    session.frame_superseded(1)
    session.frame_rate_limited()
    first = session.frame_done(10.0, "p", "v")
    second = session.frame_done(20.0, "p", None)
    assert first["dropped"] == {"superseded": 1, "rate_limited": 1, "since_last_result": 2}
    assert second["dropped"]["since_last_result"] == 0
    summary = session.summary(1000, "end")
    assert summary["mean_latency_ms"] == 15.0 and summary["frames_processed"] == 2
    assert summary["tried"] == [{"product": "p", "variant": "v", "frames": 1}, {"product": "p", "variant": None, "frames": 1}]


def test_a_frame_thread_takes_the_newest_frame_when_it_starts():
    import concurrent.futures

    async def go():
        slot = LatestFrameSlot()
        slot.put(pending(1))
        assert await slot.wait()
        slot.put(pending(2))  # arrives while the work waits for a free thread
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            taken = await asyncio.get_running_loop().run_in_executor(pool, slot.take_nowait)
        return taken, slot.take_nowait()

    taken, left = asyncio.run(go())
    assert taken.message.frame_id == 2 and left is None
