"""Parallelism in threads: one function per item at once (each, settle; per VM), or one piece
of work alongside a block of the caller's (alongside; e.g. networks starting while disks are
made).

``CANCEL`` is set when the main thread is interrupted while workers run (Ctrl-C, SIGTERM):
long waits in workers poll it, so they give up at once and the rollback does not wait for a
boot timeout. A command clears it when it starts.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

CANCEL = threading.Event()


def each(items: Sequence[str], fn: Callable[[str], Any],
         workers: Optional[int] = None) -> Dict[str, Any]:
    """Run fn for every item at once (at most ``workers`` at a time, where given); raise the
    first failure (in the items' order) after all have finished."""
    results, errors = settle(items, fn, workers)
    if errors:
        raise next(iter(errors.values()))
    return results


def settle(items: Sequence[str], fn: Callable[[str], Any], workers: Optional[int] = None
           ) -> Tuple[Dict[str, Any], Dict[str, BaseException]]:
    """Run fn for every item at once (at most ``workers`` at a time, where given); return
    (results, errors) by item, in the items' order."""
    results: Dict[str, Any] = {}
    errors: Dict[str, BaseException] = {}
    if not items:
        return results, errors
    size = min(len(items), workers or len(items))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix="vm")
    try:
        futures = {item: pool.submit(fn, item) for item in items}
        for item, fut in futures.items():
            try:
                results[item] = fut.result()
            except BaseException as exc:  # collected: the caller decides what a failure means
                errors[item] = exc
    except BaseException:
        CANCEL.set()
        raise
    finally:
        pool.shutdown(wait=True)
    order: List[str] = list(items)
    return ({k: results[k] for k in order if k in results},
            {k: errors[k] for k in order if k in errors})


@contextlib.contextmanager
def alongside(fn: Callable[[], Any]) -> Iterator[None]:
    """Run fn in a thread while the block runs. Leaving the block waits for it, also when the
    block fails (whose error then wins); fn's own failure is raised after a block that
    succeeded."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="bg")
    try:
        future = pool.submit(fn)
        yield
    finally:
        pool.shutdown(wait=True)
    future.result()
