r"""Input distributions, target functions, and the user's own arrays.

Inputs (paper Section 2 takes :math:`\mathcal X = S^{d-1}(B_x)`):

* ``sphere``: uniform on :math:`S^{d-1}(B_x)`;
* ``hypercube``: uniform on :math:`\{\pm B_x/\sqrt d\}^d` (Section 5.1);
* ``anisotropic``: :math:`N(0, \Sigma)` with :math:`\kappa(\Sigma) =` ``condition`` (eigenvalues
  geometrically spaced from 1 down to 1/condition, in a random basis), each row then scaled to
  norm :math:`B_x`;
* ``digits``: scikit-learn's bundled 8x8 digits (1797 x 64), centred, rows scaled to norm :math:`B_x`.

Targets: :math:`\alpha(\beta^\top x)^p` (Theorem 7), sums of them, the noisy 2-XOR of Section 5.2
(:math:`f_\star(x) = x_1 x_2` on the hypercube, Wei et al. 2019), and the low-degree-plus-sparse
targets :math:`f_{\le k} + \sum_{j\le R}(\beta_j^\top x)^{k+1}` of Nichani, Bai & Lee (2022).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from . import _validate as validate

__all__ = [
    "DISTRIBUTIONS", "TARGETS", "sample_sphere", "sample_hypercube", "sample_anisotropic", "load_digits",
    "sample_inputs", "Polynomial", "PolynomialSum", "NoisyXor", "LowDegreePlusSparse", "make_target",
    "load_instance", "INSTANCE_KEYS",
]

DISTRIBUTIONS = ("sphere", "hypercube", "anisotropic", "digits")
TARGETS = ("single", "xor", "sparse")


def _sizes(n_samples, dim, input_radius):
    return (validate.integer("n_samples", n_samples, minimum=1), validate.integer("dim", dim, minimum=1),
            validate.positive("input_radius", input_radius))


def _to_sphere(g, input_radius):
    norms = np.linalg.norm(g, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return input_radius * g / norms


def sample_sphere(n_samples, dim, *, input_radius=1.0, rng):
    """``n_samples`` points uniform on the sphere of radius ``input_radius`` in R^dim."""
    n_samples, dim, input_radius = _sizes(n_samples, dim, input_radius)
    return _to_sphere(rng.standard_normal((n_samples, dim)), input_radius)


def sample_hypercube(n_samples, dim, *, input_radius=1.0, rng):
    r"""``n_samples`` points uniform on :math:`\{\pm B_x/\sqrt d\}^d`."""
    n_samples, dim, input_radius = _sizes(n_samples, dim, input_radius)
    return rng.choice(np.array([-1.0, 1.0]), size=(n_samples, dim)) * (input_radius / np.sqrt(dim))


def anisotropic_covariance(dim, condition, *, rng):
    """A covariance with eigenvalues geometrically spaced in [1/condition, 1] in a random basis."""
    dim = validate.integer("dim", dim, minimum=1)
    condition = validate.positive("condition", condition)
    if condition < 1:
        raise validate.BoundcheckInputError(f"condition must be >= 1 (a condition number); got {condition:g}")
    eig = np.geomspace(1.0, 1.0 / condition, dim)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    return (basis * eig) @ basis.T


def sample_anisotropic(n_samples, dim, *, condition=10.0, input_radius=1.0, rng):
    """Gaussian rows with covariance of condition number ``condition``, scaled onto the sphere."""
    n_samples, dim, input_radius = _sizes(n_samples, dim, input_radius)
    cov = anisotropic_covariance(dim, condition, rng=rng)
    root = np.linalg.cholesky(cov + 1e-15 * np.eye(dim))
    return _to_sphere(rng.standard_normal((n_samples, dim)) @ root.T, input_radius)


def load_digits(input_radius=1.0):
    """scikit-learn's bundled digits (1797 x 64): centred, each row scaled to norm ``input_radius``."""
    input_radius = validate.positive("input_radius", input_radius)
    try:
        from sklearn.datasets import load_digits as _load
    except ImportError as err:  # pragma: no cover - scikit-learn is a core dependency
        raise ImportError("the digits data set needs scikit-learn (pip install scikit-learn)") from err
    x = _load().data.astype(np.float64)
    return _to_sphere(x - x.mean(axis=0), input_radius)


