"""A watch's state, shared with the subscribers who join it while it is fresh,
read once for them all after that, never replayed stale; each subscriber's one
slot of news; and a watch leaves nothing behind once its last subscriber has gone."""

from __future__ import annotations

import asyncio
import gc
import itertools
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack

import httpx
import pytest

from gateway.broker import MemoryBroker
from gateway.config import RetryPolicy, WatchPolicy
from gateway.credentials import Credential
from gateway.errors import GatewayError, SubscriptionClosing
from gateway.ids import Activity
from gateway.sessions import VideoState, VideoStatus
from gateway.upstream.client import UpstreamClient
from gateway.watchers import ReadinessWatchers
from gateway.watchers.mailbox import SLICE, Mailbox, Outbox

SECRET = b"s" * 32
KEY = Credential("API-KEY k-watch-state")
URL = "https://storage.example/analyzed.mp4"
PROCESSING = VideoState(VideoStatus.PROCESSING)
READY = VideoState(VideoStatus.READY, URL)
DETAILS = "details"
VIDEO = "video"


class Upstream:
    """The strict flavor's answers (404 while processing), counted per endpoint."""

    def __init__(self) -> None:
        self.ready = False
        self.calls: Counter[str] = Counter()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/analyzed-video/"):
            self.calls[VIDEO] += 1
            if self.ready:
                return httpx.Response(200, json={"analyzed_video_url": URL})
            return httpx.Response(404, json={"error": "Analyzed video not found"})
        self.calls[DETAILS] += 1
        return httpx.Response(200, json={"session_id": "s1", "analyzed_video_url": ""})


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


async def _watchers(upstream: Upstream, state_ttl: float, every: float = 3600) -> ReadinessWatchers:
    """Watchers on ``upstream`` polling ``every`` seconds (by default, no poll
    during a test: only joining reads the upstream)."""
    client = UpstreamClient(
        "http://upstream",
        transport=httpx.MockTransport(upstream.handle),
        retry=RetryPolicy(attempts=1),
    )
    policy = WatchPolicy(start=every, factor=1, cap=every, state_ttl=state_ttl)
    return ReadinessWatchers(client, MemoryBroker(), policy, secret=SECRET)


async def _join(stack: AsyncExitStack, watchers: ReadinessWatchers) -> AsyncIterator[VideoState]:
    return await stack.enter_async_context(watchers.watch(KEY, Activity.JUMPING, "s1"))


async def test_joiners_within_the_ttl_cost_no_upstream_call(upstream: Upstream) -> None:
    watchers = await _watchers(upstream, state_ttl=3600)
    async with AsyncExitStack() as stack:
        first = await _join(stack, watchers)
        assert await anext(first) == PROCESSING
        # The first look: the details (they prove access), then the video.
        assert upstream.calls == {DETAILS: 1, VIDEO: 1}
        for _ in range(49):
            assert await anext(await _join(stack, watchers)) == PROCESSING
        assert upstream.calls == {DETAILS: 1, VIDEO: 1}
    await watchers.aclose()


async def test_after_the_ttl_the_first_joiner_reads_and_the_others_share_it(
    upstream: Upstream,
) -> None:
    watchers = await _watchers(upstream, state_ttl=0.05)
    async with AsyncExitStack() as stack:
        await _join(stack, watchers)
        await asyncio.sleep(0.1)
        before = upstream.calls.copy()
        joined = await asyncio.gather(*(_join(stack, watchers) for _ in range(50)))
        assert [await anext(states) for states in joined] == [PROCESSING] * 50
        # Fifty joiners, one read of the video's state (the access is proven).
        assert upstream.calls - before == {VIDEO: 1}
    await watchers.aclose()


async def test_a_stale_state_is_never_replayed_after_the_ttl(upstream: Upstream) -> None:
    watchers = await _watchers(upstream, state_ttl=0.05)
    async with AsyncExitStack() as stack:
        early = await _join(stack, watchers)
        assert await anext(early) == PROCESSING
        # The video becomes ready between two polls (the next is an hour away).
        upstream.ready = True
        await asyncio.sleep(0.1)
        late = await _join(stack, watchers)
        assert [state async for state in late] == [READY]
        # What the joiner's read found reaches those who were there before.
        assert await asyncio.wait_for(anext(early), 1) == READY
    await watchers.aclose()


