"""``sweep`` and ``fit``: the host loop around the vmapped, jitted chunk of steps.

``sweep`` stacks K members (seeds × hyper-parameters), ``jax.vmap``s
:meth:`Fitter.init` and :meth:`Fitter.run` over them, compiles once, and runs
``steps`` steps in ``lax.scan`` chunks of ``chunk`` steps; between chunks it
writes checkpoints; the progress bar advances every step (a host callback from
the compiled program, only when the bar is shown).  ``fit`` is a sweep of one.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
import time
import weakref
from typing import Any, Mapping, Optional, Sequence

import jax
import numpy as np
from tqdm.auto import tqdm

from spectral_inr.train import members as members_lib
from spectral_inr.train import sharding
from spectral_inr.train.checkpoint import CheckpointError, SweepCheckpointer
from spectral_inr.train.fitter import Fitter
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


def _progress_enabled(progress: Optional[bool]) -> bool:
    if progress is not None:
        return progress
    return sys.stderr.isatty() and not os.environ.get("CI")


_COMPILED: "weakref.WeakKeyDictionary[Fitter, dict]" = weakref.WeakKeyDictionary()


_BAR: list = [None]   # the progress bar of the running sweep, advanced once per step by the compiled program


def _tick(fraction: float = 1.0):
    bar = _BAR[0]
    if bar is not None:
        bar.update(fraction)


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
        tick = functools.partial(_tick, 1.0 / per_group) if per_step else None   # a block's step: 1/blocks of a step
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


def _differences(meta: dict, stored: dict, prefix: str = "") -> list[str]:
    """``["steps: 70 here, 60 in the checkpoint", …]`` — what makes two runs' records differ."""
    out = []
    for k in sorted(set(meta) | set(stored)):
        a, b = meta.get(k, "(absent)"), stored.get(k, "(absent)")
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{prefix}{k}: {_short(a)} here, {_short(b)} in the checkpoint")
    return out


def _short(v) -> str:
    text = json.dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _hp_of(members: Sequence[Mapping[str, Any]]):
    stacked = members_lib.stack(members)
    seeds = stacked.pop("seed", np.zeros(len(members), np.int64))
    keys = np.stack([np.asarray(jax.random.key_data(jax.random.PRNGKey(int(s)))) for s in seeds])
    return stacked, keys


