"""The bytecode cache for code imported from zips (Ansible's AnsiballZ): same code, compiled once."""

import os
import subprocess
import sys
import zipfile
import zipimport

from canary_sandbox import zipcache

SOURCE = b"def outer():\n    def inner():\n        raise ValueError('from inside')\n    return inner\n\nclass Thing:\n    def method(self):\n        return 1\n"


def counting_compiler():
    calls = []

    def compile_source(pathname, source):
        calls.append(pathname)
        return compile(source, pathname, "exec", dont_inherit=True)

    return compile_source, calls


def filenames(code):
    names = {code.co_filename}
    for const in code.co_consts:
        if isinstance(const, type(code)):
            names |= filenames(const)
    return names


def test_the_second_compile_of_the_same_source_is_read_from_the_cache(tmp_path):
    compile_source, calls = counting_compiler()
    cached = zipcache.caching(compile_source, str(tmp_path))
    first = cached("/tmp/a/x.zip/m.py", SOURCE)
    second = cached("/tmp/b/y.zip/m.py", SOURCE)
    assert calls == ["/tmp/a/x.zip/m.py"]
    # the same code, under the name of the zip that imports it this time (tracebacks stay right)
    assert second.co_code == first.co_code
    assert filenames(first) == {"/tmp/a/x.zip/m.py"}
    assert filenames(second) == {"/tmp/b/y.zip/m.py"}
    namespace = {}
    exec(second, namespace)
    try:
        namespace["outer"]()()
    except ValueError as error:
        assert error.__traceback__.tb_next.tb_frame.f_code.co_filename == "/tmp/b/y.zip/m.py"


def test_other_source_is_compiled_anew(tmp_path):
    compile_source, calls = counting_compiler()
    cached = zipcache.caching(compile_source, str(tmp_path))
    cached("m.py", SOURCE)
    cached("m.py", SOURCE + b"X = 1\n")
    assert len(calls) == 2


def test_a_damaged_entry_is_compiled_again_and_replaced(tmp_path):
    compile_source, calls = counting_compiler()
    cached = zipcache.caching(compile_source, str(tmp_path))
    cached("m.py", SOURCE)
    [entry] = [os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files]
    with open(entry, "wb") as damaged:
        damaged.write(b"\x00\x01")
    code = cached("m.py", SOURCE)
    assert len(calls) == 2 and "outer" in code.co_names
    assert cached("m.py", SOURCE) is not None and len(calls) == 2


def test_an_unwritable_directory_only_costs_the_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    compile_source, calls = counting_compiler()
    cached = zipcache.caching(compile_source, str(blocker / "cache"))
    assert cached("m.py", SOURCE) is not None and cached("m.py", SOURCE) is not None
    assert len(calls) == 2


def test_asked_by_the_variable_or_a_directory_in_home_and_not_when_set_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert zipcache.cache_directory({}) is None
    (tmp_path / zipcache.HOME_DIRECTORY).mkdir()
    assert zipcache.cache_directory({}) == str(tmp_path / zipcache.HOME_DIRECTORY)
    assert zipcache.cache_directory({zipcache.VARIABLE: "/elsewhere"}) == "/elsewhere"
    assert zipcache.cache_directory({zipcache.VARIABLE: ""}) is None


def test_a_module_imported_from_a_zip_runs_from_the_cache_in_a_new_interpreter(tmp_path):
    """What Ansible does on every task: a fresh Python importing code from a new zip."""
    cache = tmp_path / "cache"
    probe = (
        "import sys, zipimport\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import zipped\n"
        "print(getattr(zipimport._compile_source, 'wrapped', None) is not None, zipped.outer.__code__.co_filename)\n"
    )
    results = []
    for run in ("one", "two"):
        archive = tmp_path / f"{run}.zip"
        with zipfile.ZipFile(archive, "w") as out:
            out.writestr("zipped.py", SOURCE)
        env = dict(os.environ, CANARY_ZIPIMPORT_CACHE=str(cache))
        # the venv's .pth installs the cache at start; an interpreter without it installs it here
        code = "import canary_sandbox.zipcache as z; z.install_if_asked()\n" + probe
        out = subprocess.run([sys.executable, "-c", code, str(archive)], env=env, capture_output=True, text=True, check=True)
        results.append(out.stdout.split())
    assert results == [["True", str(tmp_path / "one.zip" / "zipped.py")], ["True", str(tmp_path / "two.zip" / "zipped.py")]]
    assert sum(len(files) for _, _, files in os.walk(cache)) == 1, "the second interpreter compiled the module again"


def test_installing_twice_wraps_once(monkeypatch):
    original = zipimport._compile_source
    monkeypatch.setattr(zipimport, "_compile_source", getattr(original, "wrapped", original))
    zipcache.install_if_asked({zipcache.VARIABLE: "/nonexistent-cache"})
    once = zipimport._compile_source
    zipcache.install_if_asked({zipcache.VARIABLE: "/nonexistent-cache"})
    assert zipimport._compile_source is once and once.wrapped is getattr(original, "wrapped", original)
