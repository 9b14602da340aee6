"""``sweep`` and ``fit``: the host loop around the vmapped, jitted chunk of steps.

``sweep`` stacks K members (seeds × hyper-parameters), ``jax.vmap``s
:meth:`Fitter.init` and :meth:`Fitter.run` over them, compiles once, and runs
``steps`` steps in ``lax.scan`` chunks of ``chunk`` steps; between chunks it
writes checkpoints (resuming is :meth:`SweepCheckpointer.resume`); a
:class:`~spectral_inr.train.progress.Progress` shows the bar, advanced every
step by a host callback from the compiled program (only when the bar is shown),
and feeds the metric writers per chunk.  ``fit`` is a sweep of one.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import signal
import threading
import time
import weakref
from typing import Any, Mapping, Optional, Sequence, Union

import jax
import numpy as np

from spectral_inr.train import members as members_lib
from spectral_inr.train import sharding
from spectral_inr.train.checkpoint import CheckpointError, SweepCheckpointer
from spectral_inr.train.fitter import Fitter
from spectral_inr.train.progress import Progress, Ticks
from spectral_inr.train.state import TrainState


@dataclasses.dataclass
class SweepResult:
    """Host-side results; every array has a leading member axis of length K."""

    members: list[dict]
    state: TrainState              # final state (numpy)
    history: dict                  # {"loss": (K, steps)} — NaN after divergence
    seconds: float
    steps: int

    @property
    def diverged(self) -> list[tuple[int, int]]:
        """``[(member index, step)]`` of members whose loss became NaN/inf."""
        return [(i, int(s)) for i, (d, s) in enumerate(zip(self.state.diverged, self.state.diverged_step)) if d]

    def member_state(self, i: int) -> TrainState:
        return jax.tree_util.tree_map(lambda x: x[i], self.state)


_COMPILED: "weakref.WeakKeyDictionary[Fitter, dict]" = weakref.WeakKeyDictionary()


def _ticks(fitter: Fitter) -> Ticks:
    """Where ``fitter``'s compiled programs send their per-step ticks (see :mod:`progress`)."""
    return _COMPILED.setdefault(fitter, {}).setdefault("ticks", Ticks())


def _compiled(fitter: Fitter, member_targets: bool, per_step: bool = False, blocks: tuple = (1, 1, 1)):
    """Jitted, vmapped ``init``/``run`` for ``fitter`` — built once, reused by every
    sweep with the same Fitter (XLA then recompiles only for new shapes).
    ``per_step``: the program calls back to the host after every step (progress).
    ``blocks = (groups, blocks_per_group, block)``: the padded member axis is
    reshaped to that shape; ``groups`` (one per device) and ``block`` are vmapped,
    the blocks of a group run one after another (``lax.map``), each for the whole
    chunk — see :func:`member_blocks`."""
    cache = _COMPILED.setdefault(fitter, {})
    key = (member_targets, per_step, blocks)
    if key not in cache:
        init = jax.jit(jax.vmap(lambda key, h, x: fitter.init(jax.random.wrap_key_data(key), h, x),
                                in_axes=(0, 0, None)))
        groups, per_group, block = blocks
        tick = functools.partial(_ticks(fitter), 1.0 / per_group) if per_step else None   # a block's step: 1/blocks
        y_axis = 0 if member_targets else None
        one_block = jax.vmap(lambda s, h, x, y, n: fitter.run(s, h, x, y, n, tick=tick),
                             in_axes=(0, 0, None, y_axis, None))

        def run(s, h, x, y, n):
            if per_group == 1:
                return one_block(s, h, x, y, n)
            shape = (groups, per_group, block)
            split = lambda t: jax.tree_util.tree_map(lambda a: a.reshape(shape + a.shape[1:]), t)
            merge = lambda a: a.reshape((-1,) + a.shape[3:])
            ys = split(y) if member_targets else None

            def group(s, h, yg):
                if member_targets:
                    return jax.lax.map(lambda a: one_block(a[0], a[1], x, a[2], n), (s, h, yg))
                return jax.lax.map(lambda a: one_block(a[0], a[1], x, y, n), (s, h))

            out = jax.vmap(group, in_axes=(0, 0, 0 if member_targets else None))(split(s), split(h), ys)
            return jax.tree_util.tree_map(merge, out)

        cache[key] = (init, jax.jit(run, static_argnums=4, donate_argnums=0))
    return cache[key]


#: a member block's activations should stay in a core's cache (L2 is 1–2.5 MiB on current x86 servers)
BLOCK_BYTES = 2 << 20