async def test_a_final_state_no_longer_fresh_is_watched_anew(upstream: Upstream) -> None:
    """A dashboard holds a watch that ended READY; the video is processed again.
    A later joiner must not get the old READY, nor hang on a watch nobody polls."""
    watchers = await _watchers(upstream, state_ttl=0.05, every=0.05)
    upstream.ready = True
    async with AsyncExitStack() as stack:
        holder = await _join(stack, watchers)
        assert await anext(holder) == READY
        upstream.ready = False
        await asyncio.sleep(0.1)
        late = await _join(stack, watchers)
        assert await anext(late) == PROCESSING
        upstream.ready = True
        assert await asyncio.wait_for(anext(late), 2) == READY
    await watchers.aclose()


async def test_within_the_ttl_the_known_state_is_what_a_joiner_gets(upstream: Upstream) -> None:
    watchers = await _watchers(upstream, state_ttl=3600)
    async with AsyncExitStack() as stack:
        assert await anext(await _join(stack, watchers)) == PROCESSING
        upstream.ready = True
        # Fresh by the setting: no read, the state polled last.
        assert await anext(await _join(stack, watchers)) == PROCESSING
        assert upstream.calls[VIDEO] == 1
    await watchers.aclose()


async def test_a_watch_leaves_nothing_behind_after_its_last_subscriber(
    upstream: Upstream,
) -> None:
    watchers = await _watchers(upstream, state_ttl=0.05)
    before = asyncio.all_tasks()
    async with AsyncExitStack() as stack:
        streams = [await _join(stack, watchers) for _ in range(19)]
        await asyncio.sleep(0.1)
        streams.append(await _join(stack, watchers))  # a refresh, read and done
        assert [await anext(s) for s in streams] == [PROCESSING] * 20
        assert upstream.calls[VIDEO] == 2
        assert len(watchers) == 1
        (watch,) = watchers._watches.values()
        refs = [weakref.ref(o) for o in (watch, watch.poller, *streams)]
        del watch, streams
    assert len(watchers) == 0
    # The watch's listener, poller and any read it started have all ended
    # (their done callbacks run on the loop's next turn).
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - before == set()
    gc.collect()
    assert [ref for ref in refs if ref() is not None] == []
    await watchers.aclose()


