"""Calls released together in threads of their own: concurrent plays in tests."""
from __future__ import annotations

import threading
from typing import Any, Callable


def in_threads(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Each call in its own thread, all released together by a barrier; each
    call's result, or the exception it raised, in order. `timeout` bounds
    the waiting (a play that never returns fails the test), it measures nothing."""
    results: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001  (handed to the test)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a play never returned"
    return results