def sweep(fitter: Fitter, inputs, targets, members: Sequence[Mapping[str, Any]], steps: int, *,
          chunk: int = 100, checkpoint_dir=None, checkpoint_every: Optional[int] = None, resume: bool = False,
          mesh="auto", progress: Optional[bool] = None, config: Optional[dict] = None,
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
      resume: continue from the last complete checkpoint in ``checkpoint_dir``.
      mesh: ``"auto"`` shards the member axis over all devices when there are
        several; ``None`` disables sharding; or a ``jax.sharding.Mesh`` with an
        axis named ``"sweep"``.
      member_targets: ``targets`` has a leading member axis (``(K, N, C)``): each
        member fits its own signal on the shared ``inputs`` — signals become a
        vmap axis too (e.g. all Kodak images × seeds in one program).
      member_block: members per cache block on CPU (:func:`member_blocks`):
        ``"auto"``, an int, or ``None`` (all of a device's members at once).
        Results do not depend on it.
    """
    if steps <= 0 or chunk <= 0:
        raise ValueError(f"steps and chunk must be positive, got {steps}, {chunk}")
    members = [dict(m) for m in members]
    k = len(members)
    mesh = sharding.default_mesh() if mesh == "auto" else mesh
    groups = 1 if mesh is None else mesh.devices.size
    blocks = member_blocks(fitter, inputs, members, groups, member_block)
    k_padded = blocks[0] * blocks[1] * blocks[2]
    hp_host, keys_host = _hp_of(members)
    hp = sharding.shard_members(sharding.pad_members(hp_host, k_padded), mesh)
    keys = sharding.shard_members(sharding.pad_members(keys_host, k_padded), mesh)
    inputs = sharding.replicate(np.asarray(inputs), mesh)
    if member_targets:
        if np.shape(targets)[0] != k:
            raise ValueError(f"member_targets: targets has {np.shape(targets)[0]} signals for {k} members")
        targets = sharding.shard_members(sharding.pad_members(np.asarray(targets), k_padded), mesh)
    else:
        targets = sharding.replicate(np.asarray(targets), mesh)

    show = _progress_enabled(progress)
    # one callback per step (a block's step advances the bar by 1/blocks); sharded programs tick per chunk
    per_step = show and jax.device_count() == 1
    init, run = _compiled(fitter, member_targets, per_step, blocks)
    state = init(keys, hp, inputs)
    history = {"loss": np.full((k_padded, steps), np.nan, np.float32)}
    done = 0

    every = checkpoint_every or chunk
    if every % chunk:
        raise ValueError(f"checkpoint_every ({every}) must be a multiple of chunk ({chunk})")
    shapes = jax.tree_util.tree_map(lambda x: list(x.shape[1:]), state.params)
    meta = {"members": members, "steps": steps, "chunk": chunk, "config": config or {},
            "member_targets": member_targets, "param_shapes": shapes}
    ckpt = SweepCheckpointer(checkpoint_dir) if checkpoint_dir is not None else None
    if ckpt is not None and ckpt.latest_step() is not None:
        if not resume:
            ckpt.close()
            raise CheckpointError(f"{checkpoint_dir} already holds checkpoints (step {ckpt.latest_step()}); "
                                  "resume from them or use an empty directory")
        step = ckpt.latest_step()
        stored = ckpt.restore_meta(step)
        if json.loads(json.dumps(meta)) != stored:
            ckpt.close()
            diff = _differences(json.loads(json.dumps(meta)), stored)
            raise CheckpointError(f"checkpoint in {checkpoint_dir} belongs to a different run ({'; '.join(diff)}); "
                                  "not resuming")
        restored = ckpt.restore(step, {"state": state, "history": history})
        state, history = restored["state"], {k_: np.asarray(v) for k_, v in restored["history"].items()}
        done = int(step)

    start = time.perf_counter()
    bar = tqdm(total=steps, initial=done, disable=not show, desc="fit", unit="step")
    _BAR[0] = bar if per_step else None
    try:
        while done < steps:
            n = min(chunk, steps - done)
            state, metrics = run(state, hp, inputs, targets, n)
            loss = np.asarray(sharding.to_host(metrics["loss"]))
            if per_step:
                jax.effects_barrier()   # every tick of the chunk has reached the bar
            history["loss"][:, done:done + n] = loss
            done += n
            last = loss[:k, -1]
            finite = last[np.isfinite(last)]
            if finite.size:
                bar.set_postfix(loss=f"{finite.mean():.3g}", psnr=f"{-10 * np.log10(max(finite.mean(), 1e-30)):.2f}")
            if not per_step:
                bar.update(n)
            elif getattr(bar, "n", done) != done:   # blocked programs tick in fractions of a step: settle the rounding
                bar.update(done - bar.n)
            if ckpt is not None and (done % every == 0 or done == steps):
                ckpt.save(done, {"state": state, "history": history}, meta)
    finally:
        _BAR[0] = None
        bar.close()
        if ckpt is not None:
            ckpt.close()
    seconds = time.perf_counter() - start
    state_host = jax.tree_util.tree_map(lambda x: np.asarray(x)[:k], sharding.to_host(state))
    return SweepResult(members, state_host, {n_: h[:k] for n_, h in history.items()}, seconds, steps)


def fit(fitter: Fitter, inputs, targets, hp: Optional[Mapping[str, Any]] = None, steps: int = 1000, *,
        seed: int = 0, **kwargs) -> SweepResult:
    """One fit (a sweep of one member); see :func:`sweep` for the options."""
    member = dict(hp or {})
    member.setdefault("seed", seed)
    return sweep(fitter, inputs, targets, [member], steps, **kwargs)
