"""The simulator serves reads side by side and changes alone, as GitLab's workers do."""

from __future__ import annotations

import threading

import pytest

from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator.rwlock import ReadWriteLock


def _in_thread(target: object) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_readers_share_the_state() -> None:
    lock, inside, release = ReadWriteLock(), threading.Barrier(2, timeout=5), threading.Event()

    def read() -> None:
        with lock.read():
            inside.wait()  # only passes when both readers are in at once
            release.wait(5)

    threads = [_in_thread(read), _in_thread(read)]
    release.set()
    for thread in threads:
        thread.join(5)
    assert not any(t.is_alive() for t in threads)


def test_a_change_waits_for_readers_and_readers_wait_for_a_waiting_change() -> None:
    lock, order = ReadWriteLock(), []
    reading, writer_waiting, finish_read = threading.Event(), threading.Event(), threading.Event()

    def first_reader() -> None:
        with lock.read():
            reading.set()
            finish_read.wait(5)
            order.append("read 1 done")

    def writer() -> None:
        writer_waiting.set()
        with lock.write():
            order.append("write")

    def late_reader() -> None:
        with lock.read():
            order.append("read 2")

    threads = [_in_thread(first_reader)]
    reading.wait(5)
    threads.append(_in_thread(writer))
    writer_waiting.wait(5)
    while not lock._waiting:  # the writer is queued behind the first reader
        threading.Event().wait(0.01)
    threads.append(_in_thread(late_reader))
    threading.Event().wait(0.05)
    assert order == []  # neither the writer nor the late reader got in
    finish_read.set()
    for thread in threads:
        thread.join(5)
    assert order == ["read 1 done", "write", "read 2"]


def test_a_writer_nests_and_a_reader_cannot_upgrade() -> None:
    lock = ReadWriteLock()
    with lock.write(), lock.write(), lock.read():
        pass
    with lock.read(), lock.read(), pytest.raises(RuntimeError, match="may not change"):
        lock.write().__enter__()
    with lock.write():  # everything was released
        pass


def test_a_change_from_a_test_waits_for_requests_in_flight() -> None:
    with Simulator(OrgSpec(projects=3, seed=1)) as sim:
        with sim.state.access.read():
            done = threading.Event()

            def change() -> None:
                with sim.state.changing():
                    done.set()

            thread = _in_thread(change)
            assert not done.wait(0.1)  # a request is reading: the change waits
        thread.join(5)
        assert done.is_set()
