"""The public claim API: the paper's checks and the second paper's pack use it and nothing private."""

import ast
import pathlib

import pytest

import boundcheck
from boundcheck import api
from boundcheck.run import registry

ROOT = pathlib.Path(boundcheck.__file__).parent
PACK_MODULES = sorted((ROOT / "lemmas").glob("*.py")) + sorted((ROOT / "packs").glob("*.py")) + [
    ROOT / "experiments" / "curve_cell.py"]
#: What a claim module may not import: the record and the registry come only through boundcheck.api.
PRIVATE = {"results", "run", "run.registry", "run.runner", "registry"}
API_NAMES = {"claim", "exact", "worst_case", "mean", "paired", "proportion", "rate", "for_every", "search_worst"}


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield node.module or "", [alias.name for alias in node.names], node.lineno


@pytest.mark.parametrize("path", PACK_MODULES, ids=[p.name for p in PACK_MODULES])
def test_claim_modules_use_only_the_public_api(path):
    for module, names, line in _imports(path):
        tail = module.removeprefix("boundcheck.").lstrip(".")
        assert tail not in PRIVATE, f"{path.name}:{line} imports {names} from {module!r}, not from boundcheck.api"
        if set(names) & API_NAMES:
            assert tail == "api", f"{path.name}:{line} takes {set(names) & API_NAMES} from {module!r}, not the API"
    text = path.read_text()
    assert "CheckResult(" not in text and "_REGISTRY" not in text and ".verdict =" not in text


def test_every_registered_check_lives_in_a_claim_module():
    modules = {str(p.relative_to(ROOT.parent)).replace("/", ".")[:-3] for p in PACK_MODULES}
    for name, c in registry.claims().items():
        assert c.check.__module__ in modules, (name, c.check.__module__)


def test_the_api_exports_everything_a_claim_needs():
    for name in API_NAMES | {"hyp", "run_claim", "run_claims", "load_claims_file", "Ball24", "Sphere"}:
        assert hasattr(api, name), name
    assert api.claim is registry.claim


def test_packs_are_namespaced_and_bare_labels_keep_working():
    assert registry.get_claim("Lemma 5").name == "bai-lee-2020: Lemma 5"
    assert registry.get_claim("bai-lee-2020: Lemma 5").label == "Lemma 5"
    assert registry.get_claim("nichani-bai-lee-2022: spectral groups").pack == "nichani-bai-lee-2022"
    with pytest.raises(ValueError, match="claim must be one of"):
        registry.get_claim("Lemma 99")


def test_packs_come_from_the_entry_point_group():
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group=registry.ENTRY_POINT_GROUP)}
    assert found.get("bai-lee-2020") == "boundcheck.lemmas"
    assert found.get("nichani-bai-lee-2022") == "boundcheck.packs.nichani2022"


def test_a_claim_must_take_rng_by_keyword():
    with pytest.raises(TypeError, match="rng as a keyword-only"):
        api.claim("Bad", statement="x", section="x", pack="test")(lambda rng: None)
    with pytest.raises(ValueError, match="label must be"):
        api.claim("a: b", statement="x", section="x")
