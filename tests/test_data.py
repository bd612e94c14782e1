import os

import numpy as np
import pytest

from boundcheck import data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("dist", ["sphere", "hypercube", "anisotropic", "digits"])
def test_inputs_lie_on_the_sphere(dist, rng):
    dim = 64 if dist == "digits" else 9
    x = data.sample_inputs(dist, 300, dim, input_radius=2.5, rng=rng)
    assert x.shape == (300, dim)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 2.5)


def test_sphere_second_moment_is_isotropic(rng):
    x = data.sample_sphere(20000, 5, input_radius=2.0, rng=rng)
    np.testing.assert_allclose(x.T @ x / len(x), np.eye(5) * 4 / 5, atol=0.03)


def test_hypercube_values(rng):
    x = data.sample_hypercube(10, 4, input_radius=2.0, rng=rng)
    assert set(np.unique(x)) == {-1.0, 1.0}


def test_anisotropic_covariance_condition_number(rng):
    cov = data.anisotropic_covariance(6, 50.0, rng=rng)
    eig = np.linalg.eigvalsh(cov)
    assert eig[-1] / eig[0] == pytest.approx(50.0)


def test_polynomial_and_xor_targets(rng):
    beta = rng.normal(size=4)
    x = data.sample_sphere(7, 4, rng=rng)
    f = data.Polynomial(2.0, beta, 3)
    np.testing.assert_allclose(f(x), 2.0 * (x @ beta) ** 3)
    s = data.PolynomialSum([f, data.Polynomial(-1.0, beta, 1)])
    np.testing.assert_allclose(s(x), 2.0 * (x @ beta) ** 3 - x @ beta)
    xor = data.NoisyXor(6, input_radius=3.0, flip_prob=0.0)
    z = data.sample_hypercube(20, 6, input_radius=3.0, rng=rng)
    e1, e2 = np.eye(6)[0], np.eye(6)[1]
    u = z * np.sqrt(6) / 3.0
    np.testing.assert_allclose(xor(z), (((e1 + e2) @ u.T) ** 2 - ((e1 - e2) @ u.T) ** 2) / 4)
    np.testing.assert_array_equal(xor.labels(z, rng=rng), np.sign(u[:, 0] * u[:, 1]))


def test_label_noise_rate(rng):
    xor = data.NoisyXor(4, flip_prob=0.2)
    z = data.sample_hypercube(20000, 4, rng=rng)
    flipped = np.mean(xor.labels(z, rng=rng) != np.sign(xor(z)))
    assert flipped == pytest.approx(0.2, abs=0.015)


def test_low_degree_plus_sparse_against_explicit_contraction(rng):
    t = data.LowDegreePlusSparse(4, degree_k=2, n_sparse=2, rng=rng)
    x = data.sample_sphere(5, 4, rng=rng)
    want = [t.tensors[0] @ xi + xi @ t.tensors[1] @ xi + sum((b @ xi) ** 3 for b in t.betas) for xi in x]
    np.testing.assert_allclose(t(x), want)


def test_make_target_kinds(rng):
    for name in data.TARGETS:
        f = data.make_target(name, 8, 2, rng=rng)
        assert f(data.sample_hypercube(3, 8, rng=rng)).shape == (3,)
    with pytest.raises(ValueError, match="target must be one of 'single', 'xor', 'sparse'; got 'parity'"):
        data.make_target("parity", 8, rng=rng)


def test_load_instance_validates(tmp_path, rng):
    good = tmp_path / "good.npz"
    np.savez(good, x=rng.normal(size=(5, 3)), w_init=rng.normal(size=(4, 3)), w_out=np.array([1.0, 1, -1, -1]))
    assert set(data.load_instance(good)) == {"x", "w_init", "w_out"}
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=rng.normal(size=(5, 3)), w_init=rng.normal(size=(4, 2)), w_out=np.ones(4))
    with pytest.raises(ValueError, match=r"w_init'\] has 2 columns but instance\['x'\] has 3"):
        data.load_instance(bad)
    junk = tmp_path / "junk.npz"
    junk.write_text("not an archive")
    with pytest.raises(ValueError, match="instance must be a readable .npz file"):
        data.load_instance(junk)
    with pytest.raises(FileNotFoundError, match="no such file"):
        data.load_instance(tmp_path / "missing.npz")
    missing = tmp_path / "missing_key.npz"
    np.savez(missing, x=np.ones((2, 2)))
    with pytest.raises(ValueError, match="must hold arrays w_init, w_out"):
        data.load_instance(missing)


