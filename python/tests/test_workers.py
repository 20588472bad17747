"""What a DataLoader does with the Assigner its dataset holds: pickles it (spawn start method)
or forks the process that made it (fork, Linux's default)."""

import os
import pickle
import signal
import time

import numpy as np
import pytest

import ssd_assign

BOXES = [np.float32([[0.1, 0.2, 0.45, 0.7], [0.3, 0.3, 0.9, 0.8]]), np.float32([[0.435, 0.435, 0.565, 0.565]])]
LABELS = [np.int64([3, 12]), np.int64([8])]


def test_pickled_assigner_encodes_the_same():
    a = ssd_assign.Assigner("ssd300", threshold=0.45, variances=(0.1, 0.25), collision="optimal", neg_pos_ratio=5, jobs=1)
    b = pickle.loads(pickle.dumps(a))
    assert repr(b) == repr(a)
    for x, y in zip(a.encode_batch(BOXES, LABELS), b.encode_batch(BOXES, LABELS)):
        assert np.array_equal(x, y)
    assert a.match(BOXES[0], LABELS[0])["hard_negatives"] == b.match(BOXES[0], LABELS[0])["hard_negatives"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_encode_batch_in_a_forked_child_of_a_process_that_used_it():
    a = ssd_assign.Assigner(jobs=2)
    want = a.encode_batch(BOXES * 50, LABELS * 50)  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # the child: its pool must be its own, not the parent's threadless copy
        try:
            got = a.encode_batch(BOXES * 50, LABELS * 50)
            os._exit(0 if all(np.array_equal(x, y) for x, y in zip(got, want)) else 1)
        except BaseException:
            os._exit(2)
    # A hang (the bug this guards against) is turned into a failure rather than a stuck suite.
    for _ in range(600):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("encode_batch in a forked child did not return within a minute")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