def sample_inputs(dist, n_samples, dim, *, input_radius=1.0, rng, condition=10.0):
    """``n_samples`` inputs from ``dist`` (one of ``DISTRIBUTIONS``).

    For ``digits``, ``dim`` must be 64 and the rows are drawn without replacement (with
    replacement when ``n_samples`` exceeds 1797).
    """
    validate.choice("dist", dist, DISTRIBUTIONS)
    if dist == "sphere":
        return sample_sphere(n_samples, dim, input_radius=input_radius, rng=rng)
    if dist == "hypercube":
        return sample_hypercube(n_samples, dim, input_radius=input_radius, rng=rng)
    if dist == "anisotropic":
        return sample_anisotropic(n_samples, dim, condition=condition, input_radius=input_radius, rng=rng)
    n_samples = validate.integer("n_samples", n_samples, minimum=1)
    if dim != 64:
        raise validate.BoundcheckInputError(f"dim must be 64 for the digits data set; got {dim}")
    pool = load_digits(input_radius)
    idx = rng.choice(pool.shape[0], size=n_samples, replace=n_samples > pool.shape[0])
    return pool[idx]


# --------------------------------------------------------------------------------------------
# targets


class _Target:
    def labels(self, x, *, rng=None, flip_prob=0.0):
        """Classification labels ``sign(f(x))`` in {-1, +1}, each flipped with ``flip_prob``."""
        y = np.where(self(x) >= 0, 1.0, -1.0)
        if flip_prob:
            flip_prob = validate.probability("flip_prob", flip_prob, open_interval=False)
            y = np.where(rng.random(y.shape) < flip_prob, -y, y)
        return y


class Polynomial(_Target):
    r"""The single-index polynomial :math:`f_\star(x) = \alpha(\beta^\top x)^p` (Theorem 7)."""

    def __init__(self, coef, beta, degree):
        self.coef = float(coef)
        self.beta = validate.vector("beta", beta)
        self.degree = validate.integer("degree", degree, minimum=0)

    def __call__(self, x):
        x = validate.matrix("x", x, shape=(None, self.beta.size))
        return self.coef * (x @ self.beta) ** self.degree

    def __repr__(self):
        return f"Polynomial(coef={self.coef:g}, |beta|={np.linalg.norm(self.beta):g}, degree={self.degree})"


class PolynomialSum(_Target):
    r"""A low-rank sum :math:`\sum_s \alpha_s (\beta_s^\top x)^{p_s}`."""

    def __init__(self, terms):
        self.terms = list(terms)
        if not self.terms:
            raise validate.BoundcheckInputError("terms must hold at least one Polynomial; got none")

    def __call__(self, x):
        return sum(term(x) for term in self.terms)


class NoisyXor(_Target):
    r"""The 2-XOR of Section 5.2: :math:`f_\star(x) = z_1 z_2` with :math:`z = \sqrt d\,x/B_x`.

    On the hypercube :math:`z \in \{\pm1\}^d`; Section 5.2 writes it as
    :math:`([(e_1+e_2)^\top z]^2 - [(e_1-e_2)^\top z]^2)/4`, two rank-one quadratics. The
    labels carry the "noise": each is flipped with ``flip_prob``.
    """

    def __init__(self, dim, input_radius=1.0, flip_prob=0.1):
        self.dim = validate.integer("dim", dim, minimum=2)
        self.input_radius = validate.positive("input_radius", input_radius)
        self.flip_prob = validate.probability("flip_prob", flip_prob, open_interval=False)

    def __call__(self, x):
        x = validate.matrix("x", x, shape=(None, self.dim))
        z = x * (np.sqrt(self.dim) / self.input_radius)
        return z[:, 0] * z[:, 1]

    def labels(self, x, *, rng=None, flip_prob=None):
        return super().labels(x, rng=rng, flip_prob=self.flip_prob if flip_prob is None else flip_prob)


class LowDegreePlusSparse(_Target):
    r"""Nichani, Bai & Lee (2022): :math:`f_\star = f_{\le k} + \sum_{j\le R} (\beta_j^\top x)^{k+1}`.

    The dense part :math:`f_{\le k}(x) = \sum_{l=1}^{k} \langle T_l, x^{\otimes l}\rangle` has
    Gaussian coefficient tensors scaled so each degree contributes O(1) on the sphere of radius
    ``input_radius``; the sparse part uses ``n_sparse`` orthonormal directions :math:`\beta_j`.
    """

    def __init__(self, dim, degree_k=1, n_sparse=1, *, rng, input_radius=1.0):
        self.dim = validate.integer("dim", dim, minimum=2)
        self.degree_k = validate.integer("degree_k", degree_k, minimum=1, maximum=4)
        self.n_sparse = validate.integer("n_sparse", n_sparse, minimum=1, maximum=self.dim)
        self.input_radius = validate.positive("input_radius", input_radius)
        self.tensors = []
        for l in range(1, self.degree_k + 1):
            t = rng.standard_normal((self.dim,) * l)
            self.tensors.append(t / np.linalg.norm(t) / self.input_radius**l)
        basis, _ = np.linalg.qr(rng.standard_normal((self.dim, self.n_sparse)))
        self.betas = basis.T / self.input_radius

    def dense(self, x):
        """:math:`f_{\\le k}(x)`."""
        x = validate.matrix("x", x, shape=(None, self.dim))
        n, d = x.shape
        out = np.zeros(n)
        for tensor in self.tensors:
            contracted = tensor.reshape(-1, d) @ x.T  # (d^(l-1), n)
            for _ in range(tensor.ndim - 1):  # contract one more tensor axis per pass
                contracted = np.einsum("adn,nd->an", contracted.reshape(-1, d, n), x)
            out += contracted[0]
        return out

    def sparse(self, x):
        """:math:`\\sum_j (\\beta_j^\\top x)^{k+1}`."""
        x = validate.matrix("x", x, shape=(None, self.dim))
        return np.sum((x @ self.betas.T) ** (self.degree_k + 1), axis=1)

    def __call__(self, x):
        return self.dense(x) + self.sparse(x)