def member_blocks(fitter: Fitter, inputs, members: Sequence[Mapping[str, Any]], groups: int,
                  member_block="auto") -> tuple:
    """``(groups, blocks_per_group, block)`` for the members on ``groups`` devices.

    Vmapping many small fields makes every activation a ``(K, N, width)`` array
    far larger than the cache, so each layer streams from memory.  Running a
    device's members in blocks of ``block`` (each block the whole chunk of
    steps, one block after another) keeps a block's activations in cache.
    ``"auto"`` picks the largest block whose step estimate (:mod:`memory`) is at
    most :data:`BLOCK_BYTES` — on CPU only: on a GPU or TPU the whole member
    axis is what fills the device.  ``None``/``0``: one block.
    """
    per_group = -(-len(members) // groups)
    if member_block == "auto":
        if jax.default_backend() != "cpu" or per_group == 1:
            return groups, 1, per_group
        from spectral_inr.train import memory
        hp0 = {k: v for k, v in members[0].items() if k != "seed"}
        n = fitter.batch_size or np.shape(inputs)[0]
        per_member = memory.step_bytes(fitter.model_fn(hp0), n, np.shape(inputs)[-1])
        member_block = max(1, int(BLOCK_BYTES // max(per_member, 1)))
    if not member_block or int(member_block) >= per_group:
        return groups, 1, per_group
    count = -(-per_group // int(member_block))
    return groups, count, -(-per_group // count)


def _hp_of(members: Sequence[Mapping[str, Any]]):
    stacked = members_lib.stack(members)
    seeds = stacked.pop("seed", np.zeros(len(members), np.int64))
    keys = np.stack([np.asarray(jax.random.key_data(jax.random.PRNGKey(int(s)))) for s in seeds])
    return stacked, keys


@dataclasses.dataclass
class _Placed:
    """The members' data on the devices: padded to ``blocks``' size, sharded or replicated."""

    k: int                 # members before padding
    blocks: tuple          # (groups, blocks_per_group, block), see member_blocks
    hp: Any
    keys: Any
    inputs: Any
    targets: Any

    @property
    def size(self) -> int:
        """Members after padding."""
        return self.blocks[0] * self.blocks[1] * self.blocks[2]


def _place(fitter: Fitter, inputs, targets, members: list, mesh, member_targets: bool, member_block) -> _Placed:
    """Pad the member axis to whole blocks and shard it over ``mesh`` (inputs are replicated)."""
    k = len(members)
    groups = 1 if mesh is None else mesh.devices.size
    blocks = member_blocks(fitter, inputs, members, groups, member_block)
    k_padded = blocks[0] * blocks[1] * blocks[2]
    pad_shard = lambda a: sharding.shard_members(sharding.pad_members(a, k_padded), mesh)
    hp_host, keys_host = _hp_of(members)
    if member_targets:
        if np.shape(targets)[0] != k:
            raise ValueError(f"member_targets: targets has {np.shape(targets)[0]} signals for {k} members")
        targets = pad_shard(np.asarray(targets))
    else:
        targets = sharding.replicate(np.asarray(targets), mesh)
    return _Placed(k, blocks, pad_shard(hp_host), pad_shard(keys_host), sharding.replicate(np.asarray(inputs), mesh),
                   targets)


def _start_or_resume(ckpt: Optional[SweepCheckpointer], resume: bool, meta: dict, placed: _Placed, state,
                     history):
    """``(done, state, history)``: fresh, or restored from the checkpoint of this same run — its
    unpadded members padded and placed like the fresh ``state`` (any device count or block)."""
    if ckpt is None or ckpt.latest_step() is None:
        return 0, state, history
    if not resume:
        raise CheckpointError(f"{ckpt.given} already holds checkpoints (step {ckpt.latest_step()}); "
                              "resume from them or use an empty directory")
    step, restored = ckpt.resume(meta, {"state": state, "history": history}, members=placed.k)
    for name, h in restored["history"].items():
        history[name][:placed.k, :step] = h
    return int(step), sharding.place_like(restored["state"], state), history


def _stored(state, history: dict, k: int, done: int) -> dict:
    """What a checkpoint holds: host arrays of the ``k`` members (no padding, no device layout)
    and the ``done`` steps of their history."""
    host = jax.tree_util.tree_map(lambda x: np.asarray(x)[:k], sharding.to_host(state))
    return {"state": host, "history": {name: h[:k, :done] for name, h in history.items()}}


def _closing(ckpt: SweepCheckpointer):
    """An exit callback closing ``ckpt``: after an error (a refused resume, a failed save) a failure
    to close (orbax finishing the failed write) must not replace the error being raised."""

    def close(exc_type, exc, tb) -> bool:
        try:
            ckpt.close()
        except (OSError, ValueError, RuntimeError, CheckpointError):
            if exc_type is None:
                raise
        return False

    return close


class Pace:
    """Split a chunk into compiled calls of about :attr:`SECONDS` each, so that Ctrl-C takes effect
    within about a step while the progress bar is on (the host sees an interrupt only between calls).

    The first calls are one step long: the first of a length includes its compilation, the second
    times a step; from then on a call is the largest divisor of ``chunk`` whose steps take at most
    :attr:`SECONDS` (at least one step).  So an interactive run compiles one or two lengths more
    than ``chunk`` (each is compiled once), and a fast fit keeps calls of the whole ``chunk``.
    Results do not depend on the split: a step's data order and randomness come from its index.
    """

    SECONDS = 0.5

    def __init__(self, chunk: int):
        self.chunk = chunk
        self.length = 1
        self._timed: set = set()

    def lengths(self, n: int):
        """Call lengths covering ``n`` steps (re-read after each call: :meth:`record` may change them)."""
        left = n
        while left > 0:
            m = min(self.length, left)
            yield m
            left -= m

    def record(self, m: int, seconds: float) -> None:
        """A call of ``m`` steps took ``seconds`` (its first call, which compiled, is not a timing)."""
        if m not in self._timed:
            self._timed.add(m)
            return
        target = max(1, int(self.SECONDS * m / max(seconds, 1e-9)))
        self.length = max(d for d in range(1, self.chunk + 1) if self.chunk % d == 0 and d <= target)


def _ready(x):
    """``x`` on the host, polling instead of blocking, so that the SIGINT handler runs while the device
    works (Python runs signal handlers between bytecodes; a blocking wait would hold Ctrl-C until it returns)."""
    leaves = [a for a in jax.tree_util.tree_leaves(x) if hasattr(a, "is_ready")]
    while not all(a.is_ready() for a in leaves):
        time.sleep(0.005)
    return np.asarray(sharding.to_host(x))


@contextlib.contextmanager
def _deferred_interrupt():
    """While training, Ctrl-C (SIGINT) sets a flag instead of raising wherever Python happens to be
    (inside a host callback of the compiled program it would become a runtime error); the loop stops
    at the next call boundary, saves, and raises ``KeyboardInterrupt`` itself.  A second Ctrl-C raises
    at once.  Only in the main thread and only over Python's default handler (a handler of the
    caller's stays in charge); otherwise yields ``None``."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield None
        return
    flag = threading.Event()

    def handler(signum, frame):
        if flag.is_set():
            raise KeyboardInterrupt
        flag.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _train(run, placed: _Placed, state, history: dict, done: int, steps: int, chunk: int, every: int,
           ckpt: Optional[SweepCheckpointer], meta: dict, progress: Progress, per_step: bool):
    """The host loop: compiled calls, their losses into ``history`` and ``progress``, a checkpoint
    every ``every`` steps.  With the bar on (``per_step``) a chunk is split by :class:`Pace`.  Ctrl-C
    (:func:`_deferred_interrupt`) stops at the end of the call in flight — about a step with the bar
    on, the chunk without it —, saves a checkpoint at the step reached and raises
    ``KeyboardInterrupt``: nothing finished is lost."""
    pace = Pace(chunk) if per_step else None
    with _deferred_interrupt() as interrupted:
        while done < steps:
            n = min(chunk, steps - done)
            chunk_start = done
            for m in (pace.lengths(n) if pace else (n,)):
                start = time.perf_counter()
                state, metrics = run(state, placed.hp, placed.inputs, placed.targets, m)
                history["loss"][:, done:done + m] = _ready(metrics["loss"])
                done += m
                if pace:
                    pace.record(m, time.perf_counter() - start)
                if interrupted is not None and interrupted.is_set():
                    if ckpt is not None:
                        ckpt.save(done, _stored(state, history, placed.k, done), meta)
                    raise KeyboardInterrupt
            if per_step:
                jax.effects_barrier()   # every tick of the chunk has reached the bar
            progress.chunk(done, history["loss"][:placed.k, chunk_start:done])
            if ckpt is not None and (done % every == 0 or done == steps):
                ckpt.save(done, _stored(state, history, placed.k, done), meta)
        if interrupted is not None and interrupted.is_set():   # after the last call: the run is saved
            raise KeyboardInterrupt
    return state, history


def sweep(fitter: Fitter, inputs, targets, members: Sequence[Mapping[str, Any]], steps: int, *,
          chunk: int = 100, checkpoint_dir=None, checkpoint_every: Optional[int] = None, resume: bool = False,
          mesh="auto", progress: Union[Progress, bool, None] = None, config: Optional[dict] = None,
          member_targets: bool = False, member_block="auto") -> SweepResult:
    """Train every member for ``steps`` steps as one compiled program.

    Args:
      fitter: model/optimizer/loss/batching (:class:`Fitter`).
      inputs, targets: the whole training set, e.g. coordinates ``(N, d)`` and
        values ``(N, C)``; shared (replicated) by all members.
      members: hyper-parameter dicts (see :func:`members.grid`); ``seed``
        selects the init/data key, every other entry is passed to
        ``fitter.model_fn``/``optimizer_fn`` as a (traced) scalar.
      chunk: steps per ``lax.scan`` call (progress and checkpoint granularity).
      checkpoint_dir, checkpoint_every: save every ``checkpoint_every`` steps
        (a multiple of ``chunk``; default: every chunk) with orbax.
      resume: continue from the last complete checkpoint in ``checkpoint_dir``
        (:meth:`SweepCheckpointer.resume`: it must be this same run, on any
        device count or ``member_block``).  ``steps`` is the run's length, not
        its identity: more steps than stored extend the run (the optimizer
        state goes on; a schedule built with the old total behaves past it as
        it defines, see docs/engine.md), fewer than the checkpoint has done
        raise :class:`CheckpointError`.
      config: a JSON record of what else defines the run (stored, compared on
        resume; a ``steps`` entry is ignored there, like ``steps``).
      mesh: ``"auto"`` shards the member axis over all devices when there are
        several; ``None`` disables sharding; or a ``jax.sharding.Mesh`` with an
        axis named ``"sweep"``.
      progress: a :class:`Progress` (bar + metric writers; the caller closes
        it), or show a bar: ``True``/``False``, ``None`` when stderr is a
        terminal outside CI.
      member_targets: ``targets`` has a leading member axis (``(K, N, C)``): each
        member fits its own signal on the shared ``inputs`` — signals become a
        vmap axis too (e.g. all Kodak images × seeds in one program).
      member_block: members per cache block on CPU (:func:`member_blocks`):
        ``"auto"``, an int, or ``None`` (all of a device's members at once).
        Results do not depend on it.
    """
    if steps <= 0 or chunk <= 0:
        raise ValueError(f"steps and chunk must be positive, got {steps}, {chunk}")
    every = checkpoint_every or chunk
    if every % chunk:
        raise ValueError(f"checkpoint_every ({every}) must be a multiple of chunk ({chunk})")
    members = [dict(m) for m in members]
    placed = _place(fitter, inputs, targets, members, sharding.default_mesh() if mesh == "auto" else mesh,
                    member_targets, member_block)
    with contextlib.ExitStack() as cleanup:
        if not isinstance(progress, Progress):
            progress = Progress(show=progress)
            cleanup.callback(progress.close)
        # one callback per step (a block's step advances the bar by 1/blocks); sharded programs tick per chunk
        per_step = progress.show and jax.device_count() == 1 and _ticks(fitter).attach(progress)
        if per_step:
            cleanup.callback(_ticks(fitter).detach)
        init, run = _compiled(fitter, member_targets, per_step, placed.blocks)
        state = init(placed.keys, placed.hp, placed.inputs)
        history = {"loss": np.full((placed.size, steps), np.nan, np.float32)}
        shapes = jax.tree_util.tree_map(lambda x: list(x.shape[1:]), state.params)
        meta = {"members": members, "steps": steps, "chunk": chunk, "config": config or {},
                "member_targets": member_targets, "param_shapes": shapes}
        ckpt = SweepCheckpointer(checkpoint_dir) if checkpoint_dir is not None else None
        if ckpt is not None:
            cleanup.push(_closing(ckpt))
        done, state, history = _start_or_resume(ckpt, resume, meta, placed, state, history)
        start = time.perf_counter()
        progress.start(steps, done, members, config)
        cleanup.callback(progress.stop)
        state, history = _train(run, placed, state, history, done, steps, chunk, every, ckpt, meta, progress, per_step)
    seconds = time.perf_counter() - start
    k = placed.k
    state_host = jax.tree_util.tree_map(lambda x: np.asarray(x)[:k], sharding.to_host(state))
    return SweepResult(members, state_host, {n_: h[:k] for n_, h in history.items()}, seconds, steps)


def fit(fitter: Fitter, inputs, targets, hp: Optional[Mapping[str, Any]] = None, steps: int = 1000, *,
        seed: int = 0, **kwargs) -> SweepResult:
    """One fit (a sweep of one member); see :func:`sweep` for the options."""
    member = dict(hp or {})
    member.setdefault("seed", seed)
    return sweep(fitter, inputs, targets, [member], steps, **kwargs)