async def test_a_mailbox_holds_the_latest_state_and_keeps_what_ends_the_stream() -> None:
    mailbox = Mailbox()
    mailbox.put(PROCESSING)
    mailbox.put(VideoState(VideoStatus.FAILED))
    mailbox.put(READY)  # a final state is never replaced
    assert await mailbox.get() == VideoState(VideoStatus.FAILED)
    closing = SubscriptionClosing("The gateway is shutting down.")
    mailbox.put(PROCESSING)
    mailbox.put(closing)
    mailbox.put(READY)  # nor is an error
    assert await mailbox.get() is closing
    # A reader waits for the next item.
    reader = asyncio.create_task(mailbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    mailbox.put(READY)
    assert await asyncio.wait_for(reader, 1) == READY


def _holding(mailboxes: Iterable[Mailbox]) -> list[object]:
    return [mailbox._item for mailbox in mailboxes]


async def _turns(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_change_for_many_is_handed_out_a_slice_per_turn_of_the_loop() -> None:
    mailboxes = [Mailbox() for _ in range(3 * SLICE + 5)]
    state = VideoState(VideoStatus.PROCESSING)
    ran_between: list[int] = []
    Outbox().hand_out(mailboxes, state)
    # Work the loop already had, or got meanwhile, runs before the last slice.
    asyncio.get_running_loop().call_soon(
        lambda: ran_between.append(sum(item is state for item in _holding(mailboxes)))
    )
    assert sum(item is state for item in _holding(mailboxes)) == SLICE
    await _turns(4)
    assert all(item is state for item in _holding(mailboxes))
    assert ran_between and 0 < ran_between[0] < len(mailboxes)


@pytest.mark.parametrize("then", [PROCESSING, SubscriptionClosing("The gateway is shutting down.")])
async def test_a_final_state_going_out_is_never_overtaken(then: VideoState | GatewayError) -> None:
    """READY goes out to many; those it reached first leave (as they do, once
    READY), which reorders the watch's set; then another item is handed out.
    Every subscriber still gets READY, the state that ends its stream."""
    mailboxes = {Mailbox() for _ in range(3 * SLICE)}
    outbox = Outbox()
    outbox.hand_out(mailboxes, READY)
    reached = {m for m in mailboxes if m._item is READY}
    mailboxes -= reached
    outbox.hand_out(mailboxes, then)
    await _turns(8)
    assert len(mailboxes) == 2 * SLICE
    assert all(item is READY for item in _holding(mailboxes))


async def test_changes_reach_every_mailbox_in_the_order_they_were_handed_out() -> None:
    """The watch's subscribers are a set: two changes may list them in different
    orders, and the older one's later slices must not overwrite the newer one."""
    mailboxes = [Mailbox() for _ in range(3 * SLICE + 5)]
    older, newer = VideoState(VideoStatus.PROCESSING), VideoState(VideoStatus.PROCESSING)
    outbox = Outbox()
    outbox.hand_out(mailboxes, older)
    outbox.hand_out(mailboxes[::-1], newer)
    await _turns(10)
    assert all(item is newer for item in _holding(mailboxes))


async def test_leaving_while_a_reader_is_inside_the_stream_still_releases_the_watch(
    upstream: Upstream,
) -> None:
    """A dashboard's merged subscription reads each stream in a task of its own:
    the watch is left even when that task is still waiting inside the stream."""
    watchers = await _watchers(upstream, state_ttl=3600)
    async with watchers.watch(KEY, Activity.JUMPING, "s1") as states:
        assert await anext(states) == PROCESSING
        reader = asyncio.create_task(anext(states))
        await asyncio.sleep(0)
    assert len(watchers) == 0
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    await watchers.aclose()


async def test_polls_start_one_interval_apart_however_long_a_read_takes() -> None:
    """The interval runs from one poll's start to the next's: a read that takes
    a good part of it doesn't push every later poll (and every change) back by
    its time."""
    starts: list[float] = []
    enough = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/analyzed-video/"):
            starts.append(asyncio.get_running_loop().time())
            if len(starts) >= 5:
                enough.set()
            await asyncio.sleep(0.15)
            return httpx.Response(404, json={"error": "Analyzed video not found"})
        return httpx.Response(200, json={"session_id": "s1", "analyzed_video_url": ""})

    client = UpstreamClient(
        "http://upstream", transport=httpx.MockTransport(slow), retry=RetryPolicy(attempts=1)
    )
    policy = WatchPolicy(start=0.4, factor=1, cap=0.4, state_ttl=0.1, lease_ttl=10)
    watchers = ReadinessWatchers(client, MemoryBroker(), policy, secret=SECRET)
    async with watchers.watch(KEY, Activity.JUMPING, "s1") as states:
        assert await anext(states) == PROCESSING
        await asyncio.wait_for(enough.wait(), 10)
    await watchers.aclose()
    # From the first poll on (the first read is the watch's start).
    gaps = sorted(b - a for a, b in itertools.pairwise(starts[1:]))
    # 0.4 s apart; a poll after the read's end would be 0.55 s.
    assert gaps[len(gaps) // 2] < 0.48, gaps


async def test_a_follower_is_of_its_own_watch_and_its_leaving_stops_a_replaced_one(
    upstream: Upstream,
) -> None:
    """A group (schema.fanout) follows one watch: once that watch has broken and
    a newer one serves the session, the follower is no longer current (no one
    joins it), and when it leaves last, the broken watch stops all the same."""
    watchers = await _watchers(upstream, state_ttl=3600, every=0.05)
    async with AsyncExitStack() as stack:
        first = await anext(await _join(stack, watchers))
        following = watchers.follow(KEY, Activity.JUMPING, "s1", first)
        assert following is not None and following.is_current(first)
        (old,) = watchers._watches.values()
    old.deliver(SubscriptionClosing("broken"))
    assert not following.is_current(first)
    async with AsyncExitStack() as stack:
        assert await anext(await _join(stack, watchers)) == PROCESSING
        (new,) = watchers._watches.values()
        assert new is not old and not following.is_current(first)
        following.close()
        following.close()  # once or more
        await asyncio.sleep(0.01)
        assert old._tasks and all(task.done() for task in old._tasks)
        assert not any(task.done() for task in new._tasks)
    await watchers.aclose()