def make_target(name, dim, degree=2, *, rng, input_radius=1.0):
    r"""A target of kind ``name`` (one of ``TARGETS``) on inputs of norm ``input_radius``.

    ``single``: :math:`(\beta^\top x)^p` with a random unit :math:`\beta` scaled by
    :math:`1/B_x` so that :math:`|\beta^\top x| \le 1`; ``xor``: :class:`NoisyXor`; ``sparse``:
    :class:`LowDegreePlusSparse` with :math:`k =` ``degree - 1`` and one sparse direction.
    """
    validate.choice("target", name, TARGETS)
    dim = validate.integer("dim", dim, minimum=2)
    degree = validate.integer("degree", degree, minimum=1)
    if name == "single":
        beta = rng.standard_normal(dim)
        return Polynomial(1.0, beta / np.linalg.norm(beta) / input_radius, degree)
    if name == "xor":
        return NoisyXor(dim, input_radius)
    if degree < 2:
        raise validate.BoundcheckInputError(f"degree must be >= 2 for the sparse target (k = degree - 1); got {degree}")
    return LowDegreePlusSparse(dim, degree - 1, 1, rng=rng, input_radius=input_radius)


# --------------------------------------------------------------------------------------------
# the user's own arrays

INSTANCE_KEYS = {"x": 2, "w_init": 2, "w_out": 1, "y": 1, "w_move": 2, "w_star": 2, "signs": 2, "rademacher": 2}

#: Largest array an ``--instance`` file may declare, in bytes once converted to float64 (256 MiB).
MAX_INSTANCE_BYTES = 2**28
#: Largest magnitude of an instance entry (and of x's largest row norm); beyond it float64 products overflow.
MAX_INSTANCE_VALUE = 1e8
_REAL_KINDS = "biuf"  # bool, signed and unsigned integers, floats: no complex, datetime, object, text


def _unreadable(path, err):
    reason = " ".join(str(err).split()) or type(err).__name__
    return validate.BoundcheckInputError(f"instance must be a readable .npz file; {str(path)!r} is not ({reason})")


def _npy_header(handle, key):
    """``(shape, dtype)`` declared by the .npy header at the start of ``handle``, refused if unusable."""
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle, max_header_size=10000)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(handle, max_header_size=10000)
    else:
        raise validate.BoundcheckInputError(f"instance[{key!r}] has .npy format version {version}; allowed: 1.0, 2.0")
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in _REAL_KINDS:
        raise validate.BoundcheckInputError(
            f"instance[{key!r}] must hold real numbers (bool, integer or float); its header declares dtype {dtype}")
    size = 1
    for n in shape:
        size *= int(n)
    if size * max(dtype.itemsize, 8) > MAX_INSTANCE_BYTES:
        raise validate.BoundcheckInputError(
            f"instance[{key!r}] must be at most {MAX_INSTANCE_BYTES // 2**20} MiB as float64; its header declares "
            f"shape {tuple(shape)} ({size * 8 / 2**20:.0f} MiB)")
    return shape, dtype