# -- hostile .npz instances: headers checked before loading, only the needed arrays read -----------------------

def _npy(array=None, header=None):
    import io

    buf = io.BytesIO()
    if header is None:
        np.save(buf, array)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


def _instance_zip(path, members, *, big=None):
    """An npz from ``members`` (name -> bytes); ``big`` = (name, MiB) streams that many MiB of zeros."""
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, payload in members.items():
            archive.writestr(name + ".npy", payload)
        if big is not None:
            name, mib = big
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                member.write(_npy(header={"descr": "<f8", "fortran_order": False, "shape": (mib * 2**17,)}))
                chunk = bytes(2**20)
                for _ in range(mib):
                    member.write(chunk)
    return path


def _unit_rows(rng, n=5, d=3):
    x = rng.standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")
def test_an_unused_member_is_never_decompressed(tmp_path, rng):
    import subprocess
    import sys

    path = _instance_zip(tmp_path / "i.npz", {"x": _npy(_unit_rows(rng))}, big=("junk", 256))
    assert path.stat().st_size < 2 * 2**20  # 256 MiB of zeros, compressed
    # after the imports, the child may map 150 MiB more: decompressing junk alone would need 256 MiB
    script = ("import resource, sys; import boundcheck.data as d\n"
              "vm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmSize')][0] * 1024\n"
              "resource.setrlimit(resource.RLIMIT_AS, (vm + 150 * 2**20, resource.RLIM_INFINITY))\n"
              "x = d.load_instance(sys.argv[1], required=('x',))['x']\n"
              "print(x.shape[0], d.__file__)\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", script, str(path)], env=env, capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-500:]
    count, where = proc.stdout.split()
    assert count == "5" and where.startswith(ROOT)


@pytest.mark.parametrize("header, match", [
    ({"descr": "<f8", "fortran_order": False, "shape": (2**20, 2**20)}, r"at most 256 MiB.*8388608 MiB"),
    ({"descr": "<c16", "fortran_order": False, "shape": (5, 3)}, "real numbers.*complex128"),
    ({"descr": "<M8[s]", "fortran_order": False, "shape": (5, 3)}, "real numbers.*datetime64"),
    ({"descr": "|O", "fortran_order": False, "shape": (5, 3)}, "real numbers.*object"),
    ({"descr": "<U3", "fortran_order": False, "shape": (5, 3)}, "real numbers.*<U3"),
])
def test_a_member_is_refused_from_its_header(tmp_path, header, match):
    path = _instance_zip(tmp_path / "i.npz", {"x": _npy(header=header) + b"\0" * 64})
    with pytest.raises(ValueError, match=match):
        data.load_instance(path, required=("x",))


@pytest.mark.parametrize("x, match", [
    (np.zeros((5, 3)), "must not be all zeros"),
    (np.full((5, 3), np.nan), "finite values only"),
    (np.ones((5, 3)) * 1e200, r"at most 1e\+08 in magnitude"),
    (np.ones((5, 3)) * 1e-200, "magnitude >= 1e-08"),
    ((np.ones((5, 3)) + 1j).astype(np.complex64), "real numbers"),
])
def test_bad_x_values_are_refused(tmp_path, x, match):
    np.savez(tmp_path / "i.npz", x=x)
    with pytest.raises(ValueError, match=match):
        data.load_instance(tmp_path / "i.npz", required=("x",))


def test_real_dtypes_are_read(tmp_path, rng):
    x = _unit_rows(rng)
    np.savez(tmp_path / "i.npz", x=x.astype(np.float32), w_out=np.array([1, -1], dtype=np.int8), flag=np.array(True))
    arrays = data.load_instance(tmp_path / "i.npz", required=("x", "w_out"))
    assert arrays["x"].dtype == np.float64 and np.allclose(arrays["x"], x, atol=1e-6)
    assert set(arrays) == {"x", "w_out"}  # flag is not an instance key: never read


def test_the_cli_refuses_a_complex_instance_in_one_line(tmp_path, rng, capsys):
    from boundcheck.cli import main

    np.savez(tmp_path / "i.npz", x=_unit_rows(rng) + 0j)
    assert main(["opnorm", "--instance", str(tmp_path / "i.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "real numbers" in err and "Warning" not in err
