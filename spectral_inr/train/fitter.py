"""One pure training step and its ``lax.scan``, for one sweep member.

A :class:`Fitter` bundles what is fixed across a sweep (how to build the
model and optimizer from hyper-parameters, the loss, the batching); ``hp`` is
a dict of scalars — one member's learning rate, ω0, bounds, noise scale, … —
passed *as data*, so ``jax.vmap`` over a stacked ``hp`` sweeps them in one
compiled program.  Only hyper-parameters that change shapes (width, depth)
must be grouped into separate sweeps.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Optional

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from spectral_inr.train.state import TrainState

Hyper = Mapping[str, Any]


def mse_loss(pred, target):
    """Mean squared error over all elements."""
    return jnp.mean(jnp.square(pred - target))


def default_optimizer(hp: Hyper, lr: Optional[float] = None) -> optax.GradientTransformation:
    """Adam with the learning rate ``hp["lr"]`` (``lr`` when ``hp`` has none) injected, so that it
    lives in the optimizer state: a traced per-member value under ``vmap``, readable and schedulable."""
    return optax.inject_hyperparams(optax.adam)(learning_rate=hp["lr"] if "lr" in hp or lr is None else lr)


@dataclasses.dataclass(frozen=True, eq=False)   # hashed by identity: compiled functions are cached per Fitter
class Fitter:
    """Everything a fit needs besides data, seed and hyper-parameter values.

    Attributes:
      model_fn: ``hp -> flax module`` (may read traced ``hp`` values, e.g. ω0).
      optimizer_fn: ``hp -> optax.GradientTransformation``.
      loss_fn: ``(pred, target) -> scalar`` — a value loss on the minibatch's outputs.
      field_loss: instead of ``loss_fn``, a loss that sees the model as a function of
        its coordinates, ``(field, x, y, hp, key) -> scalar`` with ``field: (M, d) -> (M, C)``
        (:mod:`spectral_inr.train.field_losses`: gradient/Laplacian supervision, SIREN's SDF
        loss); it may evaluate and differentiate ``field`` anywhere.  ``key`` is per step.
      regularizer: optional ``(params, hp) -> scalar`` added to the loss.
      batch_size: ``None`` = full batch; else minibatches of this size.
      shuffle: ``"fixed"`` — one random partition reused every epoch (TUNER's
        protocol); ``"epoch"`` — reshuffled every epoch.  When the data size is
        not a multiple of ``batch_size`` the last batch wraps around to the
        start of the permutation (static shapes), so a few samples are seen
        twice per epoch.  ``"uniform"`` — every step draws ``batch_size``
        indices uniformly *with replacement* from the whole signal (SIREN's
        video protocol, ``dataio.Implicit3DWrapper``: ``torch.randint`` of a
        ``sample_fraction`` of all pixels per step); no permutation is ever
        built, so it suits signals of 10⁸ samples.
      train_kwargs: extra ``apply`` kwargs while training, e.g.
        ``{"train": True}`` for BatchNorm/Dropout models (``batch_stats`` is then
        mutable and a ``dropout`` rng is supplied).
    """

    model_fn: Callable[[Hyper], nn.Module]
    optimizer_fn: Callable[[Hyper], optax.GradientTransformation] = default_optimizer
    loss_fn: Callable = mse_loss
    field_loss: Optional[Callable] = None
    regularizer: Optional[Callable] = None
    batch_size: Optional[int] = None
    shuffle: str = "fixed"
    train_kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    SHUFFLES = ("fixed", "epoch", "uniform")

    def __post_init__(self):
        if self.shuffle not in self.SHUFFLES:
            raise ValueError(f"shuffle must be one of {self.SHUFFLES}, got {self.shuffle!r}")
        if self.batch_size is not None and (isinstance(self.batch_size, bool) or int(self.batch_size) < 1):
            raise ValueError(f"batch_size must be a positive int or None, got {self.batch_size!r}")
        if self.field_loss is not None and self.train_kwargs:
            raise ValueError("field_loss needs a pointwise field: not with train_kwargs (BatchNorm/Dropout)")

    # --- init -----------------------------------------------------------
    def init(self, key, hp: Hyper, inputs) -> TrainState:
        """Initialise one member from ``key`` (model init, optimizer, data order)."""
        k_model, k_train, k_data = jax.random.split(key, 3)
        model = self.model_fn(hp)
        variables = model.init(k_model, inputs[:1])
        params = variables["params"]
        model_state = {k: v for k, v in variables.items() if k != "params"}
        opt_state = self.optimizer_fn(hp).init(params)
        raw = jax.random.key_data
        return TrainState(params, model_state, opt_state, jnp.zeros((), jnp.int32), raw(k_train), raw(k_data), params,
                          jnp.asarray(jnp.inf, jnp.float32), jnp.zeros((), jnp.int32), jnp.zeros((), bool),
                          jnp.full((), -1, jnp.int32))

    # --- batching ---------------------------------------------------------
    def num_batches(self, n: int) -> int:
        return 1 if self.batch_size is None else -(-n // self.batch_size)

    def permutation(self, state: TrainState, n: int):
        """The sample order of ``state``'s epoch (``"fixed"``: the same for every epoch)."""
        data_key = jax.random.wrap_key_data(state.data_key)
        if self.shuffle == "epoch":
            data_key = jax.random.fold_in(data_key, state.step // self.num_batches(n))
        return jax.random.permutation(data_key, n)

    def batch_indices(self, state: TrainState, n: int, perm=None):
        """Indices of the samples the step ``state.step`` trains on (``None`` = all).

        ``perm``: the epoch's :meth:`permutation`, if the caller already has it.
        """
        if self.batch_size is None:
            return None
        if self.shuffle == "uniform":
            key = jax.random.fold_in(jax.random.wrap_key_data(state.data_key), state.step)
            return jax.random.randint(key, (self.batch_size,), 0, n)
        if perm is None:
            perm = self.permutation(state, n)
        start = (state.step % self.num_batches(n)) * self.batch_size
        return jnp.take(perm, (start + jnp.arange(self.batch_size)) % n)

    # --- the step ---------------------------------------------------------
    def loss(self, params, model_state, hp, x, y, key):
        """Training objective and the updated non-trainable collections."""
        model = self.model_fn(hp)
        variables = {"params": params, **model_state}
        if self.train_kwargs:
            mutable = [k for k in model_state if k == "batch_stats"]
            pred, updates = model.apply(variables, x, rngs={"dropout": key}, mutable=mutable, **self.train_kwargs)
            model_state = {**model_state, **updates}
            data_loss = self.loss_fn(pred, y)
        elif self.field_loss is not None:
            field = lambda q: model.apply(variables, q)
            data_loss = self.field_loss(field, x, y, hp, jax.random.fold_in(key, 1))
        else:
            data_loss = self.loss_fn(model.apply(variables, x), y)
        total = data_loss if self.regularizer is None else data_loss + self.regularizer(params, hp)
        return total, (data_loss, model_state)

    def step(self, state: TrainState, hp: Hyper, inputs, targets, perm=None):
        """One optimizer step: ``(state, hp, data) -> (state, metrics)``.

        The loss is evaluated at the incoming ``params``; if it is the lowest so
        far they become ``best_params``.  A non-finite loss marks the member
        diverged and freezes it (its best params stay available).
        """
        idx = self.batch_indices(state, inputs.shape[0], perm)
        x, y = (inputs, targets) if idx is None else (inputs[idx], targets[idx])
        key = jax.random.fold_in(jax.random.wrap_key_data(state.key), state.step)
        (total, (data_loss, model_state)), grads = jax.value_and_grad(self.loss, has_aux=True)(
            state.params, state.model_state, hp, x, y, key)
        # ``value=`` reaches links that want the loss (optax.contrib.reduce_on_plateau); others ignore it
        tx = optax.with_extra_args_support(self.optimizer_fn(hp))
        updates, opt_state = tx.update(grads, state.opt_state, state.params, value=total)
        params = optax.apply_updates(state.params, updates)

        finite = jnp.isfinite(total)
        diverged = state.diverged | ~finite
        live = ~diverged
        better = live & (data_loss < state.best_loss)
        keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(live, a, b), new, old)
        new_state = TrainState(
            params=keep(params, state.params),
            model_state=keep(model_state, state.model_state),
            opt_state=keep(opt_state, state.opt_state),
            step=state.step + live.astype(jnp.int32),
            key=state.key,
            data_key=state.data_key,
            best_params=jax.tree_util.tree_map(lambda a, b: jnp.where(better, a, b), state.params, state.best_params),
            best_loss=jnp.where(better, data_loss, state.best_loss),
            best_step=jnp.where(better, state.step, state.best_step),
            diverged=diverged,
            diverged_step=jnp.where(~state.diverged & ~finite, state.step, state.diverged_step),
        )
        return new_state, {"loss": jnp.where(state.diverged, jnp.nan, data_loss)}

    def run(self, state: TrainState, hp: Hyper, inputs, targets, num_steps: int, tick=None):
        """``num_steps`` steps under ``lax.scan``; metrics stacked along axis 0.

        ``tick``: a host function called (no arguments, once per step even under
        ``vmap``) after every step — the progress bar's per-step update.

        With ``shuffle="fixed"`` the partition is computed once here, not in every
        step (the key sits in the scan carry, so XLA cannot hoist it; a 249k-sample
        permutation costs ~137 ms on this CPU).
        """
        n = inputs.shape[0]
        perm = None
        if self.batch_size is not None and self.shuffle == "fixed":
            perm = self.permutation(state, n)
        perms = self._epoch_permutations(state, n, num_steps)

        def body(s, _):
            p = perm
            if perms is not None:  # this step's epoch among those the chunk touches
                epoch0 = state.step // self.num_batches(n)
                p = perms[jnp.clip(s.step // self.num_batches(n) - epoch0, 0, perms.shape[0] - 1)]
            out = self.step(s, hp, inputs, targets, p)
            if tick is not None:
                jax.debug.callback(tick)
            return out

        return jax.lax.scan(body, state, None, length=num_steps)

    #: above this many indices (epochs × samples) per member, ``"epoch"`` shuffling permutes in every step
    EPOCH_PERMUTATION_BUDGET = 1 << 24

    def _epoch_permutations(self, state: TrainState, n: int, num_steps: int):
        """``"epoch"`` shuffling: the permutations of every epoch a chunk of ``num_steps`` steps touches,
        stacked ``(E, n)``, ``E = ⌈num_steps / batches⌉ + 1`` — computed once per chunk, not once per step
        (a 60,000-sample permutation is a sort: ~20 ms a member on this CPU, more than the step itself).
        The same keys as :meth:`permutation`, so the batches are identical.  ``None`` when not applicable."""
        if self.batch_size is None or self.shuffle != "epoch":
            return None
        nb = self.num_batches(n)
        count = -(-num_steps // nb) + 1
        if count * n > self.EPOCH_PERMUTATION_BUDGET:
            return None
        epoch0 = state.step // nb
        data_key = jax.random.wrap_key_data(state.data_key)
        return jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(data_key, e), n))(
            epoch0 + jnp.arange(count))

    def predict(self, params, model_state, hp, inputs, chunk: int = 65536):
        """The model's output on ``inputs`` (evaluation mode), in chunks."""
        model = self.model_fn(hp)
        variables = {"params": params, **model_state}
        kwargs = {"train": False} if self.train_kwargs else {}
        n = inputs.shape[0]
        if n <= chunk:
            return model.apply(variables, inputs, **kwargs)
        pad = (-n) % chunk
        padded = jnp.concatenate([inputs, jnp.zeros((pad,) + inputs.shape[1:], inputs.dtype)])
        out = jax.lax.map(lambda xb: model.apply(variables, xb, **kwargs), padded.reshape(-1, chunk, *inputs.shape[1:]))
        return out.reshape(-1, *out.shape[2:])[:n]