def _read_npz(path, wanted):
    """The arrays named in ``wanted`` from the .npz at ``path`` and the names of all its arrays.

    Each member's .npy header (shape and dtype) is checked before a byte of its data is read;
    members not in ``wanted`` are never decompressed.
    """
    import zipfile
    import zlib

    errors = (zipfile.BadZipFile, zlib.error, EOFError, OSError, UnicodeError, NotImplementedError, RuntimeError,
              SyntaxError, ValueError, KeyError)
    try:
        archive = zipfile.ZipFile(path)
    except errors as err:
        raise _unreadable(path, err) from None
    with archive:
        members = {info.filename[:-4]: info for info in archive.infolist() if info.filename.endswith(".npy")}
        arrays = {}
        for key in wanted:
            if key not in members:
                continue
            try:
                with archive.open(members[key]) as handle:
                    _npy_header(handle, key)
                with archive.open(members[key]) as handle:
                    arrays[key] = np.lib.format.read_array(handle, allow_pickle=False, max_header_size=10000)
            except validate.BoundcheckInputError:
                raise
            except errors as err:
                raise _unreadable(path, err) from None
    return arrays, sorted(members)


def load_instance(path, required=("x", "w_init", "w_out"), optional=tuple(INSTANCE_KEYS)):
    """Load and validate the arrays of ``--instance FILE.npz`` (a dict of arrays: only its keys are checked).

    Shapes: ``x`` (n, d), ``w_init`` (m, d), ``w_out`` (m,) of +-1, ``y`` (n,), ``w_move`` and
    ``w_star`` (m, d), ``signs`` (draws, m) of +-1, ``rademacher`` (draws, n) of +-1.

    Only the arrays in ``required`` and ``optional`` are read, each after its header is checked:
    real dtypes only (no complex, datetime, object or text), at most :data:`MAX_INSTANCE_BYTES`
    as float64. Entries must be finite and at most :data:`MAX_INSTANCE_VALUE` in magnitude, and
    ``x`` must not be all zeros (its largest row norm is :math:`B_x`).
    """
    if isinstance(path, Mapping):  # arrays in hand (the Python API): the keys are checked, not the values
        missing = [key for key in required if key not in path]
        if missing:
            raise validate.BoundcheckInputError(f"instance must hold arrays {', '.join(missing)} for this check; it "
                                                f"holds {', '.join(path) or 'none'}")
        return dict(path)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"instance must be a path to an .npz file or a dict of arrays; got {path!r}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"instance: no such file {str(path)!r}")
    wanted = [k for k in INSTANCE_KEYS if k in required or k in optional]
    arrays, names = _read_npz(path, wanted)
    missing = [key for key in required if key not in arrays]
    if missing:
        raise validate.BoundcheckInputError(f"instance {str(path)!r} must hold arrays {', '.join(missing)}; it holds "
                                            f"{', '.join(names) or 'none'}")
    out = {}
    for key, value in arrays.items():
        name = f"instance[{key!r}]"
        with np.errstate(over="ignore", invalid="ignore"):  # float128 beyond float64 becomes inf: refused below
            out[key] = validate.matrix(name, value) if INSTANCE_KEYS[key] == 2 else validate.vector(name, value)
        largest = float(np.max(np.abs(out[key])))
        if largest > MAX_INSTANCE_VALUE:
            raise validate.BoundcheckInputError(
                f"{name} entries must be at most {MAX_INSTANCE_VALUE:g} in magnitude (float64 products of larger "
                f"ones overflow); got {largest:g}")
    if "x" in out:
        largest = float(np.max(np.abs(out["x"])))
        if largest == 0:
            raise validate.BoundcheckInputError("instance['x'] must not be all zeros (B_x is its largest row norm)")
        if largest < 1.0 / MAX_INSTANCE_VALUE:
            raise validate.BoundcheckInputError(
                f"instance['x'] must have an entry of magnitude >= {1.0 / MAX_INSTANCE_VALUE:g} (B_x, its largest "
                f"row norm, would underflow in the checks); got largest {largest:g}")
    n = out["x"].shape[0] if "x" in out else None
    m = out["w_init"].shape[0] if "w_init" in out else None
    if "x" in out and "w_init" in out:
        validate.same_dim("instance['w_init']", out["w_init"], "instance['x']", out["x"])
    checks = {"w_out": (m,), "y": (n,), "w_move": (m, None), "w_star": (m, None), "signs": (None, m),
              "rademacher": (None, n)}
    for key, shape in checks.items():
        if key in out:
            for axis, want in enumerate(shape):
                if want is not None and out[key].shape[axis] != want:
                    raise validate.BoundcheckInputError(
                        f"instance[{key!r}] has shape {out[key].shape}; axis {axis} must be {want}")
    for key in ("w_out", "signs", "rademacher"):
        if key in out:
            validate.signs(f"instance[{key!r}]", out[key])
    if "w_move" in out and "w_init" in out:
        validate.same_dim("instance['w_move']", out["w_move"], "instance['w_init']", out["w_init"])
    if "w_star" in out and "w_init" in out:
        validate.same_dim("instance['w_star']", out["w_star"], "instance['w_init']", out["w_init"])
    return out
